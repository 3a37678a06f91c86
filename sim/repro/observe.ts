/**
 * Comparing what a real daemon did with what the model predicted, and reading the observation
 * files rendered scripts write.
 *
 * Comparison rules (the same in the embedded python, `oracle.py`, which a test keeps in step):
 * - `attempts`, `paths`, `commands` are compared by key; a key on one side only is a mismatch.
 * - always compared: `buildUser`, `outcome`, every action's `i` and `ok`; `exists`, `valid`;
 *   `removed`, `printedDontKnow`, `exitOk`.
 * - compared only when the expectation states them (a prediction may be partial there):
 *   an action's `errno`, `outputFiles`, `otherOutputFiles`, `removedInvalid`, `buildDirKept`, `owner`, `mode`,
 *   `files` (as a set).
 */
import { z } from 'zod';
import { OBSERVATION_FORMAT, observationSchema, type AttemptObservation, type Observation } from './plan.js';

/** One difference: the field (`attempts.a2.actions[1].errno`) and both values as JSON text, or `(absent)`. */
export interface Mismatch {
  readonly field: string;
  readonly expected: string;
  readonly got: string;
}

export const ABSENT = '(absent)';

const jtext = (v: unknown): string => JSON.stringify(v);

/** Two listings of an output (AttemptObservation.outputFiles' form) name the same files with the same contents. */
function sameFiles(e: Readonly<Record<string, string>> | undefined, a: Readonly<Record<string, string>> | undefined): boolean {
  if (e === undefined || a === undefined) return e === a;
  return keysOf(e, a).every((k) => e[k] === a[k]);
}

function keysOf(e: object, a: object): string[] {
  return [...Object.keys(e), ...Object.keys(a).filter((k) => !(k in e))];
}

/** Differences between the expected and the actual observation; empty = they agree. */
export function compareObservation(expected: Observation, actual: Observation): Mismatch[] {
  const out: Mismatch[] = [];
  const cmp = (field: string, e: unknown, a: unknown): void => {
    if (e !== a) out.push({ field, expected: jtext(e), got: jtext(a) });
  };
  /** Compared only when the expectation states it. */
  const opt = <T extends object>(field: string, e: T, a: T, key: keyof T): void => {
    if (!(key in e)) return;
    if (!(key in a)) out.push({ field, expected: jtext(e[key]), got: ABSENT });
    else cmp(field, e[key], a[key]);
  };
  const sections = ['attempts', 'paths', 'commands'] as const;
  for (const section of sections) {
    const es: Readonly<Record<string, unknown>> = expected[section];
    const as: Readonly<Record<string, unknown>> = actual[section];
    for (const k of keysOf(es, as)) {
      const f = `${section}.${k}`;
      if (!(k in as)) {
        out.push({ field: f, expected: jtext(es[k]), got: ABSENT });
        continue;
      }
      if (!(k in es)) {
        out.push({ field: f, expected: ABSENT, got: jtext(as[k]) });
        continue;
      }
      if (section === 'attempts') {
        const e = expected.attempts[k] as AttemptObservation;
        const a = actual.attempts[k] as AttemptObservation;
        cmp(`${f}.buildUser`, e.buildUser, a.buildUser);
        cmp(`${f}.outcome`, e.outcome, a.outcome);
        const n = Math.max(e.actions.length, a.actions.length);
        for (let j = 0; j < n; j++) {
          const fj = `${f}.actions[${j}]`;
          const ea = e.actions[j];
          const aa = a.actions[j];
          if (aa === undefined) out.push({ field: fj, expected: jtext(ea), got: ABSENT });
          else if (ea === undefined) out.push({ field: fj, expected: ABSENT, got: jtext(aa) });
          else {
            cmp(`${fj}.i`, ea.i, aa.i);
            cmp(`${fj}.ok`, ea.ok, aa.ok);
            opt(`${fj}.errno`, ea, aa, 'errno');
          }
        }
        if (e.outputFiles !== undefined) {
          if (a.outputFiles === undefined) out.push({ field: `${f}.outputFiles`, expected: jtext(e.outputFiles), got: ABSENT });
          else {
            for (const p of keysOf(e.outputFiles, a.outputFiles)) {
              const ev = e.outputFiles[p];
              const av = a.outputFiles[p];
              if (ev !== av) out.push({ field: `${f}.outputFiles[${jtext(p)}]`, expected: ev === undefined ? ABSENT : jtext(ev), got: av === undefined ? ABSENT : jtext(av) });
            }
          }
        }
        if (e.otherOutputFiles !== undefined) {
          const eo = e.otherOutputFiles;
          const ao = a.otherOutputFiles ?? {};
          for (const o of keysOf(eo, ao)) {
            const ev = eo[o];
            const av = ao[o];
            if (!sameFiles(ev, av)) out.push({ field: `${f}.otherOutputFiles[${jtext(o)}]`, expected: ev === undefined ? ABSENT : jtext(ev), got: av === undefined ? ABSENT : jtext(av) });
          }
        }
        opt(`${f}.removedInvalid`, e, a, 'removedInvalid');
        opt(`${f}.buildDirKept`, e, a, 'buildDirKept');
      } else if (section === 'paths') {
        const e = expected.paths[k];
        const a = actual.paths[k];
        if (!e || !a) continue;
        cmp(`${f}.exists`, e.exists, a.exists);
        cmp(`${f}.valid`, e.valid, a.valid);
        opt(`${f}.owner`, e, a, 'owner');
        opt(`${f}.mode`, e, a, 'mode');
        if (e.files !== undefined) {
          if (a.files === undefined) out.push({ field: `${f}.files`, expected: jtext(e.files), got: ABSENT });
          else {
            const se = jtext([...e.files].sort());
            const sa = jtext([...a.files].sort());
            if (se !== sa) out.push({ field: `${f}.files`, expected: se, got: sa });
          }
        }
      } else {
        const e = expected.commands[k];
        const a = actual.commands[k];
        if (!e || !a) continue;
        cmp(`${f}.removed`, e.removed, a.removed);
        cmp(`${f}.printedDontKnow`, e.printedDontKnow, a.printedDontKnow);
        cmp(`${f}.exitOk`, e.exitOk, a.exitOk);
      }
    }
  }
  return out;
}

/** The line a script prints for a difference. */
export function formatMismatch(m: Mismatch): string {
  return `MISMATCH: ${m.field} expected ${m.expected} got ${m.got}`;
}

/**
 * A one-cell summary of an observation for the report table, e.g.
 * `a1 interrupted@nixbld1; a2 failed@nixbld2 EACCES×2; 4 present invalid; 6 removed dontknow`.
 */
export function summarize(obs: Observation): string {
  const parts: string[] = [];
  for (const [name, a] of Object.entries(obs.attempts)) {
    const errs = new Map<string, number>();
    for (const r of a.actions) if (!r.ok) errs.set(r.errno ?? 'err', (errs.get(r.errno ?? 'err') ?? 0) + 1);
    const e = [...errs].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(',');
    const files = a.outputFiles ? ` {${Object.keys(a.outputFiles).sort().join(',')}}` : '';
    const others = Object.entries(a.otherOutputFiles ?? {}).map(([o, f]) => ` ${o}{${Object.keys(f).sort().join(',')}}`).join('');
    parts.push(`${name} ${a.outcome}@${a.buildUser ?? '-'}${e ? ` ${e}` : ''}${files}${others}${a.buildDirKept ? ' +builddir' : ''}`);
  }
  for (const [key, p] of Object.entries(obs.paths)) {
    const detail = p.owner !== undefined ? ` ${p.owner} ${p.mode ?? ''} [${(p.files ?? []).join(',')}]` : '';
    parts.push(`${key} ${p.exists ? 'present' : 'absent'} ${p.valid ? 'valid' : 'invalid'}${detail}`);
  }
  for (const [key, c] of Object.entries(obs.commands)) {
    parts.push(`${key} ${c.removed ? 'removed' : 'kept'}${c.printedDontKnow ? ' dontknow' : ''}${c.exitOk ? '' : ' rc≠0'}`);
  }
  return parts.join('; ');
}

const mismatchSchema = z.tuple([z.string(), z.string(), z.string()]);

/** The observation file a rendered script writes (`--obs FILE`). `facts` holds the raw per-step records. */
export const observationFileSchema = z.object({
  format: z.literal(OBSERVATION_FORMAT),
  scenario: z.string().nullable(),
  variant: z.string().nullable(),
  platform: z.string().nullable(),
  nix: z.string().nullable(),
  nonce: z.string().nullable(),
  seconds: z.number(),
  observation: observationSchema,
  verdict: z.object({ match: z.boolean(), mismatches: z.array(mismatchSchema) }),
  facts: z.array(z.record(z.string(), z.unknown())),
});

export type ObservationFile = z.infer<typeof observationFileSchema>;

/** Parses an observation file; the error names the JSON path like parsePlan's. */
export function parseObservationFile(json: unknown): { ok: true; file: ObservationFile } | { ok: false; error: string } {
  const r = observationFileSchema.safeParse(json);
  if (r.success) return { ok: true, file: r.data };
  return { ok: false, error: r.error.issues.slice(0, 5).map((i) => `$${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`).join('; ') };
}
