/**
 * The store as a scenario says it was before it starts: debris of earlier builds and crashes. Each
 * entry is made as root, then given to its owner (lchown) and its mode (children first, so a
 * read-only directory can still be filled): any tree can be described, whoever could have made it.
 * What cannot be laid out is reported, never skipped.
 */
import type { Creds, FsKernel, FsResult } from '../fs/index.js';
import type { Ctx, DrvInfo } from './context.js';
import { buildGid, buildUserUids, chrootParent, FIRST_BUILD_UID, NIXBLD_GID, drvOf, realScratch, resolveLinkTarget, resolveRef } from './context.js';
import { prepareSandbox } from './chroot.js';
import type { InitialNode, InitialOwner } from './types.js';

/**
 * builder1 and builder2: the first two build users the daemon would take; in a scenario with fewer,
 * the uids nixbld1 and nixbld2 would have (a leftover of an earlier configuration).
 */
function uidOf(ctx: Ctx, owner: InitialOwner): number {
  if (owner === 'root') return 0;
  const i = owner === 'builder1' ? 0 : 1;
  return buildUserUids(ctx)[i] ?? FIRST_BUILD_UID + i;
}

interface Layer {
  readonly fs: FsKernel;
  readonly root: Creds;
  readonly errors: string[];
  /** The derivation whose path the entry being laid is at (its builds' group may be its own, buildGid). */
  readonly drv?: DrvInfo;
}

function check(l: Layer, where: string, r: FsResult<unknown>): boolean {
  if (!r.ok) l.errors.push(`${where}: cannot make ${r.error.path}: ${r.error.syscall} ${r.error.errno}`);
  return r.ok;
}

/** lchown to a build user and its group; root's entries keep what creation gave them. */
function own(ctx: Ctx, l: Layer, where: string, path: string, owner: InitialOwner): void {
  if (owner === 'root') return;
  const uid = uidOf(ctx, owner);
  check(l, where, l.fs.lchown(l.root, path, uid, l.drv ? buildGid(ctx, l.drv, uid) : NIXBLD_GID));
}

function layNode(ctx: Ctx, l: Layer, where: string, path: string, node: InitialNode, inherited: InitialOwner): void {
  const owner = node.owner ?? inherited;
  switch (node.kind) {
    case 'file':
      if (!check(l, where, l.fs.writeFile(l.root, path, node.content, 0o644))) return;
      own(ctx, l, where, path, owner);
      if (node.mode !== undefined) check(l, where, l.fs.chmod(l.root, path, parseInt(node.mode, 8)));
      return;
    case 'symlink': {
      const target = resolveLinkTarget(ctx, node.target, {});
      if (target === undefined) {
        l.errors.push(`${where}.target: the final path of floating CA derivation '${typeof node.target === 'string' ? '' : node.target.drv}' is not known before it is built`);
        return;
      }
      if (check(l, where, l.fs.symlink(l.root, target, path))) own(ctx, l, where, path, owner);
      return;
    }
    case 'dir':
      layDir(ctx, l, where, path, owner, node.mode ?? '755', node.entries ?? []);
  }
}

function layDir(ctx: Ctx, l: Layer, where: string, path: string, owner: InitialOwner, mode: string, entries: readonly InitialNode[]): void {
  if (!check(l, where, l.fs.mkdir(l.root, path, 0o755))) return;
  entries.forEach((n, i) => {
    layNode(ctx, l, `${where}.entries[${String(i)}]`, `${path}/${n.name}`, n, owner);
  });
  own(ctx, l, where, path, owner);
  check(l, where, l.fs.chmod(l.root, path, parseInt(mode, 8)));
}

/** Lays every `initial` entry of the scenario into `fs` as the daemon (root); returns what could not be made. */
export function layInitial(fs: FsKernel, ctx: Ctx): string[] {
  const l: Layer = { fs, root: ctx.daemon, errors: [] };
  (ctx.scenario.initial ?? []).forEach((e, i) => {
    const where = `initial[${String(i)}]`;
    const path = resolveRef(ctx, e.at, {});
    if (path === undefined) {
      l.errors.push(`${where}.at: the final path of floating CA derivation '${e.at.drv}' is not known before it is built`);
      return;
    }
    const d = drvOf(ctx, e.at.drv);
    const real = e.at.which === 'scratch' ? realScratch(ctx, d, path) : path;
    // debris inside a chroot: a crashed sandboxed build left the chroot itself
    if (real !== path && !fs.lstat(ctx.daemon, chrootParent(d)).ok) prepareSandbox(ctx, d, ctx.scenario.settings.buildUsers === 0 ? undefined : e.owner === 'root' ? buildUserUids(ctx)[0] : uidOf(ctx, e.owner));
    const files: InitialNode[] = Object.entries(e.files ?? {}).map(([name, content]) => ({ kind: 'file', name, content }));
    layDir(ctx, { ...l, drv: d }, where, real, e.owner, e.mode, [...files, ...(e.entries ?? [])]);
  });
  return l.errors;
}
