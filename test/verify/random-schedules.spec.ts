/**
 * What random mode does with a schedule, checked against the rest of the checker: the events a
 * schedule takes follow the documented choice encoding, its violation is the first one checkPath
 * finds along the same events (so random mode checks invariants where exploration does), and the
 * schedules fast-check draws stay in the two bands the encoding reads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FaultKind, ModelEvent, Scenario, Variant, WorldSnapshot } from '../../model/nix/index.js';
import { apply, enabledEvents, FAULT_KINDS, initialWorld, parseVariant } from '../../model/nix/index.js';
import { checkPath, freeScenario, randomCheck, runSchedule, scheduleArbitrary } from '../../model/verify/index.js';
import type { Violation } from '../../model/verify/index.js';
import { followSchedule } from '../../model/verify/random.js';
import type { ScheduleNode, ScheduleTree, Step } from '../../model/verify/schedule-tree.js';
import { concurrentGc, seed487 } from '../../sim/scenarios/builtin.js';

function variantOf(name: string): Variant {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(name);
  return v.variant;
}

const FAULTS: ReadonlySet<string> = new Set(FAULT_KINDS);
const zeros = (n: number): number[] => Array.from({ length: n }, () => 0);

/** The fault options runSchedule uses for `s`: the kinds given, on the scenario's fault targets. */
function freeFaultsOf(s: Scenario, kinds: readonly FaultKind[], max: number): { kinds: readonly FaultKind[]; max: number; targets?: readonly string[] } {
  const targets = s.explore?.faultTargets;
  return { kinds, max, ...(targets ? { targets } : {}) };
}

/**
 * Replays `events` from the start, checking each against the choice encoding: a choice from 1000 up
 * takes fault number (choice - 1000) modulo the faults enabled, when one is; otherwise (and below
 * 1000) the ordinary event number choice modulo the ordinary ones enabled.
 */
function followsEncoding(s: Scenario, variant: Variant, kinds: readonly FaultKind[], max: number, choices: readonly number[], events: readonly ModelEvent[]): number {
  const w = initialWorld(freeScenario(s), variant);
  const opts = { freeFaults: freeFaultsOf(s, kinds, max) };
  events.forEach((e, i) => {
    const enabled = enabledEvents(w.ctx, w.state, opts);
    const faults = enabled.filter((x) => FAULTS.has(x.type));
    const regular = enabled.filter((x) => !FAULTS.has(x.type));
    const c = choices[i] ?? 0;
    const want = c >= 1000 && faults.length > 0 ? faults[(c - 1000) % faults.length] : regular.length > 0 ? regular[c % regular.length] : faults[0];
    expect(e, `event ${String(i)} under choice ${String(c)}`).toEqual(want);
    if (!apply(w, e).ok) throw new Error(`${e.type}(${e.actor}) disabled`);
  });
  return enabledEvents(w.ctx, w.state, opts).length;
}

describe('runSchedule: which events a schedule takes', () => {
  const upstream = variantOf('upstream');
  const opts = { variant: upstream, faults: ['interrupt'] as const, maxFaults: 1 };

  const schedules: number[][] = [
    [],
    [1000],
    [0, 1000],
    [...zeros(3), 1001],
    [...zeros(5), 1000, 1],
    [...zeros(8), 1003, 2, 2],
    [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5],
    [1007, 1007, 1007, 1007, 1007, 1007, 1007, 1007],
    Array.from({ length: 30 }, (_, i) => (i % 7 === 6 ? 1000 + i : i)),
  ];

  for (const choices of schedules) {
    it(`should follow the choice encoding for [${choices.join(',')}], to a violation or the end`, () => {
      for (const kinds of [['interrupt'], ['interrupt', 'crash', 'builderFailure']] as const) {
        const out = runSchedule(seed487, { ...opts, faults: kinds }, choices);
        expect(out.events.length).toBeGreaterThan(0);
        const left = followsEncoding(seed487, upstream, kinds, 1, choices, out.events);
        // a schedule stops early only at a violation
        if (!out.violation) expect(left).toBe(0);
      }
    });
  }

  it('should take no fault from a schedule of choices below the fault band, and faults only on the fault targets', () => {
    for (let c = 0; c < 16; c++) {
      const out = runSchedule(seed487, opts, zeros(40).map((_, i) => (i * 7 + c) % 16));
      expect(out.events.filter((e) => FAULTS.has(e.type))).toEqual([]);
    }
    const targets = new Set(seed487.explore?.faultTargets ?? []);
    expect(targets.size).toBeGreaterThan(0);
    const steps = runSchedule(seed487, { ...opts, faults: [] }, []).events.length;
    for (let p = 0; p < steps; p += 2) {
      for (let j = 0; j < 2; j++) {
        const out = runSchedule(seed487, opts, [...zeros(p), 1000 + j]);
        for (const e of out.events.filter((x) => FAULTS.has(x.type))) expect(targets.has(e.actor), `${e.type}(${e.actor})`).toBe(true);
      }
    }
  });

  it('should take exactly maxSteps events when the run goes on longer', () => {
    const all = runSchedule(seed487, { ...opts, faults: [] }, []);
    expect(all.events.length).toBeGreaterThan(3);
    const cut = runSchedule(seed487, { ...opts, faults: [], maxSteps: 3 }, []);
    expect(cut.events).toEqual(all.events.slice(0, 3));
  });

  it('should take, past the choices, the first ordinary event each time: the scripted schedule', () => {
    const recommended = variantOf('recommended');
    const out = runSchedule(seed487, { variant: recommended, faults: [], maxFaults: 0 }, []);
    const scripted = checkPath(freeScenario(seed487), { variant: recommended });
    expect(scripted.truncated).toBe(false);
    expect(out.violation).toBeUndefined();
    expect(out.events).toEqual(scripted.steps.map((s) => s.event));
  });

  it('should run a scenario that names no fault targets (any actor may take a fault)', () => {
    const { explore: _none, ...bare } = seed487;
    const out = runSchedule(bare, opts, [...zeros(4), 1000]);
    followsEncoding(bare, upstream, ['interrupt'], 1, [...zeros(4), 1000], out.events);
  });
});

describe('runSchedule: its violation is the first one checkPath finds on the same events', () => {
  const cases: [Scenario, string, number[]][] = [];
  for (const variant of ['upstream', 'recommended']) {
    for (const p of [0, 2, 4, 6, 8, 10, 12]) cases.push([seed487, variant, [...zeros(p), 1000]]);
    for (const p of [0, 3, 6, 9]) cases.push([concurrentGc, variant, [...zeros(p), 1, 1, 0, 1]]);
  }

  it('should report a violation exactly where checkPath first does, and none where checkPath finds none', () => {
    let violated = 0;
    for (const [s, name, choices] of cases) {
      const variant = variantOf(name);
      const out = runSchedule(s, { variant, faults: ['interrupt'], maxFaults: 1 }, choices);
      const p = checkPath(freeScenario(s), { variant, events: out.events, freeFaults: freeFaultsOf(s, ['interrupt'], 1) });
      const label = `${s.name} on ${name} under [${choices.join(',')}]`;
      expect(p.divergedAt, label).toBeUndefined();
      if (out.violation) {
        violated++;
        const [first] = p.violations;
        expect(first, label).toEqual({ ...out.violation, state: out.events.length + 1 });
      } else expect(p.violations, label).toEqual([]);
    }
    // both kinds of verdict occur: a quiescent one (NoWedge) and a transition one (InProgressOutputSafe)
    expect(violated).toBeGreaterThan(1);
  });

  it('should find both a quiescent and a transition violation among these schedules', () => {
    const found = new Set<string>();
    for (const [s, name, choices] of cases) {
      const v = runSchedule(s, { variant: variantOf(name), faults: ['interrupt'], maxFaults: 1 }, choices).violation;
      if (v) found.add(v.invariant);
    }
    expect(found).toContain('NoWedge');
    expect(found).toContain('InProgressOutputSafe');
  });
});

describe('randomCheck: replaying a path', () => {
  it('should replay the path of the first failure as it was, without shrinking it', () => {
    const opts = { variant: variantOf('upstream'), faults: ['interrupt'] as const, maxFaults: 1, runs: 150, seed: 487 };
    const first = randomCheck(seed487, opts);
    expect(first.failed).toBe(true);
    expect(first.numShrinks).toBeGreaterThan(0);
    const [unshrunk] = (first.path ?? '').split(':');
    const again = randomCheck(seed487, { ...opts, runs: 1, path: unshrunk ?? '' });
    expect(again.failed).toBe(true);
    expect(again.numShrinks).toBe(0);
  });
});

describe('scheduleArbitrary: the schedules random mode draws', () => {
  const samples = fc.sample(scheduleArbitrary(), { seed: 42, numRuns: 300 });
  const choices = samples.flat();

  it('should draw choices from the two bands the encoding reads: 0-15 ordinary, 1000-1015 faults', () => {
    expect(choices.every((c) => (c >= 0 && c <= 15) || (c >= 1000 && c <= 1015))).toBe(true);
    for (const c of [0, 15, 1000, 1015]) expect(choices).toContain(c);
  });

  it('should draw a fault choice about one time in twenty', () => {
    const share = choices.filter((c) => c >= 1000).length / choices.length;
    expect(share).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.1);
  });

  it('should draw schedules up to 150 choices long, not only short ones', () => {
    expect(samples.every((s) => s.length <= 150)).toBe(true);
    expect(Math.max(...samples.map((s) => s.length))).toBeGreaterThan(100);
  });
});

/**
 * followSchedule on trees made by hand, for what the model's own states never show: a node where
 * only faults are enabled (a fault lands on a running build, which has a step of its own too), a
 * verdict at a node that is not quiescent, a walk that never ends.
 */
describe('followSchedule: the choice encoding and the walk, on hand-made trees', () => {
  const ev = (type: string, actor: string): ModelEvent => ({ type, actor }) as ModelEvent;
  const node = (regular: ModelEvent[], faults: ModelEvent[], quiescent = false): ScheduleNode => ({ snap: {} as WorldSnapshot, regular, faults, quiescent });
  const end = node([], []);
  const wedged: Violation = { invariant: 'NoWedge', message: 'wedged' };

  /** A tree where each event leads where `next` says (the end by default) and a quiescent node's verdict is `verdict`'s. */
  function tree(root: ScheduleNode, next: (n: ScheduleNode, e: ModelEvent) => Step = () => ({ node: end }), verdict: (n: ScheduleNode) => Violation | undefined = () => undefined): { t: ScheduleTree; asked: ScheduleNode[] } {
    const asked: ScheduleNode[] = [];
    const t = {
      root,
      verdict: (n: ScheduleNode) => {
        asked.push(n);
        return verdict(n);
      },
      follow: next,
    } as unknown as ScheduleTree;
    return { t, asked };
  }

  const r = [ev('start', 'a'), ev('start', 'b'), ev('start', 'c')];
  // three of each: with two, a fault index taken as (c + 1000) modulo 2 would agree with (c - 1000) modulo 2
  const f = [ev('interrupt', 'a'), ev('crash', 'a'), ev('builderFailure', 'a')];

  it('should take the first fault, whatever the choice, where only faults are enabled', () => {
    for (const c of [0, 1, 7, 15]) expect(followSchedule(tree(node([], f)).t, [c]).events).toEqual([f[0]]);
    // in the fault band the choice still picks among the faults
    expect(followSchedule(tree(node([], f)).t, [1001]).events).toEqual([f[1]]);
  });

  it('should read a choice below 1000 as an ordinary event modulo their number, and from 1000 up as a fault modulo theirs', () => {
    const pick = (regular: ModelEvent[], faults: ModelEvent[], c: number): ModelEvent[] => followSchedule(tree(node(regular, faults)).t, [c]).events;
    expect(pick(r, f, 4)).toEqual([r[1]]);
    expect(pick(r, f, 999)).toEqual([r[0]]);
    expect(pick(r, f, 1000)).toEqual([f[0]]);
    expect(pick(r, f, 1004)).toEqual([f[1]]);
    expect(pick(r, f, 1002)).toEqual([f[2]]);
    // no fault enabled: a fault-band choice falls back to the ordinary events, modulo their number
    expect(pick(r, [], 1001)).toEqual([r[2]]);
    expect(pick(r, [], 1000)).toEqual([r[1]]);
  });

  it('should end where nothing is enabled, with no violation', () => {
    expect(followSchedule(tree(end).t, [0, 0, 0])).toEqual({ events: [] });
  });

  it('should ask for a verdict only at quiescent nodes, and end at the first violation it gives', () => {
    const busy = node(r, []);
    const settled = node(r, [], true);
    const broken = node(r, [], true);
    const hops = new Map([[busy, settled], [settled, broken]]);
    // the busy node's verdict would be a violation: asking it there would end the walk before any event
    const verdicts = new Map([[busy, wedged], [broken, wedged]]);
    const { t, asked } = tree(busy, (n) => ({ node: hops.get(n) ?? end }), (n) => verdicts.get(n));
    expect(followSchedule(t, [])).toEqual({ events: [r[0], r[0]], violation: wedged });
    expect(asked).toEqual([settled, broken]);
  });

  it('should end at a transition violation, with the event that made it', () => {
    const { t } = tree(node(r, f), (_n, e) => (e.type === 'crash' ? { violation: wedged } : { node: node(r, f) }));
    expect(followSchedule(t, [2, 0, 1001, 0])).toEqual({ events: [r[2], r[0], f[1]], violation: wedged });
  });

  it('should take 2,000 steps by default on a walk that never ends, and maxSteps when given', () => {
    const loop = node(r, f);
    const { t } = tree(loop, () => ({ node: loop }));
    expect(followSchedule(t, []).events).toHaveLength(2000);
    expect(followSchedule(t, [1, 2], 2).events).toEqual([r[1], r[2]]);
    expect(followSchedule(t, [], 0).events).toEqual([]);
  });
});
