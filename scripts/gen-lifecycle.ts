/**
 * npm run docs:gen: regenerates docs/lifecycle.md (the build lifecycle diagram) from the model, then
 * refreshes what docs/README.md copies: that diagram, and the seed-487 verdict rows of
 * docs/verification.md (regenerate that first with npm run docs:verification).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateLifecycle, refreshReadme } from '../sim/lifecycle.js';

const docs = join(import.meta.dirname, '..', 'docs');
const t0 = performance.now();
const lifecycle = generateLifecycle();
writeFileSync(join(docs, 'lifecycle.md'), lifecycle);
const readme = join(docs, 'README.md');
writeFileSync(readme, refreshReadme(readFileSync(readme, 'utf8'), lifecycle, readFileSync(join(docs, 'verification.md'), 'utf8')));
process.stdout.write(`wrote docs/lifecycle.md and refreshed docs/README.md in ${String(Math.round(performance.now() - t0))} ms\n`);
