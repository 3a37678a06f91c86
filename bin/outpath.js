#!/usr/bin/env node
// The published entry point. `npm ci` bundles the CLI into dist/ (the `prepare` script,
// scripts/bundle.ts), which starts in a fraction of the time TypeScript through tsx takes; the
// sources run through tsx's loader when there is no bundle, or when a source is newer than it
// (an edited checkout must never run stale code). OUTPATH_FROM_SOURCES=1 always runs the sources.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const bundle = new URL('dist/outpath.js', root);

function newestSource() {
  let newest = 0;
  for (const dir of ['model', 'sim']) {
    for (const e of readdirSync(new URL(dir, root), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && /\.(ts|js|json|py|sh)$/.test(e.name)) newest = Math.max(newest, statSync(`${e.parentPath}/${e.name}`).mtimeMs);
    }
  }
  return newest;
}

function fresh() {
  if (process.env.OUTPATH_FROM_SOURCES === '1') return false;
  try {
    return statSync(bundle).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

if (fresh()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../sim/main.ts');
}
