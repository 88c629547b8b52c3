import { modelRef } from './graph-runner.ts';
import { callsModel, type GraphSpec } from './spec.ts';

/** The `model@alias` references of these graphs, per model (nodes that name a version take no alias). */
export function modelAliases(graphs: readonly GraphSpec[]): Map<string, Set<string>> {
  const aliases = new Map<string, Set<string>>();
  for (const graph of graphs) {
    for (const node of graph.nodes) {
      if (!callsModel(node)) continue;
      const ref = modelRef(node);
      if (ref.label === undefined || ref.version !== undefined) continue;
      let set = aliases.get(ref.model);
      if (set === undefined) aliases.set(ref.model, set = new Set());
      set.add(ref.label);
    }
  }
  return aliases;
}
