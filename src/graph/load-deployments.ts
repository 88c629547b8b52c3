import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { asFerryError, ferryError, type FerryError } from '../errors/index.ts';
import { parseGraph } from './parse.ts';
import { isSeldonDeployment, seldonToGraphs } from './seldon-import.ts';
import type { GraphSpec } from './spec.ts';

export interface DeploymentSet {
  readonly graphs: readonly GraphSpec[];
  /** Deployments that could not be read, by graph (or file) name, with why: served as not ready. */
  readonly failures: ReadonlyMap<string, FerryError>;
  /** Where each graph came from: its file's base name, or its ferry.yaml entry's name (the keys of `failures`). */
  readonly sources: ReadonlyMap<string, string>;
}

const FILE = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,127})\.ya?ml$/;

/**
 * Every deployment: the `.yaml` files of `dir` (a missing folder holds none) and the entries of ferry.yaml
 * `graphs.deployments`. A file may hold a Ferry graph or a SeldonDeployment (one graph per predictor set).
 */
export async function loadDeployments(dir: string, entries: Readonly<Record<string, Readonly<Record<string, unknown>>>>): Promise<DeploymentSet> {
  const graphs: GraphSpec[] = [];
  const failures = new Map<string, FerryError>();
  const sources = new Map<string, string>();
  let files: string[] = [];
  try {
    files = (await readdir(dir)).filter((f) => FILE.test(f)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const file of files) {
    const base = FILE.exec(file)![1]!;
    try {
      for (const graph of readDeployment(await readFile(path.join(dir, file), 'utf8'), base)) {
        graphs.push(graph);
        sources.set(graph.name, base);
      }
    } catch (error) {
      // Deleted between the listing and the read: it is simply gone.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      failures.set(base, asFerryError(error));
    }
  }
  for (const [name, document] of Object.entries(entries)) {
    try {
      for (const graph of deploymentGraphs(document, name)) {
        graphs.push(graph);
        sources.set(graph.name, name);
      }
    } catch (error) {
      failures.set(name, asFerryError(error));
    }
  }
  const seen = new Set<string>();
  for (const graph of graphs) {
    if (seen.has(graph.name)) failures.set(graph.name, ferryError('FERRY_ERR_GRAPH_INVALID', { graph: graph.name, node: '-', detail: 'two deployments declare this graph' }));
    seen.add(graph.name);
  }
  return { graphs: graphs.filter((g) => !failures.has(g.name)), failures, sources };
}

/** One deployment file's text as graphs. */
export function readDeployment(text: string, fallbackName: string): GraphSpec[] {
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: fallbackName, node: '-', detail: `not YAML: ${(error as Error).message}` });
  }
  return deploymentGraphs(document, fallbackName);
}

function deploymentGraphs(document: unknown, fallbackName: string): GraphSpec[] {
  if (isSeldonDeployment(document)) return seldonToGraphs(document, fallbackName);
  return [parseGraph(document, fallbackName)];
}
