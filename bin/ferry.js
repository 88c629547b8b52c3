#!/usr/bin/env node
// Ferry runs its TypeScript sources directly: the pinned Node.js (>= 22.18) strips types natively.
import '../src/cli/main.ts';
