import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ferryError } from '../../errors/index.ts';
import type { DataPlane } from '../../dataplane/index.ts';
import { setUpProtocolScope } from '../http/scope.ts';
import { takesWideIntegers } from '../http/exact-json.ts';
import { DEFAULT_LIMITS, type ProtocolLimits } from '../http/limits.ts';
import { JsonSink, replyBody } from '../http/json-sink.ts';
import { chooseModel } from '../http/model-choice.ts';
import { MODEL_VERSION_HEADER } from '../http/model-version-header.ts';
import { arrivalOf, clientGoneSignal, deadlineFrom } from '../http/request-options.ts';
import type { TensorMetadata } from '../../tensor/index.ts';
import { decodeCsv } from './csv.ts';
import type { DecodedInput } from './decode-input.ts';
import { decodeBody as decodeSized } from '../offload/decode-pool.ts';
import { mlflowErrorText } from './errors.ts';
import { encodePredictions } from './predictions.ts';

export interface MlflowOptions {
  readonly dataplane: DataPlane;
  readonly bodyLimit: number;
  readonly limits?: ProtocolLimits;
}

const PROTOCOL = 'mlflow';
const HOW_TO_NAME = 'name one in the path (/mlflow/{model}/invocations) or in the ferry-model header';
type InvocationRequest = FastifyRequest<{ Params: { model?: string; version?: string }; Body: Buffer | undefined }>;

/** MLflow's scoring server protocol: /invocations (JSON or CSV), /ping, /health and /version. */
export async function mlflowRoutes(app: FastifyInstance, options: MlflowOptions): Promise<void> {
  const { dataplane } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;

  setUpProtocolScope(app, options.bodyLimit, (failure) => mlflowErrorText(failure));

  // MLflow answers health checks with a newline; 200 when the server is ready (/v2/health/ready has the detail).
  const ping = async (_req: FastifyRequest, reply: FastifyReply) => reply.code((await dataplane.ready()) ? 200 : 503).header('content-type', 'application/json').send('\n');
  app.get('/ping', ping);
  app.get('/health', ping);
  app.get('/version', async (_req, reply) => reply.header('content-type', 'application/json').send(dataplane.serverMetadata().version));

  const invocations = async (req: InvocationRequest, reply: FastifyReply) => {
    const model = chooseModel(dataplane, req.params.model, req.headers['ferry-model'], HOW_TO_NAME);
    const trace = dataplane.traceOf(req.raw);
    const version = req.params.version;
    const decoded: DecodedInput = await dataplane.decodeAsync(model, PROTOCOL, () => decodeBody(model, req, limits, dataplane.modelMetadata(model, { version }).inputs), trace, { version });
    const response = await dataplane.infer(model, decoded.request, {
      protocol: PROTOCOL,
      version,
      deadline: deadlineFrom(req.headers['ferry-timeout-ms'], arrivalOf(reply)),
      signal: clientGoneSignal(reply.raw),
      trace,
    });
    const answer = await dataplane.encodeAsync(trace, async () => {
      const sink = new JsonSink(limits);
      await encodePredictions(response.outputs, decoded.style, sink);
      return sink.finish();
    });
    return reply.header('content-type', 'application/json').header('content-length', answer.length)
      .header(MODEL_VERSION_HEADER, response.modelVersion).send(replyBody(answer));
  };
  app.post('/invocations', invocations);
  app.post('/mlflow/:model/invocations', invocations);
  // A version or a label, where MLflow's own path has no place for one.
  app.post('/mlflow/:model/versions/:version/invocations', invocations);
}

/** JSON or CSV by Content-Type (UTF-8 only); a body without a type is a 415, as MLflow answers it. */
async function decodeBody(model: string, req: InvocationRequest, limits: ProtocolLimits, inputs: readonly TensorMetadata[]): Promise<DecodedInput> {
  const header = req.headers['content-type'];
  if (header === undefined || header.trim() === '') throw ferryError('FERRY_ERR_CONTENT_TYPE_MISSING', { accepted: 'application/json or text/csv' });
  const [type, ...params] = header.split(';').map((part) => part.trim());
  const mime = type!.toLowerCase();
  for (const param of params) {
    const [key, value] = param.split('=').map((p) => p.trim().toLowerCase());
    if (key !== 'charset' || (value !== 'utf-8' && value !== 'utf8')) throw ferryError('FERRY_ERR_UNSUPPORTED_MEDIA_TYPE', { type: header.slice(0, 100) });
  }
  if (mime !== 'application/json' && mime !== 'text/csv') throw ferryError('FERRY_ERR_UNSUPPORTED_MEDIA_TYPE', { type: header.slice(0, 100) });
  const body = req.body;
  if (!Buffer.isBuffer(body) || body.length === 0) throw ferryError('FERRY_ERR_MALFORMED_BODY', { detail: 'empty body' });
  if (mime === 'text/csv') return { style: 'frame', request: { inputs: await decodeCsv(model, inputs, body, limits) } };
  return decodeSized('mlflow-json', body, { model, inputs, exactIntegers: takesWideIntegers(inputs), limits });
}
