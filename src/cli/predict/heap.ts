import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * A full garbage collection now. A scoring run keeps ~20 MB alive but allocates its input's size several times
 * over; V8 grows the heap far past the live size between major collections when they look cheap or its background
 * threads are starved of CPU (a loaded machine), so the peak RSS would follow the machine's load instead of the
 * run. Collecting every few batches keeps it bounded for a few milliseconds each. V8 only hands `gc` out when
 * asked for at start-up, or, as here, to a context made after the flag is set.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
