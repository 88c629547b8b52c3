import { ferryError } from '../errors/index.ts';
import type { GraphSpec } from './spec.ts';

export function isSeldonDeployment(document: unknown): boolean {
  return typeof document === 'object' && document !== null && (document as { kind?: unknown }).kind === 'SeldonDeployment';
}

export function seldonToGraphs(_document: unknown, fallbackName: string): GraphSpec[] {
  throw ferryError('FERRY_ERR_SELDON_UNSUPPORTED', { where: fallbackName, detail: 'SeldonDeployment files are not read by this Ferry' });
}
