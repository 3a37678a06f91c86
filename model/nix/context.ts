/**
 * The fixed facts of one run: scenario, variant, kernel, derivation paths, users.
 * Computed once; transitions read it, never change it.
 */
import type { Creds, FsKernel } from '../fs/index.js';
import { creds, ROOT } from '../fs/index.js';
import { makeFallbackPath, makeStorePath, outputPathName, STORE_DIR } from './store-path.js';
import type { DerivationSpec, LinkTarget, PathRef, Scenario } from './types.js';
import type { Variant } from './variants.js';
import { sandboxDecision } from './sandbox.js';

export const NIXBLD_GID = 30000;
export const FIRST_BUILD_UID = 30001;
/** auto-allocate-uids: the default `start-id` (local-settings.hh) and the uids a slot spans (user-lock.hh maxIdsPerBuild). */
export const AUTO_START_ID = 872415232;
export const IDS_PER_SLOT = 65536;
export const BUILD_DIR = '/nix/var/nix/builds';
export const USERPOOL_DIR = '/nix/var/nix/userpool';
/** Where getCgroupFS finds the cgroup2 hierarchy mounted (the first `cgroup2` in /proc/mounts). */
export const CGROUP_FS = '/sys/fs/cgroup';
/** The daemon's own cgroup (getRootCgroup), as systemd's nix-daemon.service unit places it. */
export const ROOT_CGROUP = `${CGROUP_FS}/system.slice/nix-daemon.service`;
/** `<stateDir>/cgroups`: the cgroup each build user last used (linux-derivation-builder.cc l.357). */
export const CGROUP_RECORD_DIR = '/nix/var/nix/cgroups';

export interface DrvInfo {
  readonly spec: DerivationSpec;
  readonly drvPath: string;
  /** The output path known before the build (input-addressed), absent for floating CA. */
  readonly knownPath?: string;
  /** makeFallbackPath(outputName): the floating CA scratch path. */
  readonly fallbackPath: string;
  /** Nix: acquireResources lock set: `<out>.lock` for known outputs, `<drv>.<output>.lock` otherwise. */
  readonly lockPath: string;
  /** The output these paths are of: `out`, or for a multi-output derivation the one this view is of. */
  readonly output: string;
  /** A multi-output derivation's outputs, each as its own view (sorted by name); absent for one output. */
  readonly outputs?: readonly DrvInfo[];
}

export interface Ctx {
  readonly scenario: Scenario;
  readonly variant: Variant;
  readonly fs: FsKernel;
  readonly drvs: ReadonlyMap<string, DrvInfo>;
  /** The daemon: root with the umask initNix sets (libmain/shared.cc umask(0022)). */
  readonly daemon: Creds;
}

/** The output names of a derivation, sorted as upstream's drv.outputs map is (absent: `out` alone). */
export function outputNames(spec: DerivationSpec): readonly string[] {
  return spec.outputs ? [...spec.outputs].sort() : ['out'];
}

function outputView(spec: DerivationSpec, drvPath: string, output: string): DrvInfo {
  const knownPath =
    spec.kind === 'input-addressed' ? makeStorePath(`output:${output}:${drvPath}`, outputPathName(spec.name, output)) : undefined;
  const fallbackPath = makeFallbackPath(drvPath, spec.name, output);
  const lockPath = knownPath ? `${knownPath}.lock` : `${drvPath}.${output}.lock`;
  return { spec, drvPath, fallbackPath, lockPath, output, ...(knownPath ? { knownPath } : {}) };
}

export function drvInfo(spec: DerivationSpec): DrvInfo {
  // __noChroot is an attribute of the .drv, so it changes the drv path (left out when unset: paths stay as they were)
  const attrs = spec.noChroot === true ? ':__noChroot' : '';
  // so are the output names (left out for the single `out`, so its paths stay as they were)
  const names = outputNames(spec);
  const outs = spec.outputs === undefined || (names.length === 1 && names[0] === 'out') ? '' : `:outputs=${names.join(',')}`;
  const drvPath = makeStorePath(`drv:${spec.kind}:${spec.name}:${JSON.stringify(spec.program)}${attrs}${outs}`, `${spec.name}.drv`);
  const views = names.map((o) => outputView(spec, drvPath, o));
  const first = views[0] ?? outputView(spec, drvPath, 'out');
  return views.length > 1 ? { ...first, outputs: views } : first;
}

/** The view of `d` for output `name` (its known, fallback and lock paths); `d` itself when it has one output. */
export function outputOf(d: DrvInfo, name: string | undefined): DrvInfo {
  if (name === undefined || d.outputs === undefined) return d;
  const v = d.outputs.find((o) => o.output === name);
  if (!v) throw new Error(`model bug: derivation ${d.spec.id} has no output ${name}`);
  return v;
}

/** Every output's view: the outputs of a multi-output derivation, else `d` alone. */
export function outputViews(d: DrvInfo): readonly DrvInfo[] {
  return d.outputs ?? [d];
}

/**
 * drvInfo per spec object: specs are immutable, and every probe and clean build makes a context of
 * its own from the same specs (each drv path is a SHA-256 over the program).
 */
const infos = new WeakMap<DerivationSpec, DrvInfo>();

function drvInfoOf(spec: DerivationSpec): DrvInfo {
  let d = infos.get(spec);
  if (!d) infos.set(spec, (d = drvInfo(spec)));
  return d;
}

export function makeCtx(scenario: Scenario, variant: Variant, fs: FsKernel): Ctx {
  const drvs = new Map(scenario.derivations.map((d) => [d.id, drvInfoOf(d)] as const));
  return { scenario, variant, fs, drvs, daemon: ROOT };
}

export function drvOf(ctx: Ctx, id: string): DrvInfo {
  const d = ctx.drvs.get(id);
  if (!d) throw new Error(`model bug: unknown derivation ${id}`);
  return d;
}

/**
 * Build users in the order they are tried: SimpleUserLock::acquire iterates gr_mem in
 * group-membership order; AutoUserLock::acquire tries slot 0, 1, … (user-lock.cc l.180, uid l.191).
 */
export function buildUserUids(ctx: Ctx): readonly number[] {
  const settings = ctx.scenario.settings;
  let uids = uidsBySettings.get(settings);
  if (!uids) {
    const auto = settings.autoAllocateUids === true;
    uids = Object.freeze(Array.from({ length: settings.buildUsers }, (_, i) => (auto ? AUTO_START_ID + IDS_PER_SLOT * i : FIRST_BUILD_UID + i)));
    uidsBySettings.set(settings, uids);
  }
  return uids;
}

/** Per settings object (immutable): every user lock and design hook asks for the list. */
const uidsBySettings = new WeakMap<Scenario['settings'], readonly number[]>();

/**
 * The name of a uid the model uses: root, a build user as the installers name them (nixbldN,
 * darwin _nixbldN), or for an auto-allocated uid, which has no passwd entry, `uid<N>` (what the
 * real-daemon harness prints for it too). Traces, observations and notes all name users here.
 */
export function nameOfUid(uid: number, platform: Scenario['settings']['platform']): string {
  if (uid === 0) return 'root';
  if (uid >= AUTO_START_ID) return `uid${String(uid)}`;
  return `${platform === 'darwin' ? '_nixbld' : 'nixbld'}${String(uid - FIRST_BUILD_UID + 1)}`;
}

export function userName(ctx: Ctx, uid: number): string {
  return nameOfUid(uid, ctx.scenario.settings.platform);
}

/**
 * The group of build user `uid` (UserLock::getGID): nixbld, except for an auto-allocated uid in a
 * sandbox, whose user namespace makes its group the uid itself (user-lock.cc l.200-201; the
 * chroot builder asks for a user namespace, linux-derivation-builder.cc l.326-327, the plain one
 * does not, derivation-builder.cc l.274, and takes build-users-group's, user-lock.cc l.202-206).
 */
export function buildGid(ctx: Ctx, d: DrvInfo, uid: number): number {
  return ctx.scenario.settings.autoAllocateUids === true && usesChroot(ctx, d) ? uid : NIXBLD_GID;
}

export function groupName(gid: number): string {
  return gid === 0 ? 'root' : gid === NIXBLD_GID ? 'nixbld' : String(gid);
}

/** Credentials the builder process runs with (derivation-builder.cc setUser): the build user and group, umask 022. */
export function builderCreds(uid: number, gid = NIXBLD_GID): Creds {
  return uid === 0 ? ROOT : creds(uid, gid, [gid], 0o022);
}

/** The store path a PathRef names, if it is known in this state. */
export function resolveRef(ctx: Ctx, ref: PathRef, realisations: Readonly<Record<string, string>>): string | undefined {
  const d = outputOf(drvOf(ctx, ref.drv), ref.output);
  switch (ref.which) {
    case 'scratch':
      return d.knownPath ?? d.fallbackPath;
    case 'lock':
      return d.lockPath;
    case 'final':
      return d.knownPath ?? realisations[realisationKey(d)];
  }
}

/** The realisations table's key of an output: drvPath!outputName (DrvOutput). */
export function realisationKey(d: DrvInfo): string {
  return `${d.drvPath}!${d.output}`;
}

/** A symlink body as the builder writes it: literal, or another derivation's path once it is known. */
export function resolveLinkTarget(ctx: Ctx, t: LinkTarget, realisations: Readonly<Record<string, string>>): string | undefined {
  if (typeof t === 'string') return t;
  const base = resolveRef(ctx, t, realisations);
  return base === undefined ? undefined : t.path ? `${base}/${t.path}` : base;
}

export { STORE_DIR };

/**
 * Whether a build of `d` runs in a chroot: makeDerivationBuilder chose ChrootLinuxDerivationBuilder
 * (sandbox.ts). A build whose settings make it throw never reaches anything that asks.
 */
export function usesChroot(ctx: Ctx, d: DrvInfo): boolean {
  const decision = sandboxDecision(ctx.scenario.settings, d.spec, d.drvPath);
  return decision.kind === 'builder' && decision.chroot;
}

/** chroot-derivation-builder.cc prepareSandbox: chrootParentDir = toRealPath(drvPath) + ".chroot". */
export function chrootParent(d: DrvInfo): string {
  return `${d.drvPath}.chroot`;
}

/** Where the scratch output really lives on the host (chroot-derivation-builder.cc realPathInHost, l.150). */
export function realScratch(ctx: Ctx, d: DrvInfo, scratch: string): string {
  return usesChroot(ctx, d) ? `${chrootParent(d)}/root${scratch}` : scratch;
}
