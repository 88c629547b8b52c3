import { randomUUID } from 'node:crypto';
import { ferryError, isFerryError, type FerryError } from '../errors/index.ts';
import type { DataPlane, Feedback, GraphHost, InferContext, ModelMetadata } from '../dataplane/index.ts';
import type { GraphMetrics } from '../observe/graph-metrics.ts';
import type { InferRequest, InferResponse } from '../tensor/index.ts';
import { GraphRunner, modelRef, type RemoteCaller } from './graph-runner.ts';
import { RouteMemory, formatRoute } from './route-memory.ts';
import { clipReward } from './routers/bandits.ts';
import type { GraphSpec, RouterSpec } from './spec.ts';
import { typecheck, type Signature } from './typecheck.ts';

export const GRAPH_PLATFORM = 'ferry_graph';

/** Platforms of models served from code: what a transformer node may run instead of built-in steps. */
const CODE_PLATFORMS: ReadonlySet<string> = new Set(['python', 'js', 'mlflow_python_function']);

export interface GraphServiceOptions {
  readonly shadowSignal?: AbortSignal;
  readonly dataplane: DataPlane;
  readonly metrics?: GraphMetrics | undefined;
  readonly remote?: RemoteCaller | undefined;
  readonly random?: () => number;
  readonly onShadowError?: (graph: string, node: string, error: unknown) => void;
}

interface Loaded {
  runner: GraphRunner;
  /** False while a model node was not loaded at validation: checked again once it is. */
  complete: boolean;
}

/** The graphs a server serves, as models under their own names (the data plane's GraphHost). */
export class GraphService implements GraphHost {
  readonly #graphs = new Map<string, Loaded>();
  readonly #options: GraphServiceOptions;
  readonly #routes = new RouteMemory();
  /** Deployments that failed to load or validate: known by name, not ready, answering with their error. */
  readonly #failed = new Map<string, FerryError>();
  /** Served graphs whose deployment changed into something that does not load: they serve on, with why. */
  readonly #stale = new Map<string, FerryError>();

  constructor(options: GraphServiceOptions) {
    this.#options = options;
  }

  /**
   * Validates a graph against the models being served and serves it (replacing one of the same name). Throws
   * FERRY_ERR_GRAPH_INVALID naming the node for an unknown model or mismatched nodes.
   */
  add(spec: GraphSpec, isModel: (name: string) => boolean): GraphRunner {
    if (isModel(spec.name)) throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: spec.name, node: '-', detail: 'a model of the same name is served; graphs and models share one namespace' });
    const { signature, complete } = this.#check(spec);
    const runner = new GraphRunner(spec, signature, this.#options);
    this.#failed.delete(spec.name);
    this.#stale.delete(spec.name);
    const previous = this.#graphs.get(spec.name);
    if (previous) carryState(previous.runner, runner);
    this.#graphs.set(spec.name, { runner, complete });
    return runner;
  }

  /** Keeps a deployment that could not be served under its name, not ready, with its error. */
  fail(name: string, error: FerryError): void {
    if (this.#graphs.has(name)) this.#stale.set(name, error);
    else this.#failed.set(name, error);
  }

  remove(name: string): boolean {
    this.#failed.delete(name);
    this.#stale.delete(name);
    return this.#graphs.delete(name);
  }

  /** True while a definition of the graph serves (perhaps one its deployment has since replaced with a broken one). */
  serving(name: string): boolean {
    return this.#graphs.has(name);
  }

  /** Why the graph serves a definition older than its deployment's (the new one did not load), else undefined. */
  staleReason(name: string): string | undefined {
    const stale = this.#stale.get(name);
    return stale === undefined ? undefined : `serving the previous definition; ${stale.message}`;
  }

  runners(): GraphRunner[] {
    return [...this.#graphs.values()].map((g) => g.runner);
  }

  runner(name: string): GraphRunner {
    const loaded = this.#graphs.get(name);
    if (!loaded) throw ferryError('FERRY_ERR_GRAPH_NOT_FOUND', { graph: name });
    return loaded.runner;
  }

  #check(spec: GraphSpec): { signature: Signature; complete: boolean } {
    let complete = true;
    const signature = typecheck(spec, (node) => {
      const ref = modelRef(node);
      let metadata: ModelMetadata;
      let numericInputs: 'convert' | undefined;
      try {
        metadata = this.#options.dataplane.modelMetadata(ref.model, ref);
        numericInputs = this.#options.dataplane.numericInputs(ref.model, ref);
      } catch (error) {
        if (isFerryError(error) && error.code === 'FERRY_ERR_MODEL_NOT_READY') {
          complete = false;
          return undefined;
        }
        const detail = isFerryError(error) ? error.message : String(error);
        throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: spec.name, node: node.name, detail });
      }
      if (node.type !== 'model' && !CODE_PLATFORMS.has(metadata.platform)) {
        const detail = `a transformer runs a model served from code (model.py, a JS defineModel, an MLflow python_function); '${ref.model}' is ${metadata.platform}: call it with a model node`;
        throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: spec.name, node: node.name, detail });
      }
      return { inputs: metadata.inputs, outputs: metadata.outputs, ...(numericInputs ? { numericInputs } : {}) };
    });
    return { signature, complete };
  }

  has(name: string): boolean {
    return this.#graphs.has(name) || this.#failed.has(name);
  }

  names(): readonly string[] {
    return [...this.#graphs.keys(), ...this.#failed.keys()];
  }

  failures(): ReadonlyMap<string, FerryError> {
    return this.#failed;
  }

  metadata(name: string): ModelMetadata {
    const failure = this.#failed.get(name);
    if (failure) throw failure;
    const loaded = this.#graphs.get(name)!;
    if (!loaded.complete) {
      // A model that was loading at validation may be there now: check again and learn the signature.
      const { signature, complete } = this.#check(loaded.runner.spec);
      if (complete) {
        const runner = new GraphRunner(loaded.runner.spec, signature, this.#options);
        carryState(loaded.runner, runner);
        this.#graphs.set(name, { runner, complete });
      }
    }
    const { signature } = this.#graphs.get(name)!.runner;
    return { name, versions: ['1'], platform: GRAPH_PLATFORM, inputs: signature.inputs, outputs: signature.outputs };
  }

  unavailable(name: string): string | undefined {
    const failure = this.#failed.get(name);
    if (failure) return failure.message;
    const { runner } = this.#graphs.get(name)!;
    const waiting: string[] = [];
    for (const m of runner.models()) {
      if (m.optional) continue;
      let ready = false;
      try {
        ready = this.#options.dataplane.modelReady(m.model, m);
      } catch (error) {
        waiting.push(`${m.node}: ${(error as Error).message}`);
        continue;
      }
      if (!ready) waiting.push(`${m.node}: model '${m.model}' is not ready`);
    }
    return waiting.length === 0 ? undefined : `required nodes not ready (${waiting.join('; ')})`;
  }

  async infer(name: string, request: InferRequest, ctx: InferContext): Promise<InferResponse> {
    const failure = this.#failed.get(name);
    if (failure) throw failure;
    const runner = this.#graphs.get(name)!.runner;
    const { outputs, route } = await runner.run(request, ctx);
    if (runner.routers.size === 0 || Object.keys(route).length === 0) {
      // Nothing to give feedback on: the answer is a model's (an id only when the request gave one).
      return request.id === undefined ? { modelName: name, modelVersion: '1', outputs } : { modelName: name, modelVersion: '1', id: request.id, outputs };
    }
    // A routed answer always has an id: feedback names it.
    const id = request.id ?? randomUUID();
    this.#routes.remember(id, route);
    return { modelName: name, modelVersion: '1', id, parameters: { ferry_route: formatRoute(route) }, outputs };
  }

  armIndices(name: string, route: Readonly<Record<string, string>>): Record<string, number> {
    const runner = this.#graphs.get(name)?.runner;
    const indices: Record<string, number> = {};
    for (const [router, arm] of Object.entries(route)) {
      const index = runner?.routers.get(router)?.armIndex(arm);
      if (index !== undefined) indices[router] = index;
    }
    return indices;
  }

  /**
   * Credits a reward to the arms that answered a request (from the routing given, else from the routes of recent
   * answers). Rewards go to bandits clipped to [0, 1]; every router counts them in its metrics.
   */
  async feedback(name: string, feedback: Feedback): Promise<{ readonly routing: Readonly<Record<string, string>> }> {
    const failure = this.#failed.get(name);
    if (failure) throw failure;
    const runner = this.#graphs.get(name)!.runner;
    const given = feedback.routing !== undefined && Object.keys(feedback.routing).length > 0 ? feedback.routing : undefined;
    const routing = given ?? (feedback.requestId !== undefined ? this.#routes.get(feedback.requestId) : undefined);
    if (routing === undefined) throw ferryError('FERRY_ERR_FEEDBACK_ROUTE_UNKNOWN', { graph: name, request_id: feedback.requestId ?? '(none given)' });
    const credited: Record<string, string> = {};
    for (const [router, arm] of Object.entries(routing)) {
      const state = runner.routers.get(router);
      if (!state) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `graph '${name}' has no router '${router}'` });
      const index = state.armIndex(typeof arm === 'string' && /^[0-9]+$/.test(arm) && state.armIndex(arm) === undefined ? Number(arm) : arm);
      if (index === undefined) throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `router '${router}' of graph '${name}' has no arm '${arm}'` });
      const armName = state.spec.arms[index]!.name;
      state.credit(index, clipReward(feedback.reward));
      credited[router] = armName;
      const metrics = this.#options.metrics;
      metrics?.armFeedback.inc({ graph: name, router, arm: armName });
      if (feedback.reward > 0) metrics?.armReward.inc({ graph: name, router, arm: armName }, feedback.reward);
    }
    return { routing: credited };
  }
}

/**
 * A reloaded graph keeps what its routers learnt, for arms of the same name, and the weights they were given at
 * run time (with the gates' progress) where the router's arms and policy did not change.
 */
function carryState(from: GraphRunner, to: GraphRunner): void {
  for (const [name, next] of to.routers) {
    const before = from.routers.get(name);
    if (!before) continue;
    if (sameTraffic(before.spec, next.spec)) {
      next.weights = [...before.weights];
      next.gateStep = before.gateStep;
      next.gateStatus = before.gateStatus;
    }
    next.spec.arms.forEach((arm, i) => {
      const j = before.armIndex(arm.name);
      if (j === undefined) return;
      next.stats[i] = { ...before.stats[j]! };
      next.pending[i] = { ...before.pending[j]! };
    });
  }
}

function sameTraffic(a: RouterSpec, b: RouterSpec): boolean {
  return a.policy === b.policy && JSON.stringify(a.arms) === JSON.stringify(b.arms) && JSON.stringify(a.gates) === JSON.stringify(b.gates);
}
