/**
 * Which model computed a trace: a SHA-256 over every file of model/ (path and content), and the
 * git commit when the tree is a checkout. Two traces with the same hash came from the same model,
 * whatever the commit; a trace whose hash differs from the running model's was recorded on another.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface ModelIdentity {
  /** SHA-256 (hex) of model/**: each file's path relative to model/, a NUL, its content, a NUL, in path order. */
  readonly sha256: string;
  /** `git rev-parse HEAD` of the checkout, when there is one (the hash is the identity; this says where to look). */
  readonly commit?: string;
}

const ROOT = join(import.meta.dirname, '..');
let cached: ModelIdentity | undefined;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The running model's identity (computed once per process). */
export function modelIdentity(): ModelIdentity {
  if (cached) return cached;
  const modelDir = join(ROOT, 'model');
  const h = createHash('sha256');
  for (const f of files(modelDir)) h.update(`${relative(modelDir, f)}\0`).update(readFileSync(f)).update('\0');
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const commit = git.status === 0 ? git.stdout.trim() : '';
  cached = { sha256: h.digest('hex'), ...(/^[0-9a-f]{40}$/.test(commit) ? { commit } : {}) };
  return cached;
}

/** The SHA-256 (hex) of a scenario: of its JSON with keys sorted, so the order fields were written in does not matter. */
export function scenarioHash(canonicalJson: string): string {
  return createHash('sha256').update(canonicalJson).digest('hex');
}
