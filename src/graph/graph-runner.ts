import { ferryError, isFerryError } from '../errors/index.ts';
import type { DataPlane, InferContext } from '../dataplane/index.ts';
import type { GraphMetrics, NodeCallTally } from '../observe/graph-metrics.ts';
import type { TallySeries } from '../observe/tally-histogram.ts';
import type { InferRequest, Tensor } from '../tensor/index.ts';
import { combine } from './nodes/combine.ts';
import { applySteps } from './nodes/transform.ts';
import { compareAnswers } from './routers/agreement.ts';
import { epsilonGreedy, thompsonSampling } from './routers/bandits.ts';
import { RouterState } from './routers/router-state.ts';
import { pickWeighted, stickyUniform } from './routers/weighted.ts';
import { callsModel, type CallsModelSpec, type GraphSpec, type NodeSpec, type RemoteNodeSpec, type RouterSpec } from './spec.ts';
import type { Signature } from './typecheck.ts';

/** Calls a model served elsewhere (Open Inference Protocol V2 over REST or gRPC). */
export interface RemoteCaller {
  infer(node: RemoteNodeSpec, inputs: readonly Tensor[], ctx: InferContext): Promise<readonly Tensor[]>;
}

export interface RunnerDeps {
  readonly dataplane: DataPlane;
  readonly metrics?: GraphMetrics | undefined;
  readonly remote?: RemoteCaller | undefined;
  readonly random?: () => number;
  /** Aborts every shadow call still queued (the server is stopping): shadows never hold up a shutdown. */
  readonly shadowSignal?: AbortSignal;
  /** Called when a shadow call ends (the caller never waits for it); for logs. */
  readonly onShadowError?: (graph: string, node: string, error: unknown) => void;
}

interface NodeSeries {
  readonly calls: NodeCallTally;
  readonly latency: TallySeries;
}

type ModelRef = ReturnType<typeof modelRef>;

/** One request's walk through the graph: node values by name (each computed once), and the arms it took. */
interface Run {
  readonly request: InferRequest;
  readonly ctx: InferContext;
  readonly memo: Map<string, Promise<readonly Tensor[]>>;
  readonly route: Record<string, string>;
}

const MAX_SHADOWS_IN_FLIGHT = 64;
const METADATA_TTL_MS = 1000;
/** A shadow call that has not started by then is dropped: a slow candidate must not build a backlog. */
const SHADOW_DEADLINE_MS = 30_000;

/**
 * Runs one graph: pulls the output node's value, computing each node it needs once. A router computes only the arm
 * it picks (a shadow router also mirrors to its shadows, unawaited); a combiner computes all of its inputs.
 */
export class GraphRunner {
  readonly spec: GraphSpec;
  readonly signature: Signature;
  readonly routers = new Map<string, RouterState>();
  readonly #nodes: Map<string, NodeSpec>;
  readonly #deps: RunnerDeps;
  readonly #random: () => number;
  readonly #inputNames = new Map<string, { names: ReadonlySet<string>; until: number }>();
  readonly #series = new Map<string, NodeSeries>();
  /** Each model node's model, version and label, parsed once. */
  readonly #refs = new Map<string, ModelRef>();
  /**
   * The nodes from the request to the output, in order, when the graph is one chain of transformers and model
   * calls (no router, no combiner): run as a loop, without the per-node promises a general graph needs.
   */
  readonly #chain: readonly NodeSpec[] | undefined;

  constructor(spec: GraphSpec, signature: Signature, deps: RunnerDeps) {
    this.spec = spec;
    this.signature = signature;
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
    this.#nodes = new Map(spec.nodes.map((n) => [n.name, n]));
    for (const node of spec.nodes) {
      if (node.type === 'router') this.routers.set(node.name, new RouterState(node));
      if (callsModel(node)) this.#refs.set(node.name, modelRef(node));
    }
    this.#chain = chainTo(this.#nodes, spec.output);
  }

  /** The graph's answer to one request: the output node's tensors (those asked for) and the arms taken. */
  async run(request: InferRequest, ctx: InferContext): Promise<{ outputs: readonly Tensor[]; route: Readonly<Record<string, string>> }> {
    const run: Run = { request, ctx, memo: new Map(), route: {} };
    const outputs = this.#chain !== undefined ? await this.#runChain(this.#chain, run) : await this.#value(this.spec.output, run);
    if (!request.outputs || request.outputs.length === 0) return { outputs, route: run.route };
    return {
      route: run.route,
      outputs: request.outputs.map((wanted) => {
        const found = outputs.find((t) => t.name === wanted.name);
        if (!found) throw ferryError('FERRY_ERR_OUTPUT_UNKNOWN', { model: this.spec.name, output: wanted.name, expected: outputs.map((t) => t.name).join(', ') });
        return found;
      }),
    };
  }

  /** Models (and their version or label) the graph calls, with whether it needs them to be ready. */
  models(): { node: string; model: string; version?: string; label?: string; optional: boolean }[] {
    return this.spec.nodes.filter(callsModel).map((n) => ({ node: n.name, ...this.#refs.get(n.name)!, optional: (n.type === 'model' && n.optional) || this.#onlyShadow(n.name) }));
  }

  #onlyShadow(name: string): boolean {
    return this.spec.nodes.some((n) => n.type === 'router' && n.policy === 'shadow' && n.arms.slice(1).some((a) => a.node === name));
  }

  async #runChain(chain: readonly NodeSpec[], run: Run): Promise<readonly Tensor[]> {
    let current = run.request.inputs;
    for (const node of chain) {
      const started = performance.now();
      let failed = false;
      try {
        current = (node.type === 'transformer' || node.type === 'output_transformer') && node.steps !== undefined
          ? applySteps(node.steps, current, `${this.spec.name}/${node.name}`)
          : await this.#call(node as CallsModelSpec | RemoteNodeSpec, current, run);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        this.#observeNode(node, run, started, failed);
      }
    }
    return current;
  }

  #call(node: CallsModelSpec | RemoteNodeSpec, inputs: readonly Tensor[], run: Run): Promise<readonly Tensor[]> {
    if (node.type !== 'remote') return this.#callModel(node, inputs, run);
    if (!this.#deps.remote) throw ferryError('FERRY_ERR_INTERNAL', { detail: 'remote nodes are not wired' });
    return this.#deps.remote.infer(node, inputs, this.#nodeContext(run));
  }

  #value(name: string, run: Run): Promise<readonly Tensor[]> {
    let value = run.memo.get(name);
    if (value === undefined) {
      value = this.#compute(this.#nodes.get(name)!, run);
      run.memo.set(name, value);
    }
    return value;
  }

  async #inputs(node: NodeSpec & { inputs?: readonly string[] | undefined }, run: Run): Promise<readonly Tensor[]> {
    if (!node.inputs || node.inputs.length === 0) return run.request.inputs;
    if (node.inputs.length === 1) return this.#value(node.inputs[0]!, run);
    return (await Promise.all(node.inputs.map((from) => this.#value(from, run)))).flat();
  }

  async #compute(node: NodeSpec, run: Run): Promise<readonly Tensor[]> {
    if (node.type === 'router') return this.#route(node, run);
    const inputs = node.type === 'combiner' ? undefined : await this.#inputs(node, run);
    const parts = node.type === 'combiner' ? await Promise.all(node.inputs.map((from) => this.#value(from, run))) : undefined;
    const started = performance.now();
    let failed = false;
    try {
      switch (node.type) {
        case 'model':
        case 'remote':
          return await this.#call(node, inputs!, run);
        case 'transformer':
        case 'output_transformer':
          if (node.steps === undefined) return await this.#call(node as CallsModelSpec, inputs!, run);
          return applySteps(node.steps, inputs!, `${this.spec.name}/${node.name}`);
        case 'combiner': {
          const chosen = parts!.map((tensors, i) => {
            const found = node.output === undefined ? tensors[0] : tensors.find((t) => t.name === node.output);
            if (!found) throw ferryError('FERRY_ERR_OUTPUT_UNKNOWN', { model: `${this.spec.name}/${node.inputs[i]}`, output: node.output ?? '(first)', expected: tensors.map((t) => t.name).join(', ') });
            return found;
          });
          return [combine(node.method, chosen, node.weights, node.output ?? chosen[0]!.name, `${this.spec.name}/${node.name}`)];
        }
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      this.#observeNode(node, run, started, failed);
    }
  }

  #observeNode(node: NodeSpec, run: Run, started: number, failed: boolean): void {
    const ended = performance.now();
    const series = this.#nodeSeries(node);
    if (series !== undefined) {
      if (failed) series.calls.error += 1;
      else series.calls.ok += 1;
      series.latency.observe((ended - started) / 1000);
    }
    if (run.ctx.trace !== undefined) run.ctx.trace.record(`graph node ${node.name}`, started, ended, { 'ferry.graph': this.spec.name, 'ferry.graph.node': node.name, 'ferry.graph.node_type': node.type, ...(failed ? { error: true } : {}) });
  }

  /** A node's metric series, labelled once: label hashing per request would cost more than a small node. */
  #nodeSeries(node: NodeSpec): NodeSeries | undefined {
    const metrics = this.#deps.metrics;
    if (metrics === undefined) return undefined;
    let series = this.#series.get(node.name);
    if (series === undefined) {
      series = metrics.nodeSeries({ graph: this.spec.name, node: node.name, type: node.type });
      this.#series.set(node.name, series);
    }
    return series;
  }

  #nodeContext(run: Run): InferContext {
    const { deadline, signal, trace, headers } = run.ctx;
    return { protocol: 'graph', deadline, signal, trace, headers };
  }

  async #callModel(node: CallsModelSpec, inputs: readonly Tensor[], run: Run): Promise<readonly Tensor[]> {
    const ref = this.#refs.get(node.name)!;
    const wanted = this.#modelInputs(node, ref);
    const given = wanted === undefined || inputs.every((t) => wanted.has(t.name)) ? inputs : inputs.filter((t) => wanted.has(t.name));
    const request: InferRequest = run.request.parameters ? { inputs: given, parameters: run.request.parameters } : { inputs: given };
    const { deadline, signal, trace, headers } = run.ctx;
    const response = await this.#deps.dataplane.infer(ref.model, request, { protocol: 'graph', deadline, signal, trace, headers, version: ref.version, label: ref.label });
    return response.outputs;
  }

  /** The model's input names (an upstream may give more tensors than the model takes), cached for a second. */
  #modelInputs(node: CallsModelSpec, ref: ModelRef): ReadonlySet<string> | undefined {
    const now = performance.now();
    const cached = this.#inputNames.get(node.name);
    if (cached && cached.until > now) return cached.names;
    try {
      const names = new Set(this.#deps.dataplane.modelMetadata(ref.model, ref).inputs.map((t) => t.name));
      this.#inputNames.set(node.name, { names, until: now + METADATA_TTL_MS });
      return names;
    } catch {
      return undefined; // the infer call reports why the model cannot answer
    }
  }

  async #route(node: RouterSpec, run: Run): Promise<readonly Tensor[]> {
    const state = this.routers.get(node.name)!;
    const arm = this.#choose(node, state, run);
    run.route[node.name] = node.arms[arm]!.name;
    this.#deps.metrics?.armRequests.inc({ graph: this.spec.name, router: node.name, arm: node.arms[arm]!.name });
    const started = performance.now();
    let answer: readonly Tensor[];
    try {
      answer = await this.#value(node.arms[arm]!.node, run);
    } catch (error) {
      if (!isCancel(error)) state.windows[arm]!.record(performance.now() - started, true);
      throw error;
    }
    state.windows[arm]!.record(performance.now() - started, false);
    if (node.policy === 'shadow') this.#mirror(node, state, run, answer);
    return answer;
  }

  #choose(node: RouterSpec, state: RouterState, run: Run): number {
    switch (node.policy) {
      case 'split':
      case 'ab': {
        const key = stickyKey(node, run);
        const u = key === undefined ? this.#random() : stickyUniform(key, `${this.spec.name}/${node.name}`);
        return pickWeighted(state.weights, u);
      }
      case 'header': {
        const match = node.match!;
        const value = (match.parameter !== undefined ? run.request.parameters?.[match.parameter] : undefined) ?? headerValue(run.ctx, match.header);
        const arm = value === undefined ? match.default : match.values[String(value)] ?? match.default;
        return state.armIndex(arm)!;
      }
      case 'epsilon_greedy':
        return epsilonGreedy(state.stats, node.epsilon, this.#random);
      case 'thompson_sampling':
        return thompsonSampling(state.stats, this.#random);
      case 'shadow':
        return primaryArm(state.weights);
    }
  }

  /**
   * Sends a copy of the request to each shadow arm, unawaited, in a run of its own (it shares what was already
   * computed upstream, never the caller's signal): its answer is compared with the primary's and dropped; its
   * failures and slowness are counted, never seen by the caller.
   */
  #mirror(node: RouterSpec, state: RouterState, run: Run, primary: readonly Tensor[]): void {
    const metrics = this.#deps.metrics;
    const primaryIndex = primaryArm(state.weights);
    node.arms.forEach((arm, index) => {
      if (index === primaryIndex) return;
      if (node.mirror < 1 && this.#random() >= node.mirror) return;
      if (state.shadowsInFlight >= MAX_SHADOWS_IN_FLIGHT) {
        metrics?.shadowCompared.inc({ graph: this.spec.name, router: node.name, arm: arm.name, outcome: 'skipped' });
        return;
      }
      state.shadowsInFlight += 1;
      metrics?.armRequests.inc({ graph: this.spec.name, router: node.name, arm: arm.name });
      const shadowRun: Run = {
        request: run.request,
        ctx: { protocol: 'graph-shadow', headers: run.ctx.headers, signal: this.#deps.shadowSignal, deadline: Date.now() + SHADOW_DEADLINE_MS },
        memo: new Map(run.memo),
        route: {},
      };
      const started = performance.now();
      this.#value(arm.node, shadowRun).then(
        (answer) => {
          state.windows[index]!.record(performance.now() - started, false);
          const comparison = compareAnswers(primary, answer, node.tolerance);
          state.windows[index]!.compared(comparison.agree);
          metrics?.shadowCompared.inc({ graph: this.spec.name, router: node.name, arm: arm.name, outcome: comparison.agree ? 'agree' : 'disagree' });
          if (Number.isFinite(comparison.maxAbsDiff)) metrics?.shadowMaxAbsDiff.set({ graph: this.spec.name, router: node.name, arm: arm.name }, comparison.maxAbsDiff);
        },
        (error: unknown) => {
          state.windows[index]!.record(performance.now() - started, true);
          metrics?.shadowCompared.inc({ graph: this.spec.name, router: node.name, arm: arm.name, outcome: 'error' });
          this.#deps.onShadowError?.(this.spec.name, arm.node, error);
        },
      ).finally(() => {
        state.shadowsInFlight -= 1;
      });
    });
  }
}

/** The chain of nodes from the request to `output`, or undefined when the graph routes, combines or branches. */
function chainTo(nodes: ReadonlyMap<string, NodeSpec>, output: string): NodeSpec[] | undefined {
  const chain: NodeSpec[] = [];
  let node = nodes.get(output);
  while (node !== undefined) {
    if (node.type === 'router' || node.type === 'combiner') return undefined;
    if (chain.length > nodes.size) return undefined; // a cycle: validation refuses it, never loop here
    chain.push(node);
    if (!node.inputs || node.inputs.length === 0) return chain.reverse();
    if (node.inputs.length > 1) return undefined;
    node = nodes.get(node.inputs[0]!);
  }
  return undefined;
}

/** A shadow router's primary: the arm with all (the most) traffic; every other arm is mirrored. */
function primaryArm(weights: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < weights.length; i++) if (weights[i]! > weights[best]!) best = i;
  return best;
}

/** `name`, `name@label` and an explicit version, as the data plane takes them. */
export function modelRef(node: Pick<CallsModelSpec, 'model' | 'version'>): { model: string; version?: string; label?: string } {
  const at = node.model.indexOf('@');
  const model = at < 0 ? node.model : node.model.slice(0, at);
  const label = at < 0 ? undefined : node.model.slice(at + 1);
  return { model, ...(node.version !== undefined ? { version: String(node.version) } : {}), ...(label ? { label } : {}) };
}

function headerValue(ctx: InferContext, header: string | undefined): string | undefined {
  if (header === undefined || ctx.headers === undefined) return undefined;
  const value = ctx.headers[header.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function stickyKey(node: RouterSpec, run: Run): string | undefined {
  if (!node.sticky) return undefined;
  const fromParameter = node.sticky.parameter !== undefined ? run.request.parameters?.[node.sticky.parameter] : undefined;
  if (fromParameter !== undefined) return String(fromParameter);
  return headerValue(run.ctx, node.sticky.header);
}

function isCancel(error: unknown): boolean {
  return isFerryError(error) && (error.code === 'FERRY_ERR_CANCELLED' || error.code === 'FERRY_ERR_DEADLINE_EXCEEDED');
}
