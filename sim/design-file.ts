/**
 * Loading a fix design from a file outside the repository (`--design FILE`): a TypeScript (or
 * JavaScript) module whose default export is a Design (model/nix/design.ts). tsx's loader compiles
 * it, synchronously, so the CLI stays synchronous; its shape is checked before anything runs, and a
 * file that is not a design is bad input naming what is wrong.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Design } from '../model/nix/index.js';
import { HOOK_NAMES, NAMED_VARIANTS, PLANTED_BUGS } from '../model/nix/index.js';

/** A design file that cannot be used: the message names the file and what is wrong. */
export class DesignFileError extends Error {}

const RESERVED = new Set(['all', ...Object.keys(NAMED_VARIANTS), ...PLANTED_BUGS]);

const designSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'a slug: lower case letters, digits and -')
    .refine((n) => !RESERVED.has(n), 'the name of a built-in design or variant; choose another'),
  summary: z
    .string()
    .min(1)
    .refine((s) => !s.includes('\n'), 'one line'),
  upstream: z.string().min(1),
  hooks: z
    .record(z.string(), z.unknown())
    .superRefine((hooks, c) => {
      for (const [k, v] of Object.entries(hooks)) {
        if (!(HOOK_NAMES as readonly string[]).includes(k)) c.addIssue({ code: 'custom', path: [k], message: `not a hook point (hook points: ${HOOK_NAMES.join(', ')})` });
        else if (typeof v !== 'function') c.addIssue({ code: 'custom', path: [k], message: 'must be a function' });
      }
    }),
});

function problem(file: string, what: string): DesignFileError {
  return new DesignFileError(`--design ${file}: ${what}`);
}

/** The design a file exports by default, checked; `cwd` resolves a relative path. */
export function loadDesignFile(file: string, cwd: string): Design {
  const path = resolve(cwd, file);
  if (!existsSync(path) || !statSync(path).isFile()) throw problem(file, 'no such file');
  let mod: unknown;
  try {
    // tsx's loader only when a design file is given: loading it costs every other command ~60 ms
    const tsx = createRequire(import.meta.url)('tsx/cjs/api') as typeof import('tsx/cjs/api');
    mod = tsx.require(path, pathToFileURL(resolve(cwd, 'design-loader')).href);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw problem(file, `cannot load it: ${msg ?? ''}`);
  }
  const exported = typeof mod === 'object' && mod !== null && 'default' in mod ? (mod).default : undefined;
  if (exported === undefined) throw problem(file, 'it has no default export (export default { name, summary, upstream, hooks })');
  const r = designSchema.safeParse(exported);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join('.') : 'its default export';
    throw problem(file, `${where}: ${first?.message ?? 'not a design'}`);
  }
  return exported as Design;
}

/** Every file's design, in order; two with one name are an error. */
export function loadDesignFiles(files: readonly string[], cwd: string): Design[] {
  const out: Design[] = [];
  for (const f of files) {
    const d = loadDesignFile(f, cwd);
    if (out.some((x) => x.name === d.name)) throw problem(f, `a design named '${d.name}' is already loaded from another file`);
    out.push(d);
  }
  return out;
}
