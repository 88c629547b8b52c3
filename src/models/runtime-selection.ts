import { didYouMean, ferryError } from '../errors/index.ts';
import type { ModelDir, Runtime } from '../runtimes/runtime.ts';
import { loadHint } from './load-hints.ts';

/** The runtime named in model.yaml, or the first registered runtime that recognises the files. */
export async function selectRuntime(model: string, runtimes: readonly Runtime[], dir: ModelDir, named?: string): Promise<Runtime> {
  if (named !== undefined) {
    const runtime = runtimes.find((r) => r.name === named);
    if (!runtime) {
      throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', { model, detail: `model.yaml runtime: unknown runtime '${named}'${didYouMean(named, runtimes.map((r) => r.name))}; expected ${runtimes.map((r) => r.name).join(' | ')}` });
    }
    return runtime;
  }
  for (const runtime of runtimes) if (await runtime.canLoad(dir)) return runtime;
  const hint = loadHint(dir.files);
  throw ferryError('FERRY_ERR_MODEL_LOAD_FAILED', {
    model,
    detail: `no runtime recognises the files in ${dir.path} (${dir.files.slice(0, 5).join(', ') || 'empty'}); ${hint ?? 'set runtime: in model.yaml'}`,
  });
}
