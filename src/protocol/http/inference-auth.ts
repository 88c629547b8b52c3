import type { IncomingMessage, ServerResponse } from 'node:http';
import { asFerryError, type FerryError } from '../../errors/index.ts';
import { mlflowErrorText } from '../mlflow/errors.ts';
import { seldonError } from '../seldon/index.ts';
import type { Authorize } from './management-auth.ts';

/**
 * Paths that stay open when inference needs a token: probes (a kubelet has no token), metrics (Prometheus
 * scrapes), and the management API and its docs page, which check their own scopes.
 */
const OPEN = [
  /^\/$/,
  /^\/v2\/health\//,
  /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/ready$/,
  /^\/metrics$/,
  /^\/(ping|health|version|live|ready)$/,
  /^\/mlflow\/[^/]+\/(ping|health)$/,
  /^\/health\/(ping|status)$/,
  /^\/api\/(v1|2\.0)\//,
  /^\/docs(\/|$)/,
];

/** Each protocol's own error body, so that its clients read the refusal as they read any other error. */
function errorBody(path: string, error: FerryError): string {
  if (path.endsWith('/invocations')) return mlflowErrorText(error);
  if (path.startsWith('/api/v1.0/') || path.startsWith('/seldon/') || path === '/predict' || path === '/send-feedback') {
    return JSON.stringify(seldonError(error));
  }
  return JSON.stringify({ error: error.message });
}

/**
 * With `auth.inference: token`, every data-plane request needs a token with the `infer` scope. Returns false
 * once it has answered a refused request (401 or 403, in the protocol's error shape).
 */
export function inferenceGuard(authorize: Authorize): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (OPEN.some((pattern) => pattern.test(path))) return true;
    try {
      authorize(req, 'infer');
      return true;
    } catch (thrown) {
      const error = asFerryError(thrown);
      const body = errorBody(path, error);
      res.writeHead(error.http, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(error.http === 401 ? { 'www-authenticate': 'Bearer' } : {}),
      });
      res.end(body);
      // The body is never read: let the client stop sending it.
      req.resume();
      return false;
    }
  };
}
