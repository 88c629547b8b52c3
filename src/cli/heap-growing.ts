import { setFlagsFromString } from 'node:v8';

/**
 * Pins V8's heap growing factor at 1 + percent/100 (`runtime.heap_growing_percent`). A server's live heap is small
 * (~27 MB, mostly module code) against the request bodies streaming through it, and V8 lowers its factor towards
 * 1.1x while collections look cheap: full mark-compacts then came every ~150 ms under large-body load, each
 * stopping the event loop 7-15 ms (the 429 tail of docs/performance.md). V8 reads the flag at every collection, so
 * setting it once the configuration is known is as good as on the command line. 0 leaves the factor to V8; a
 * `--heap-growing-percent` given to node wins. Returns whether the flag was set.
 */
export function pinHeapGrowing(percent: number, execArgv: readonly string[] = process.execArgv): boolean {
  if (percent === 0 || execArgv.some((flag) => /^--heap[-_]growing[-_]percent/.test(flag))) return false;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return true;
}
