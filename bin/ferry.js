#!/usr/bin/env node
// Ferry runs its TypeScript sources directly: the pinned Node.js (>= 22.18) strips types natively.
import { setFlagsFromString } from 'node:v8';

// Request bodies are off-heap buffers: with V8's default, every ~64 MB of them (a fraction of a second at a few
// thousand large requests per second, most of them shed 429s whose bodies are read and dropped) forces a full
// mark-compact with 5-15 ms pauses. Counting external memory in the heap's global limit lets the young generation
// free them instead: the overload bench has ~2 full GCs a second with it, ~11 without (docs/performance.md).
setFlagsFromString('--external-memory-accounted-in-global-limit');
await import('../src/cli/main.ts');
