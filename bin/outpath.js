#!/usr/bin/env node
// The published entry point: sources are TypeScript, run through tsx's loader so no build step is needed.
import { register } from 'tsx/esm/api';
register();
await import('../sim/main.ts');
