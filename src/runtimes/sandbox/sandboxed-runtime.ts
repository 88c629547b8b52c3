import type { ModelDir, Runtime } from '../runtime.ts';
import type { LoadSandbox } from './load-sandbox.ts';
import { isSandboxedRuntime } from './sandbox-messages.ts';

/**
 * `runtime` with every load checked in `sandbox` first: the file is parsed and compiled on the sandbox thread, under
 * its memory and time limits, before this thread parses it. A version loaded as several instances is checked once.
 * A runtime the sandbox does not know is returned as it is.
 */
export function sandboxed(runtime: Runtime, sandbox: LoadSandbox): Runtime {
  const name = runtime.name;
  if (!isSandboxedRuntime(name)) return runtime;
  const checked = new WeakMap<ModelDir, Map<string, Promise<void>>>();
  return {
    name: runtime.name,
    canLoad: (dir) => runtime.canLoad(dir),
    async load(spec, ctx) {
      let byOptions = checked.get(spec.dir);
      if (!byOptions) checked.set(spec.dir, (byOptions = new Map()));
      const key = JSON.stringify(spec.options);
      let check = byOptions.get(key);
      if (!check) byOptions.set(key, (check = sandbox.check(name, spec)));
      await check;
      return runtime.load(spec, ctx);
    },
  };
}
