/** npm run docs:verification: regenerates docs/verification.md and docs/verification/ from the model. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateVerification } from '../sim/verification-doc.js';

const docs = join(import.meta.dirname, '..', 'docs');
const t0 = performance.now();
const { files } = generateVerification();
rmSync(join(docs, 'verification'), { recursive: true, force: true });
for (const [rel, content] of files) {
  mkdirSync(dirname(join(docs, rel)), { recursive: true });
  writeFileSync(join(docs, rel), content);
}
process.stdout.write(`wrote ${String(files.size)} files under docs/ in ${String(Math.round(performance.now() - t0))} ms\n`);
