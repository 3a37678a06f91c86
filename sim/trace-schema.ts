/** Trace files as `replay`, `show` and `repro` read them: validated, with errors naming the JSON path. */
import { z } from 'zod';
import { EVENT_TYPES, VARIANT_SLUGS } from '../model/nix/index.js';
import { TRACE_FORMAT } from './trace.js';
import type { Trace } from './trace.js';



const state = z.strictObject({
  n: z.int(),
  action: z.string(),
  actor: z.string(),
  source: z.string(),
  note: z.string(),
  syscalls: z.array(z.string()),
  changes: z.array(z.string()),
});

export const traceSchema = z.strictObject({
  format: z.literal(TRACE_FORMAT, { error: `.format must be '${TRACE_FORMAT}'` }),
  scenario: z.string(),
  variant: z.string().refine((v) => v === 'upstream' || v === 'recommended' || v.split('+').every((p) => (VARIANT_SLUGS as readonly string[]).includes(p)), 'unknown variant'),
  nixRev: z.string(),
  foundBy: z.string(),
  replay: z.string(),
  violation: z.strictObject({ invariant: z.string(), message: z.string() }).nullable(),
  events: z.array(z.strictObject({ type: z.enum(EVENT_TYPES), actor: z.string().min(1) })),
  initial: z.array(z.string()),
  states: z.array(state),
});

export function parseTrace(json: unknown): { ok: true; trace: Trace } | { ok: false; error: string } {
  const r = traceSchema.safeParse(json);
  if (r.success) return { ok: true, trace: r.data };
  const issue = r.error.issues[0];
  const path = issue ? issue.path.map((p) => (typeof p === 'number' ? `[${String(p)}]` : `.${String(p)}`)).join('') : '';
  const msg = issue?.message ?? 'invalid';
  return { ok: false, error: msg.startsWith('.') ? msg : `trace${path}: ${msg}` };
}
