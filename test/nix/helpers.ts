import type { BuildActor, Run, Scenario } from '../../model/nix/index.js';
import { parseVariant, resolveRef, runScripted } from '../../model/nix/index.js';
import { buildTrace, formatText, traceScenario } from '../../sim/trace.js';

export function run(scenario: Scenario, variant = 'upstream'): Run {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return runScripted(scenario, v.variant);
}

export function build(r: Run, id: string): BuildActor {
  const a = r.world.state.actors.find((x) => x.id === id);
  if (a?.kind !== 'build') throw new Error(`no build ${id}`);
  return a;
}

export function outcome(r: Run, id: string): string {
  const p = build(r, id).phase;
  return p.kind === 'done' ? p.outcome.kind : `unfinished:${p.kind}`;
}

/** The step-by-step trace, printed when an assertion fails (vitest shows the message). */
export function traceOf(r: Run): string {
  return formatText(
    buildTrace({
      scenario: traceScenario(r.world.ctx.scenario, { kind: 'builtin' }),
      variant: 'upstream',
      search: { mode: 'scripted', faults: [], maxFaults: 0 },
      foundBy: 'scripted run',
      replay: '',
      events: r.steps.map((s) => s.event),
      steps: r.steps,
      initial: r.steps[0]?.before ?? [],
      violations: [],
    }),
  );
}

export function scratchOf(r: Run, drv: string): string {
  return resolveRef(r.world.ctx, { drv, which: 'scratch' }, r.world.state.realisations) ?? '';
}
