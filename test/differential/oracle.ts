/**
 * The real kernel as an oracle: one long-lived worker per credential (fork + IPC, about 0.2 ms per
 * call), a fresh directory per sequence standing in for `/`, and the tree read back for comparison.
 * Only usable as root (the workers must change uid).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TreeEntry } from '../../model/fs/index.js';
import { CAST, WHO, type Who } from './cast.js';
import { showStat, type Op } from './ops.js';

const WORKER = join(import.meta.dirname, 'oracle-worker.ts');
const CHROOT_STAT = join(import.meta.dirname, 'chroot-stat.pl');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export const canRunOracle = (): boolean => process.getuid?.() === 0 && process.platform === 'linux';

interface Reply { readonly kind: 'ready' | 'result'; readonly id?: number; readonly outcome?: string }

export class Oracle {
  private readonly pending = new Map<number, (outcome: string) => void>();
  private nextId = 0;
  private count = 0;

  private constructor(private readonly base: string, private readonly workers: ReadonlyMap<Who, ChildProcess>) {
    for (const w of workers.values()) {
      w.on('message', (m: Reply) => {
        if (m.kind !== 'result' || m.id === undefined) return;
        this.pending.get(m.id)?.(m.outcome ?? '');
        this.pending.delete(m.id);
      });
    }
  }

  /**
   * Starts the workers. Sequences run under FSDIFF_DIR, by default tmpfs (/dev/shm) when present:
   * permission checks are VFS code shared by every file system, and on this machine's ext4 (mounted
   * with `discard`) removing a sequence's tree took 15–50 ms against about 1 ms on tmpfs.
   */
  static async start(): Promise<Oracle> {
    const base = fs.mkdtempSync(process.env['FSDIFF_DIR'] ?? (fs.existsSync('/dev/shm') ? '/dev/shm/fsdiff-' : '/tmp/fsdiff-'));
    fs.chmodSync(base, 0o755);
    const workers = new Map<Who, ChildProcess>();
    await Promise.all(WHO.map(async (who) => {
      const w = fork(WORKER, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.set(who, w);
      const c = CAST[who];
      await new Promise<void>((resolve, reject) => {
        w.once('message', () => { resolve(); });
        w.once('error', reject);
        w.send({ kind: 'init', uid: c.uid, gid: c.gid, groups: [...c.groups], umask: c.umask });
      });
    }));
    return new Oracle(base, workers);
  }

  /** A fresh root directory (0755 root:root) holding `entries`, built as root with exact modes. */
  makeRoot(entries: readonly TreeEntry[]): string {
    const root = join(this.base, `s${this.count++}`);
    for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const p = e.path === '/' ? root : root + e.path;
      if (e.kind === 'dir') fs.mkdirSync(p);
      if (e.kind === 'file') fs.writeFileSync(p, e.content ?? '');
      if (e.kind === 'symlink') fs.symlinkSync((e.content ?? '').startsWith('/') ? root + (e.content ?? '') : e.content ?? '', p);
      fs.lchownSync(p, e.uid, e.gid);
      if (e.kind !== 'symlink') fs.chmodSync(p, e.mode);
    }
    return root;
  }

  run(root: string, op: Op): Promise<string> {
    const id = this.nextId++;
    const w = this.workers.get(op.who);
    if (!w) throw new Error(`no worker for ${op.who}`);
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      w.send({ kind: 'op', id, root, op });
    });
  }

  /**
   * A root stat or lstat with `root` as the process root (perl's chroot), for the cases whose path
   * cannot be mapped below a directory: `/..` must stay at the test's own root, and `''` must reach
   * the syscall. Any other call is refused: the workers run those.
   */
  runChrooted(root: string, op: Op): string {
    if (op.who !== 'root' || (op.op !== 'stat' && op.op !== 'lstat')) throw new Error(`runChrooted runs root's stat and lstat only, not ${op.who} ${op.op}`);
    const out = execFileSync('perl', [CHROOT_STAT, root, op.op === 'stat' ? '1' : '0', op.path], { encoding: 'utf8', env: { LC_ALL: 'C' } }).trim();
    const fields = out.split(' ').map(Number);
    if (fields.length !== 5 || fields.some((n) => !Number.isInteger(n))) return out;
    const [mode = 0, uid = 0, gid = 0, nlink = 0, size = 0] = fields;
    const type = mode & 0o170000;
    const kind = type === 0o040000 ? 'dir' : type === 0o120000 ? 'symlink' : 'file';
    return `ok ${showStat({ kind, mode: mode & 0o7777, uid, gid, size, nlink })}`;
  }

  /** The real tree under `root`, in model paths and the model's TreeEntry shape, sorted by path. */
  readTree(root: string): TreeEntry[] {
    const out: TreeEntry[] = [];
    const visit = (model: string): void => {
      const p = model === '/' ? root : root + model;
      const s = fs.lstatSync(p);
      const base = { path: model, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
      if (s.isSymbolicLink()) {
        const t = fs.readlinkSync(p);
        out.push({ ...base, kind: 'symlink', content: t.startsWith(root + '/') ? t.slice(root.length) : t === root ? '/' : t });
      } else if (s.isDirectory()) {
        out.push({ ...base, kind: 'dir' });
        for (const name of fs.readdirSync(p)) visit(model === '/' ? `/${name}` : `${model}/${name}`);
      } else {
        out.push({ ...base, kind: 'file', content: fs.readFileSync(p, 'utf8') });
      }
    };
    visit('/');
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  removeRoot(root: string): void {
    fs.rmSync(root, { recursive: true, force: true });
  }

  stop(): void {
    for (const w of this.workers.values()) w.kill();
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}
