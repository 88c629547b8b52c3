import type { FastifyInstance, FastifyRequest } from 'fastify';
import { asFerryError, ferryError } from '../errors/index.ts';
import type { GraphService, TrafficControl } from '../graph/index.ts';
import type { Authorize, Scope } from '../protocol/http/management-auth.ts';
import { errorSchema } from './schemas.ts';
import { MANAGEMENT_BODY_LIMIT } from './routes.ts';

export interface GraphRoutesOptions {
  readonly graphs: GraphService;
  readonly traffic: TrafficControl;
  readonly authorize: Authorize;
}

type Req = FastifyRequest<{ Params: { graph: string; router: string }; Body: Record<string, unknown> | undefined }>;

const TAG = 'graphs';
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
const routerParams = { type: 'object', properties: { graph: { type: 'string' }, router: { type: 'string' } }, required: ['graph', 'router'] };

/**
 * Traffic of inference graphs under /api/v1/graphs: read each router's weights, arms and gates; set weights,
 * promote an arm, roll back to the primary. Every change is audited under the token's name.
 */
export async function graphRoutes(app: FastifyInstance, options: GraphRoutesOptions): Promise<void> {
  const { graphs, traffic } = options;
  const scopes = new WeakMap<object, string>();
  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config.scope;
    if (scope) scopes.set(req, options.authorize(req, scope).name);
  });
  app.setErrorHandler((error, req, reply) => {
    const failure = (error as { validation?: unknown }).validation || (error as { statusCode?: number }).statusCode === 400
      ? ferryError('FERRY_ERR_INVALID_REQUEST', { detail: (error as Error).message })
      : asFerryError(error);
    if (failure.http >= 500) req.log.error({ err: error }, 'graph management request failed');
    if (failure.http === 401) reply.header('www-authenticate', 'Bearer');
    void reply.code(failure.http).send({ error: failure.message, code: failure.code });
  });
  const actor = (req: Req) => scopes.get(req) ?? 'unknown';
  const route = (method: 'GET' | 'POST', url: string, scope: Scope, summary: string, body: object | undefined, handler: (req: Req) => Promise<unknown>) => {
    app.route({
      method, url, config: { scope }, bodyLimit: MANAGEMENT_BODY_LIMIT,
      schema: { tags: [TAG], summary, security: [{ bearer: [] }], ...(url.includes(':router') ? { params: routerParams } : {}), ...(body ? { body } : {}), response: errors },
      handler: handler as (req: FastifyRequest) => Promise<unknown>,
    });
  };

  route('GET', '/api/v1/graphs', 'read', 'List inference graphs with their routers\' traffic', undefined, async () => ({
    graphs: graphs.names().map((name) => {
      const why = graphs.unavailable(name);
      const stale = graphs.staleReason(name);
      return { name, ready: why === undefined, ...(why ? { reason: why } : {}), ...(stale ? { deployment_error: stale } : {}), routers: graphs.has(name) && why === undefined ? traffic.view(graphs.runner(name)) : [] };
    }),
  }));
  route('GET', '/api/v1/graphs/:graph', 'read', 'An inference graph: its nodes and its routers\' traffic', undefined, async (req) => {
    const runner = graphs.runner(req.params.graph);
    const stale = graphs.staleReason(runner.spec.name);
    return { name: runner.spec.name, output: runner.spec.output, ...(stale ? { deployment_error: stale } : {}), nodes: runner.spec.nodes, routers: traffic.view(runner) };
  });
  route('POST', '/api/v1/graphs/:graph/routers/:router/weights', 'write', 'Set the weights of a router\'s arms (they sum to 1)', {
    type: 'object', required: ['weights'], properties: { weights: { type: 'object', additionalProperties: { type: 'number' } } },
  }, async (req) => traffic.setWeights(graphs.runner(req.params.graph), req.params.router, req.body!['weights'] as Record<string, number>, actor(req)));
  route('POST', '/api/v1/graphs/:graph/routers/:router/promote', 'write', 'Send all traffic to one arm (a canary or a shadow becomes the primary)', {
    type: 'object', required: ['arm'], properties: { arm: { type: 'string' } },
  }, async (req) => traffic.promote(graphs.runner(req.params.graph), req.params.router, req.body!['arm'] as string, actor(req)));
  route('POST', '/api/v1/graphs/:graph/routers/:router/rollback', 'write', 'Send all traffic back to the primary arm', undefined,
    async (req) => traffic.rollback(graphs.runner(req.params.graph), req.params.router, actor(req)));
}
