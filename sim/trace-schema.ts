/** Trace files as `replay`, `show` and `repro` read them: validated, with errors naming the JSON path. */
import { z } from 'zod';
import { EVENT_TYPES, FAULT_KINDS, parseVariant } from '../model/nix/index.js';
import { issueLine, parseScenario } from './scenario-schema.js';
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

const hex = (n: number): z.ZodString => z.string().regex(new RegExp(`^[0-9a-f]{${String(n)}}$`), `${String(n)} hex digits`);
const faultKind = z.enum(FAULT_KINDS);

export const traceSchema = z.strictObject({
  format: z.string().refine((f) => f === TRACE_FORMAT, {
    error: (i) =>
      i.input === 'nix-output-model-trace/1'
        ? `must be '${TRACE_FORMAT}': this trace is of format 1, which did not carry its scenario; explore again to record it anew`
        : `must be '${TRACE_FORMAT}'`,
  }),
  // the scenario's own fields are checked by parseScenario, which names their JSON path
  scenario: z.strictObject({ name: z.string(), source: z.enum(['builtin', 'file']), file: z.string().optional(), sha256: hex(64), spec: z.unknown() }),
  // a part may also name a design loaded from a file (a slug), which replay resolves with --design
  variant: z.string().refine((v) => v.split('+').every((p) => parseVariant(p).ok || /^[a-z0-9][a-z0-9-]*$/.test(p)), 'unknown variant'),
  search: z.strictObject({ mode: z.enum(['scripted', 'bfs', 'random']), faults: z.array(faultKind), maxFaults: z.int().min(0), faultTargets: z.array(z.string()).optional() }),
  model: z.strictObject({ sha256: hex(64), commit: hex(40).optional() }),
  nixRev: z.string(),
  foundBy: z.string(),
  replay: z.string(),
  violations: z.array(z.strictObject({ invariant: z.string(), message: z.string(), state: z.int().min(1) })),
  events: z.array(z.strictObject({ type: z.enum(EVENT_TYPES), actor: z.string().min(1) })),
  initial: z.array(z.string()),
  states: z.array(state),
});

export function parseTrace(json: unknown): { ok: true; trace: Trace } | { ok: false; error: string } {
  const r = traceSchema.safeParse(json);
  if (!r.success) return { ok: false, error: issueLine('trace', r.error) };
  const spec = parseScenario(r.data.scenario.spec, 'trace.scenario.spec');
  if (!spec.ok) return { ok: false, error: spec.error };
  return { ok: true, trace: { ...r.data, scenario: { ...r.data.scenario, spec: spec.scenario } } as Trace };
}
