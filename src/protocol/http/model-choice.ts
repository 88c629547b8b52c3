import { ferryError } from '../../errors/index.ts';
import type { DataPlane } from '../../dataplane/index.ts';

/**
 * The model a single-model protocol (Seldon, MLflow) addresses: the one named in the path, else the one in the
 * `ferry-model` header, else the only model that has a ready version (or the only model at all).
 * Anything else asks the client to name one.
 */
export function chooseModel(
  dataplane: DataPlane,
  fromPath: string | undefined,
  header: string | string[] | undefined,
  howToName: string,
): string {
  if (fromPath !== undefined) return fromPath;
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader !== undefined && fromHeader !== '') return fromHeader;
  const ready = [...new Set(dataplane.repositoryIndex(true).map((entry) => entry.name))];
  if (ready.length === 1) return ready[0]!;
  if (ready.length === 0) {
    // One model that is still loading (or failed): name it, so the data plane answers with its real state.
    const known = [...new Set(dataplane.repositoryIndex(false).map((entry) => entry.name))];
    if (known.length === 1) return known[0]!;
  }
  const served = ready.length === 0 ? 'no model is ready' : `${ready.length} models are ready (${ready.slice(0, 10).join(', ')})`;
  throw ferryError('FERRY_ERR_INVALID_REQUEST', { detail: `this path serves a single model but ${served}; ${howToName}` });
}
