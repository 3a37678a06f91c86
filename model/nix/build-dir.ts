/**
 * Nix: derivation-builder.cc checkNotWorldWritable (l.723-734), which startBuild runs on build-dir
 * only when the build has a build user (l.755-756), after prepareUser and before createTempDir.
 * It lstats build-dir and every ancestor up to `/`; the first whose mode has S_IWOTH (a symlink
 * always has, lstat reports 0777) makes it throw an Error. That Error is no BuildError: it leaves
 * the goal and the worker (the goal rethrows it), so the builder's destructor cleans up while it
 * unwinds. Nothing was created yet but the build user's lease.
 */
import type { Ctx } from './context.js';
import { BUILD_DIR } from './context.js';

/** The first of build-dir and its ancestors that is world-writable or a symlink, if the check runs; else undefined. */
export function unsafeBuildDir(ctx: Ctx): string | undefined {
  if (ctx.scenario.settings.buildUsers === 0) return undefined; // `if (buildUser)`: single-user builds skip the check
  for (let p = BUILD_DIR; ; p = parentOf(p)) {
    const st = ctx.fs.lstat(ctx.daemon, p);
    if (st.ok && (st.value.kind === 'symlink' || (st.value.mode & 0o002) !== 0)) return p;
    if (p === '/') return undefined;
  }
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
