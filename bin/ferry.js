#!/usr/bin/env node
// Ferry runs its TypeScript sources directly: the pinned Node.js (>= 22.18) strips types natively.
import { setFlagsFromString } from 'node:v8';

// Request bodies are off-heap buffers: with V8's default, every ~64 MB of them (a fraction of a second at a few
// thousand large requests per second, most of them shed 429s whose bodies are read and dropped) forces a full
// mark-compact with 5-15 ms pauses. Counting external memory in the heap's global limit lets the young generation
// free them instead; the overload bench goes from ~11 to ~2 full GCs a second (docs/performance.md).
setFlagsFromString('--external-memory-accounted-in-global-limit');
// A server's live heap is small (~27 MB, most of it module code) against the bodies streaming through it, and V8
// lowers its heap growing factor towards 1.1x when collections look cheap: full mark-compacts then come every
// ~150 ms under large-body load, each stopping the event loop for 7-15 ms (the 429 tail). Pinning the factor at
// V8's own maximum (4x) cuts them ~4-fold (docs/performance.md). A `--heap-growing-percent` given to node wins.
if (!process.execArgv.some((flag) => /^--heap[-_]growing[-_]percent/.test(flag))) setFlagsFromString('--heap-growing-percent=300');
await import('../src/cli/main.ts');
