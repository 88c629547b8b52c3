import type { FerryError } from '../errors/index.ts';
import type { GraphRunner } from './graph-runner.ts';
import type { GraphService } from './graph-service.ts';
import type { DeploymentSet } from './load-deployments.ts';

/** What one pass over the deployments changed. */
export interface DeploymentChanges {
  /** Graphs served for the first time (their state is restored from the store). */
  readonly added: readonly GraphRunner[];
  /** Graphs whose definition changed and now serve the new one (requests in flight finish on the old). */
  readonly replaced: readonly GraphRunner[];
  readonly removed: readonly string[];
  /** Graphs whose deployment does not load, newly or for a new reason: a served one keeps its old definition. */
  readonly failed: ReadonlyMap<string, FerryError>;
}

/**
 * Brings the served graphs in line with the deployments read now: serves new ones, replaces changed ones, removes
 * those whose deployment is gone. A deployment that does not load leaves the graph it defined serving as it was,
 * with the error in its status. Unchanged graphs are left alone, so a poll that finds nothing new costs nothing.
 */
export class DeploymentSync {
  readonly #service: GraphService;
  readonly #isModel: (name: string) => boolean;
  /** The definition each served graph serves, as JSON. */
  readonly #served = new Map<string, string>();
  /** Which deployment (file base name or ferry.yaml entry) each graph came from. */
  #sources = new Map<string, string>();
  /** The last error reported per graph, so that a broken file is reported once, not on every poll. */
  readonly #reported = new Map<string, string>();

  constructor(service: GraphService, isModel: (name: string) => boolean) {
    this.#service = service;
    this.#isModel = isModel;
  }

  apply(set: DeploymentSet): DeploymentChanges {
    const added: GraphRunner[] = [];
    const replaced: GraphRunner[] = [];
    const failed = new Map<string, FerryError>();
    const present = new Set<string>();
    const fail = (name: string, error: FerryError) => {
      present.add(name);
      this.#service.fail(name, error);
      if (this.#reported.get(name) !== error.message) failed.set(name, error);
      this.#reported.set(name, error.message);
    };
    for (const spec of set.graphs) {
      present.add(spec.name);
      const definition = JSON.stringify(spec);
      if (this.#served.get(spec.name) === definition && this.#service.serving(spec.name) && this.#service.staleReason(spec.name) === undefined) continue;
      const before = this.#service.serving(spec.name);
      try {
        const runner = this.#service.add(spec, this.#isModel);
        this.#served.set(spec.name, definition);
        this.#reported.delete(spec.name);
        (before ? replaced : added).push(runner);
      } catch (error) {
        fail(spec.name, error as FerryError);
      }
    }
    const sources = new Map(set.sources);
    for (const [source, error] of set.failures) {
      // A deployment that no longer reads names its graphs by where they came from.
      const names = [...this.#sources].filter(([, from]) => from === source).map(([name]) => name);
      for (const name of names.length > 0 ? names : [source]) {
        fail(name, error);
        sources.set(name, source);
      }
    }
    const removed: string[] = [];
    for (const name of this.#service.names()) {
      if (present.has(name)) continue;
      this.#service.remove(name);
      this.#served.delete(name);
      this.#reported.delete(name);
      removed.push(name);
    }
    this.#sources = sources;
    return { added, replaced, removed, failed };
  }
}
