import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DataPlane } from '../../dataplane/index.ts';
import type { InferRequest } from '../../tensor/index.ts';
import { setUpProtocolScope } from '../http/scope.ts';
import { takesWideIntegers } from '../http/exact-json.ts';
import { DEFAULT_LIMITS, type ProtocolLimits } from '../http/limits.ts';
import { JsonSink, replyBody } from '../http/json-sink.ts';
import { MODEL_VERSION_HEADER } from '../http/model-version-header.ts';
import { arrivalOf, clientGoneSignal, deadlineFrom } from '../http/request-options.ts';
import { encodeMetadata } from './metadata.ts';
import { parseModelPath, type TfModelPath } from './model-path.ts';
import { encodePredict } from './predict-response.ts';
import { encodeResults, planResults, requestedOutputs } from './results.ts';
import { encodeStatus } from './status.ts';
import { decodeBody } from '../offload/decode-pool.ts';

export interface TfServingRestOptions {
  readonly dataplane: DataPlane;
  readonly bodyLimit: number;
  readonly limits?: ProtocolLimits;
}

const PROTOCOL = 'tfserving';
type WildcardRequest = FastifyRequest<{ Params: { '*': string }; Body: Buffer | undefined }>;

/** TensorFlow Serving's REST API: predict, classify, regress, model status and model metadata under /v1/models. */
export async function tfServingRestRoutes(app: FastifyInstance, options: TfServingRestOptions): Promise<void> {
  const { dataplane } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;

  // TF Serving reads every body as JSON whatever its Content-Type says.

  setUpProtocolScope(app, options.bodyLimit, (failure) => JSON.stringify({ error: failure.message }));

  // KServe's v1 protocol: the root is its liveness route and answers alive while the process does. It must not
  // follow readiness: a liveness probe on it would have Kubernetes restart a server still loading its models.
  app.get('/', async () => ({ status: 'alive' }));
  app.get('/v1/models', async () => ({ models: dataplane.repositoryIndex().filter((e) => e.version !== undefined).map((e) => e.name).filter((n, i, all) => all.indexOf(n) === i) }));

  // The verb follows a colon (`/v1/models/m:predict`), which the router reads as a parameter: route by wildcard.
  app.get('/v1/models/*', async (req: WildcardRequest, reply) => {
    const path = parseModelPath('GET', req.params['*'], req.url);
    if (path.metadata) return reply.header('content-type', 'application/json').send(metadata(dataplane, path));
    // KServe's model readiness is the status code (a probe reads nothing else); TF Serving's clients read the body.
    const status = encodeStatus(dataplane.modelStatus(path.model), path);
    return reply.code(status.ready ? 200 : 503).header('content-type', 'application/json').send(status.body);
  });

  app.post('/v1/models/*', async (req: WildcardRequest, reply: FastifyReply) => {
    const path = parseModelPath('POST', req.params['*'], req.url);
    const trace = dataplane.traceOf(req.raw);
    const { request, encode } = await dataplane.decodeAsync(path.model, PROTOCOL, async (): Promise<{ request: InferRequest; encode: (outputs: Parameters<typeof encodePredict>[1], sink: JsonSink) => Promise<void> }> => {
      const signature = dataplane.modelMetadata(path.model, path);
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const verb = path.verb!;
      const decoded = await decodeBody('tfserving', body, { model: path.model, verb, inputs: signature.inputs, exactIntegers: takesWideIntegers(signature.inputs), limits });
      if (verb === 'predict') {
        const format = decoded.format!;
        return { request: decoded.request, encode: (outputs, sink) => encodePredict(path.model, outputs, format, sink) };
      }
      const plan = planResults(path.model, verb, signature.outputs);
      return { request: { ...decoded.request, outputs: requestedOutputs(plan) }, encode: (outputs, sink) => encodeResults(plan, outputs, sink) };
    }, trace, path);
    const response = await dataplane.infer(path.model, request, {
      protocol: PROTOCOL,
      version: path.version,
      label: path.label,
      deadline: deadlineFrom(req.headers['ferry-timeout-ms'], arrivalOf(reply)),
      signal: clientGoneSignal(reply.raw),
      trace,
    });
    const answer = await dataplane.encodeAsync(trace, async () => {
      const sink = new JsonSink(limits);
      await encode(response.outputs, sink);
      return sink.finish();
    });
    return reply.header('content-type', 'application/json').header('content-length', answer.length)
      .header(MODEL_VERSION_HEADER, response.modelVersion).send(replyBody(answer));
  });
}

/** Metadata of the version a path names (the newest available one when it names none). */
function metadata(dataplane: DataPlane, path: TfModelPath): string {
  const found = dataplane.modelMetadata(path.model, path);
  return encodeMetadata(found, dataplane.servedVersion(path.model, path) ?? found.versions.at(-1) ?? '');
}
