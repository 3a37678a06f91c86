/** npm run docs:gen: regenerates docs/lifecycle.md (the build lifecycle diagram) from the model. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateLifecycle } from '../sim/lifecycle.js';

const t0 = performance.now();
const file = join(import.meta.dirname, '..', 'docs', 'lifecycle.md');
writeFileSync(file, generateLifecycle());
process.stdout.write(`wrote docs/lifecycle.md in ${String(Math.round(performance.now() - t0))} ms\n`);
