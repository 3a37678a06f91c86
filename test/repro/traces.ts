/**
 * The model's own runs as the CLI writes them (`outpath run --json`, `outpath explore --out`), and
 * the fault plan one makes: what the plan specs start from, so no expectation is written by hand.
 */
import type { Scenario, Variant } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import { checkPath, explore } from '../../model/verify/index.js';
import { planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import { parsePlan, type ReproPlan } from '../../sim/repro/plan.js';
import { firstOfEach } from '../../sim/replay.js';
import { builtinScenario } from '../../sim/scenarios/builtin.js';
import { buildTrace, traceScenario, type Trace } from '../../sim/trace.js';
import { traceOf } from '../../sim/verdicts.js';

export const upstream: Variant = (() => {
  const v = parseVariant('upstream');
  if (!v.ok) throw new Error('unreachable');
  return v.variant;
})();

export function builtin(name: string): Scenario {
  const s = builtinScenario(name);
  if (!s) throw new Error(`no built-in ${name}`);
  return s;
}

/** The scripted run of `spec` (a built-in, perhaps edited) under upstream as a trace. */
export function scriptedTrace(spec: Scenario): Trace {
  const p = checkPath(spec, { variant: upstream });
  return buildTrace({
    scenario: traceScenario(spec, { kind: 'builtin' }),
    variant: 'upstream',
    search: { mode: 'scripted', faults: [], maxFaults: 0 },
    foundBy: 'scripted run',
    replay: `outpath run ${spec.name}`,
    events: p.steps.map((s) => s.event),
    steps: p.steps,
    initial: p.initial,
    violations: firstOfEach(p.violations),
  });
}

/** The model's shortest upstream counterexample of `invariant` in built-in `name` under `fault`. */
export function exploredTrace(name: string, invariant: string, fault: 'interrupt' | 'crash' | 'builderFailure'): Trace {
  const spec = builtin(name);
  const r = explore(spec, { variant: upstream, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: 50_000 });
  const cx = r.counterexamples.find((c) => c.invariant === invariant);
  if (!cx) throw new Error(`${name}: no ${invariant} counterexample under ${fault}`);
  return traceOf({ scenario: traceScenario(spec, { kind: 'builtin' }), variant: 'upstream', search: { mode: 'bfs', faults: [fault], maxFaults: 1 }, cx, foundBy: 'bfs', replay: `outpath explore ${name}` });
}

/** The fault plan of `t`, through its JSON form as the harness reads it; throws if there is none. */
export function faultPlanOf(t: Trace): ReproPlan {
  const r = planFromFaultTrace(t, 'x');
  if (!r.realisable) throw new Error(`not realisable: ${r.why}`);
  const parsed = parsePlan(JSON.parse(JSON.stringify(r.plan)));
  if (!parsed.ok) throw new Error(`the plan does not parse: ${parsed.error}`);
  return parsed.plan;
}
