import { ferryError, type ErrorCode } from '../errors/index.ts';

/** What one request may carry besides its method and path: headers and a body (a stream needs `duplex`). */
export interface SendInit {
  readonly headers?: Record<string, string>;
  readonly body?: RequestInit['body'];
  readonly duplex?: 'half';
}

/** A client of a running server's management API: every CLI command that talks to a server goes through it. */
export interface ManagementClient {
  /** One request; its JSON answer (undefined when empty), or the API's error as an ApiError. */
  send(method: string, path: string, init?: SendInit): Promise<unknown>;
  /** One request with an optional JSON body. */
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

/**
 * The management API at `url` with a bearer token (FERRY_TOKEN). A server that cannot be reached is reported as
 * `unreachable` (each command family names what was unavailable: the registry, the server).
 */
export function managementClient(url: string, token: string | undefined, unreachable: ErrorCode = 'FERRY_ERR_REGISTRY_UNAVAILABLE'): ManagementClient {
  const base = url.replace(/\/+$/, '');
  const send = async (method: string, path: string, init: SendInit = {}): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        ...init, method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
      } as RequestInit);
    } catch (error) {
      throw ferryError(unreachable, { detail: `${base}: ${(error as Error).message}` });
    }
    const text = await response.text();
    const parsed = parseAnswer(text);
    if (!response.ok) throw new ApiError(response.status, parsed?.code ?? `HTTP_${response.status}`, parsed?.error ?? text);
    if (text && parsed === undefined) throw new ApiError(response.status, 'FERRY_ERR_INTERNAL', `${base}${path}: the answer is not JSON`);
    return parsed;
  };
  const call = (method: string, path: string, body?: unknown) =>
    send(method, path, body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { send, call };
}

/** The JSON answer, or undefined for an empty one; a proxy's HTML error page is kept as text in the error. */
function parseAnswer(text: string): { error?: string; code?: string } | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as { error?: string; code?: string };
  } catch {
    return undefined;
  }
}

/** An error the API answered, with its status and FERRY_ERR_* code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
