/**
 * The daemon's file operations as the fault injector (fault-inject.c) sees them: which model
 * syscalls it can hold at, and the glob a model path becomes on the real daemon. The two calls Nix
 * 2.34.8 makes through libc's syscall(2) wrapper (openat2 for the files restorePath creates below a
 * directory, fchmodat2 for _deletePath's chmod) are seen there too. Shared by the plan maker
 * (from-fault-trace.ts) and the plan's reading under other variants (predict-fault-plan.ts).
 */
import type { DaemonOp } from './plan.js';

/** The injector's name for a model syscall by the daemon, and the path it is made on; undefined if it cannot be hooked. */
export function hookable(syscall: string, args: readonly (string | number | boolean)[]): { op: DaemonOp; path: string } | undefined {
  const p = typeof args[0] === 'string' ? args[0] : undefined;
  switch (syscall) {
    case 'mkdir':
    case 'mkdirP':
      return p ? { op: 'mkdir', path: p } : undefined;
    case 'chmod':
    case 'chown':
    case 'lchown':
    case 'unlink':
    case 'rmdir':
    case 'rename':
      return p ? { op: syscall, path: p } : undefined;
    case 'symlink':
      return typeof args[1] === 'string' ? { op: 'symlink', path: args[1] } : undefined;
    case 'open':
      // only creating opens are hooked (lock files, the files restorePath writes)
      return p && typeof args[1] === 'string' && args[1].includes('O_CREAT') ? { op: 'open', path: p } : undefined;
    case 'writeFile':
      // open(O_CREAT), or openat2 through syscall(2) below a directory restorePath made
      return p ? { op: 'open', path: p } : undefined;
    default:
      return undefined; // reads, utimes, close: no libc entry point the injector hooks
  }
}

/**
 * The glob a model path stands for on the real daemon: store hashes and the build dir's number
 * become `*`, a derivation name gets `@N@` (the harness's `-<nonce>`), entries below a store path
 * or build dir become `*` (readdir order is the file system's, not the model's: counting any entry
 * makes the nth call the same progress whatever the order). An output other than `out` of a
 * multi-output derivation is `<name>-<output>` (the nonce is part of the name, so
 * `*-lib@N@-dev`); `outputs` lists the output names that may follow a name so. Undefined for a
 * path it cannot map.
 */
export function globOf(path: string, names: readonly string[], outputs: readonly string[] = []): string | undefined {
  const parts = path.split('/');
  const byLength = [...new Set(names)].sort((a, b) => b.length - a.length);
  const others = outputs.filter((o) => o !== 'out');
  let head: string[];
  let rest: string[];
  if (path.startsWith('/nix/store/') && parts.length >= 4) {
    const m = /^[0-9a-z]{32}-(.+)$/.exec(parts[3] ?? '');
    if (!m?.[1]) return undefined;
    const base = m[1];
    const named = (n: string, tail: string): boolean => tail === n || tail.startsWith(`${n}.`);
    const name = byLength.find((n) => named(n, base) || others.some((o) => named(`${n}-${o}`, base)));
    if (name === undefined) return undefined;
    head = ['', 'nix', 'store', `*-${name}@N@${base.slice(name.length)}`];
    rest = parts.slice(4);
  } else if (path.startsWith('/nix/var/nix/builds/nix-')) {
    head = ['', 'nix', 'var', 'nix', 'builds', 'nix-*'];
    rest = parts.slice(6);
  } else {
    return /^\/[A-Za-z0-9+._?=@/-]+$/.test(path) ? path : undefined;
  }
  return [...head, ...rest.map(() => '*')].join('/');
}

/** What names a scenario's store paths: its derivations' names and the outputs other than `out` that may follow one (globOf). */
export interface StoreNames {
  readonly names: readonly string[];
  readonly outputs: readonly string[];
}

export function storeNamesOf(derivations: readonly { readonly name: string; readonly outputs?: readonly string[] }[]): StoreNames {
  return { names: derivations.map((d) => d.name), outputs: [...new Set(derivations.flatMap((d) => d.outputs ?? []))] };
}

/** One daemon syscall of a model step, as the injector and the plans see it. */
export type DaemonCall =
  /** A hooked call on a path with a glob: `key` is `op glob`, what the plans count. */
  | { readonly kind: 'hooked'; readonly op: DaemonOp; readonly glob: string; readonly key: string; readonly shown: string }
  /** A hooked call on a path no glob maps. */
  | { readonly kind: 'unmapped'; readonly op: DaemonOp; readonly path: string; readonly shown: string }
  /** utimes, write, close: not hooked, but a change a stop right before it would miss. */
  | { readonly kind: 'untracked'; readonly shown: string }
  /** Reads and the like: nothing to hold at, nothing a stop could miss. */
  | { readonly kind: 'quiet' };

/**
 * Every syscall of a model step, classified once for the three readers that walk them (the plan
 * maker's position, the prediction's call count and its look past a stop), so they cannot drift.
 */
export function daemonCalls(
  syscalls: readonly { readonly syscall: string; readonly args: readonly (string | number | boolean)[] }[],
  store: StoreNames,
): DaemonCall[] {
  return syscalls.map((c): DaemonCall => {
    const shown = `${c.syscall}(${String(c.args[0])})`;
    const h = hookable(c.syscall, c.args);
    if (!h) return c.syscall === 'utimes' || c.syscall === 'write' || c.syscall === 'close' ? { kind: 'untracked', shown } : { kind: 'quiet' };
    const glob = globOf(h.path, store.names, store.outputs);
    return glob === undefined ? { kind: 'unmapped', op: h.op, path: h.path, shown } : { kind: 'hooked', op: h.op, glob, key: `${h.op} ${glob}`, shown };
  });
}
