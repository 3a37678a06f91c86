/**
 * Scenario files: JSON validated here with one clear error naming the JSON path. The same schema
 * is published as docs/scenario.schema.json (z.toJSONSchema).
 */
import { z } from 'zod';
import type { Scenario } from '../model/nix/index.js';
import { BUILD_EVENT_TYPES } from '../model/nix/index.js';

const id = z.string().regex(/^[A-Za-z0-9_-]+$/, 'an id of letters, digits, - and _');
const rel = z.string().regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/+-]*$/, 'a path relative to $out, without ..');
const mode = z.string().regex(/^[0-7]{3,4}$/, 'an octal mode such as "755"');

const action = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('mkdirP'), path: rel }),
  z.strictObject({ op: z.literal('mkdir'), path: rel }),
  z.strictObject({ op: z.literal('writeFile'), path: rel, content: z.string() }),
  z.strictObject({ op: z.literal('symlink'), target: z.string().min(1), path: rel }),
  z.strictObject({ op: z.literal('chmod'), path: rel, mode }),
  z.strictObject({ op: z.literal('writeIfFlag'), flag: id, path: rel, content: z.string() }),
  z.strictObject({ op: z.literal('exitIfFlag'), flag: id, code: z.int().min(0).max(255) }),
  z.strictObject({ op: z.literal('exit'), code: z.int().min(0).max(255) }),
  z.strictObject({ op: z.literal('plant'), drv: id, path: rel, content: z.string() }),
  z.strictObject({ op: z.literal('plantSymlink'), drv: id, target: z.string().min(1) }),
]);

const buildEvent = z.enum(BUILD_EVENT_TYPES);
const faultKind = z.enum(['interrupt', 'crash', 'builderFailure']);
const pathRef = z.strictObject({ drv: id, which: z.enum(['scratch', 'final', 'lock']) });
const base = {
  id,
  after: z.array(id).optional(),
  during: z.strictObject({ actor: id, before: buildEvent, nth: z.int().min(0) }).optional(),
};

const actor = z.discriminatedUnion('kind', [
  z.strictObject({ ...base, kind: z.literal('build'), drv: id, fault: z.strictObject({ kind: faultKind, before: buildEvent, nth: z.int().min(0) }).optional() }),
  z.strictObject({ ...base, kind: z.literal('holdUser'), releaseAfter: z.array(id) }),
  z.strictObject({ ...base, kind: z.literal('pathInfo'), target: pathRef }),
  z.strictObject({ ...base, kind: z.literal('storeDelete'), command: z.enum(['nix store delete', 'nix-store --delete']), target: pathRef }),
  z.strictObject({ ...base, kind: z.literal('gc') }),
  z.strictObject({ ...base, kind: z.enum(['setFlag', 'clearFlag']), flag: id }),
]);

export const scenarioSchema = z
  .strictObject({
    name: id,
    doc: z.string(),
    settings: z.strictObject({
      platform: z.enum(['linux', 'darwin']),
      sandbox: z.boolean(),
      buildUsers: z.int().min(0).max(8),
      keepFailed: z.boolean(),
      nixVersion: z.enum(['2.34.8', '2.8']),
    }),
    derivations: z
      .array(z.strictObject({ id, name: z.string().regex(/^[A-Za-z0-9+\-_?=][A-Za-z0-9+\-._?=]*$/, 'a store path name'), kind: z.enum(['input-addressed', 'ca-floating']), program: z.array(action).max(20) }))
      .min(1)
      .max(4),
    actors: z.array(actor).min(1).max(12),
    initial: z.array(z.strictObject({ at: pathRef, owner: z.enum(['builder1', 'builder2', 'root']), mode, files: z.record(z.string(), z.string()).optional() })).optional(),
    explore: z
      .strictObject({ faults: z.array(faultKind), maxFaults: z.int().min(0).max(3), faultTargets: z.array(id).optional(), maxDepth: z.int().min(1).optional() })
      .optional(),
  })
  .superRefine((s, ctx) => {
    const drvs = new Set(s.derivations.map((d) => d.id));
    const actors = new Set(s.actors.map((a) => a.id));
    if (drvs.size !== s.derivations.length) ctx.addIssue({ code: 'custom', path: ['derivations'], message: 'derivation ids must be unique' });
    if (actors.size !== s.actors.length) ctx.addIssue({ code: 'custom', path: ['actors'], message: 'actor ids must be unique' });
    s.actors.forEach((a, i) => {
      if ('drv' in a && !drvs.has(a.drv)) ctx.addIssue({ code: 'custom', path: ['actors', i, 'drv'], message: `unknown derivation '${a.drv}'` });
      if ('target' in a && !drvs.has(a.target.drv)) ctx.addIssue({ code: 'custom', path: ['actors', i, 'target', 'drv'], message: `unknown derivation '${a.target.drv}'` });
      for (const dep of [...(a.after ?? []), ...(a.kind === 'holdUser' ? a.releaseAfter : []), ...(a.during ? [a.during.actor] : [])]) {
        if (!actors.has(dep)) ctx.addIssue({ code: 'custom', path: ['actors', i], message: `unknown actor '${dep}'` });
      }
    });
    s.derivations.forEach((d, i) => {
      d.program.forEach((p, j) => {
        if ('drv' in p && !drvs.has(p.drv)) ctx.addIssue({ code: 'custom', path: ['derivations', i, 'program', j, 'drv'], message: `unknown derivation '${p.drv}'` });
      });
    });
    if (s.settings.platform === 'darwin' && s.settings.sandbox) {
      // darwin never has a chroot (DarwinDerivationBuilder): sandbox only changes the seatbelt profile, which the model does not need
      ctx.addIssue({ code: 'custom', path: ['settings', 'sandbox'], message: 'darwin has no chroot sandbox in this model; set sandbox: false (the seatbelt profile does not change the outcome)' });
    }
  });

/** Parses and validates; the error is one line naming the JSON path. */
export function parseScenario(json: unknown): { ok: true; scenario: Scenario } | { ok: false; error: string } {
  const r = scenarioSchema.safeParse(json);
  if (r.success) return { ok: true, scenario: r.data as Scenario };
  const issue = r.error.issues[0];
  const path = issue ? issue.path.map((p) => (typeof p === 'number' ? `[${String(p)}]` : `.${String(p)}`)).join('') : '';
  return { ok: false, error: `scenario${path}: ${issue?.message ?? 'invalid'}` };
}

/** The JSON Schema published at docs/scenario.schema.json (cross-reference checks are in the CLI only). */
export function scenarioJsonSchema(): string {
  const schema = z.toJSONSchema(scenarioSchema, { unrepresentable: 'any' });
  return JSON.stringify({ ...schema, $id: 'https://nix-outpath-lab.invalid/scenario.schema.json', title: 'nix-outpath-lab scenario' }, null, 2) + '\n';
}
