/** Building blocks shared by the built-in scenarios. */
import type { BuilderAction, Settings } from '../../model/nix/index.js';

export const DARWIN: Settings = { platform: 'darwin', sandbox: false, buildUsers: 4, keepFailed: false, nixVersion: '2.34.8' };

/** The report's builder: mkdir -p $out, then writes, no `set -e`. */
export const GODYN: readonly BuilderAction[] = [
  { op: 'mkdirP', path: '' },
  { op: 'writeFile', path: 'pkg.a', content: 'archive' },
  { op: 'writeFile', path: 'importcfg', content: 'packagefile glob' },
];

/** Like GODYN, plus a file written only while the harness flag `attempt1` exists: a stale file can only come from attempt 1. */
export const WITH_STALE: readonly BuilderAction[] = [
  { op: 'mkdirP', path: '' },
  { op: 'writeFile', path: 'pkg.a', content: 'archive' },
  { op: 'writeIfFlag', flag: 'attempt1', path: 'stale', content: 'attempt1' },
  { op: 'writeFile', path: 'importcfg', content: 'packagefile glob' },
];
