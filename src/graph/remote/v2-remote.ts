import { ferryError, isFerryError } from '../../errors/index.ts';
import type { InferContext } from '../../dataplane/index.ts';
import { grpcClient, type GrpcServiceClient } from '../../protocol/v2-grpc/client.ts';
import { decodeJsonData, decodeRawData, encodeJsonData, encodeRawData, isDatatype, type Tensor } from '../../tensor/index.ts';
import type { RemoteCaller } from '../graph-runner.ts';
import type { RemoteNodeSpec } from '../spec.ts';

/** Statuses worth another try: the remote was busy, restarting or timed out. */
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
const RETRYABLE_GRPC = new Set([4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */]);

class Attempt extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.retryable = retryable;
  }
}

/**
 * Calls models served elsewhere over the Open Inference Protocol V2: REST (JSON) for http(s):// URLs, gRPC (raw
 * tensor contents) for grpc://. Each attempt has the node's timeout; timeouts, refused connections and busy answers
 * are retried up to `retries` times with a short back-off, other answers are final.
 */
export class V2RemoteCaller implements RemoteCaller {
  readonly #grpc = new Map<string, GrpcServiceClient>();

  async infer(node: RemoteNodeSpec, inputs: readonly Tensor[], ctx: InferContext): Promise<readonly Tensor[]> {
    const attempts = node.retries + 1;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (ctx.signal?.aborted) throw ferryError('FERRY_ERR_CANCELLED');
      const timeout = Math.max(1, Math.min(node.timeout_ms, ctx.deadline === undefined ? Infinity : ctx.deadline - Date.now()));
      try {
        return node.url.startsWith('grpc://') ? await this.#grpcInfer(node, inputs, timeout) : await restInfer(node, inputs, timeout, ctx.signal);
      } catch (error) {
        if (isFerryError(error)) throw error;
        last = (error as Error).message;
        if (!(error instanceof Attempt) || !error.retryable || attempt === attempts) {
          throw ferryError('FERRY_ERR_REMOTE_FAILED', { node: node.name, url: node.url, attempts: attempt, detail: last });
        }
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** (attempt - 1)));
      }
    }
    throw ferryError('FERRY_ERR_REMOTE_FAILED', { node: node.name, url: node.url, attempts, detail: last });
  }

  close(): void {
    for (const client of this.#grpc.values()) client.close();
    this.#grpc.clear();
  }

  async #grpcInfer(node: RemoteNodeSpec, inputs: readonly Tensor[], timeoutMs: number): Promise<readonly Tensor[]> {
    const address = node.url.slice('grpc://'.length).replace(/\/.*$/, '');
    let client = this.#grpc.get(address);
    if (!client) {
      client = grpcClient('inference.GRPCInferenceService', address);
      this.#grpc.set(address, client);
    }
    let response: { outputs: { name: string; datatype: string; shape: string[] }[]; raw_output_contents: Uint8Array[] };
    try {
      response = await client.call('ModelInfer', {
        model_name: node.model,
        model_version: node.version ?? '',
        inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
        raw_input_contents: inputs.map((t) => encodeRawData(t.datatype, t.data)),
      }, { deadline: Date.now() + timeoutMs });
    } catch (error) {
      const { code, details } = error as { code?: number; details?: string };
      throw new Attempt(`gRPC ${code ?? '?'}: ${details ?? (error as Error).message}`, code !== undefined && RETRYABLE_GRPC.has(code));
    }
    return response.outputs.map((out, i) => {
      const datatype = checkedDatatype(out.datatype);
      const shape = out.shape.map(Number);
      return { name: out.name, datatype, shape, data: decodeRawData(out.name, datatype, shape, response.raw_output_contents[i]!) };
    });
  }
}

async function restInfer(node: RemoteNodeSpec, inputs: readonly Tensor[], timeoutMs: number, signal: AbortSignal | undefined): Promise<readonly Tensor[]> {
  const base = node.url.replace(/\/+$/, '');
  const url = `${base}/v2/models/${encodeURIComponent(node.model)}${node.version ? `/versions/${encodeURIComponent(node.version)}` : ''}/infer`;
  const body = JSON.stringify({ inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: encodeJsonData(t.datatype, t.data) })) });
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    if (signal?.aborted) throw ferryError('FERRY_ERR_CANCELLED');
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Attempt(why, true);
  }
  const text = await response.text();
  if (!response.ok) throw new Attempt(`HTTP ${response.status}: ${text.slice(0, 300)}`, RETRYABLE_HTTP.has(response.status));
  let parsed: { outputs?: { name: string; datatype: string; shape: number[]; data: unknown }[] };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new Attempt('the answer is not JSON', false);
  }
  if (!Array.isArray(parsed.outputs)) throw new Attempt('the answer has no outputs', false);
  return parsed.outputs.map((out) => {
    const datatype = checkedDatatype(out.datatype);
    return { name: out.name, datatype, shape: out.shape, data: decodeJsonData(out.name, datatype, out.shape, out.data) };
  });
}

function checkedDatatype(datatype: string) {
  if (!isDatatype(datatype)) throw new Attempt(`the answer has an unknown datatype '${datatype}'`, false);
  return datatype;
}
