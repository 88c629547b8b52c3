import { parse as parseYaml } from 'yaml';
import { ferryError } from '../errors/index.ts';
import { graphSchema, type GraphSpec } from './spec.ts';
import { checkStructure } from './structure.ts';

/**
 * A deployment (parsed YAML or a ferry.yaml `graphs:` entry) as a checked GraphSpec: schema, names, references,
 * cycles and weights. Errors name the graph and the node.
 */
export function parseGraph(input: unknown, fallbackName: string): GraphSpec {
  const result = graphSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const nodes = (input as { nodes?: unknown } | null)?.nodes;
    const index = issue.path[0] === 'nodes' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
    const named = index !== undefined && Array.isArray(nodes) ? (nodes[index] as { name?: unknown } | undefined)?.name : undefined;
    const node = typeof named === 'string' ? named : index !== undefined ? `#${index + 1}` : '-';
    const where = issue.path.slice(index !== undefined ? 2 : 0).join('.');
    throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: graphNameOf(input, fallbackName), node, detail: `${where ? `${where}: ` : ''}${issue.message}` });
  }
  const spec: GraphSpec = { ...result.data, name: result.data.name ?? fallbackName, output: result.data.output ?? result.data.nodes.at(-1)!.name };
  checkStructure(spec);
  return spec;
}

/** A deployment file's text as a GraphSpec; the file's base name is the graph's name unless it names one. */
export function parseGraphYaml(text: string, fallbackName: string): GraphSpec {
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw ferryError('FERRY_ERR_GRAPH_INVALID', { graph: fallbackName, node: '-', detail: `not YAML: ${(error as Error).message}` });
  }
  return parseGraph(document, fallbackName);
}

function graphNameOf(input: unknown, fallback: string): string {
  const name = (input as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : fallback;
}
