/**
 * docs/lifecycle.md, generated from the model: the lifecycle of one build as a Mermaid state
 * diagram. Nothing is drawn from a hand-kept list: every reachable state of the witness scenarios
 * is visited by the explorer's own walk (model/verify walkStates; scripted faults become free choices, one free
 * interrupt, crash or builder failure anywhere on the scenario's fault targets), and every
 * (phase before, event, phase after) a build actor takes is recorded with the `source` of the
 * trace step. An edge is in the diagram iff the model took it; `nextBuildEvent` is checked
 * against every own event on the way, so the picture and the dispatcher cannot disagree.
 */
import type { BuildActor, BuildPhase, FaultKind, ModelEvent, ModelState, Scenario, Variant } from '../model/nix/index.js';
import { BUILD_PHASES, initialWorld, NIX_REV, NIX_TAG, nextBuildEvent, parseVariant, VARIANT_SLUGS, variantName } from '../model/nix/index.js';
import { freeScenario, walkStates } from '../model/verify/index.js';
import { iaTwin, seed487 } from './scenarios/builtin.js';
import { FAULT_MODELS } from './verdicts.js';

export type PhaseKind = BuildPhase['kind'];
type EventType = ModelEvent['type'];

/**
 * Every BuildPhase kind, in the order a build passes through them (the diagram declares states in
 * this order, which is what keeps the layout top to bottom). A kind added to the union and not
 * here is a compile error below.
 */
export const PHASES: readonly PhaseKind[] = BUILD_PHASES;
type Never<T extends never> = T;
type _EveryPhaseListed = Never<Exclude<PhaseKind, (typeof PHASES)[number]>>;

export interface Witness {
  readonly scenario: Scenario;
  readonly variant: string;
}

/**
 * ia-twin as its retry finds the store: the interrupted first attempt's leftover at the known
 * output path. Its first build passes through deleteInvalidOutputs with the fault budget still
 * unspent, so the walk sees faults land there too (from plain ia-twin that takes two faults).
 */
export const IA_TWIN_LEFTOVER: Scenario = {
  ...iaTwin,
  name: `${iaTwin.name}+leftover`,
  doc: `${iaTwin.doc} Starts from the first attempt's leftover at the known output path.`,
  initial: iaTwin.derivations.map((d) => ({ at: { drv: d.id, which: 'final' }, owner: 'builder1', mode: '755', files: { 'pkg.a': 'archive' } })),
};

/** What the diagram is drawn from: the seed scenario, and its input-addressed twin for the known-output path. */
export const WITNESSES: readonly Witness[] = [
  { scenario: seed487, variant: 'upstream' },
  { scenario: IA_TWIN_LEFTOVER, variant: 'upstream' },
];

/** The fix designs whose effect on seed-487's lifecycle the document lists: the series, then each patch alone. */
export const COMPARED: readonly Witness[] = ['recommended', ...VARIANT_SLUGS].map((variant) => ({ scenario: seed487, variant }));

/** Exploration bound: far above what the witnesses reach (about 3,000 states each). */
export const MAX_STATES = 50_000;

export interface Edge {
  readonly from: PhaseKind;
  readonly event: EventType;
  readonly to: PhaseKind;
  readonly fault: boolean;
  /** The upstream functions (`source` of the trace steps) this edge was taken as. */
  readonly sources: ReadonlySet<string>;
  /** `scenario/variant` of every witness that took it. */
  readonly witnesses: ReadonlySet<string>;
  /** Taken while a _deletePath job ran on top of the phase (the build's next event is then deletePathStep). */
  readonly underJob: boolean;
}

export interface Walk {
  readonly witness: string;
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
}

export interface Lifecycle {
  readonly edges: readonly Edge[];
  readonly walks: readonly Walk[];
  /** For each phase, the own events nextBuildEvent named for the build actors met in it. */
  readonly nextEvents: ReadonlyMap<PhaseKind, ReadonlySet<string>>;
  /** The sub-steps met in `registering` (RegisterStep) and `cleanup` (CleanupStep), in the order the walk first met them. */
  readonly subSteps: ReadonlyMap<PhaseKind, readonly string[]>;
}

interface MutableEdge {
  from: PhaseKind;
  event: EventType;
  to: PhaseKind;
  fault: boolean;
  sources: Set<string>;
  witnesses: Set<string>;
  underJob: boolean;
}

const FAULTS: ReadonlySet<string> = new Set<FaultKind>(FAULT_MODELS);

function variantOf(name: string): Variant {
  const v = parseVariant(name);
  if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
  return v.variant;
}

function buildActor(s: ModelState, id: string): BuildActor | undefined {
  const a = s.actors.find((x) => x.id === id);
  return a?.kind === 'build' ? a : undefined;
}

export const witnessName = (w: Witness): string => `${w.scenario.name}/${variantName(variantOf(w.variant))}`;

const UNDER_JOB = ' (while a _deletePath job runs)';

/** The sub-step of a phase that has them. */
function subStep(p: BuildPhase): string | undefined {
  return p.kind === 'registering' ? p.step.kind : p.kind === 'cleanup' ? p.step : undefined;
}

function noteSubStep(subSteps: Map<PhaseKind, string[]>, a: BuildActor): void {
  const sub = subStep(a.phase);
  if (sub === undefined) return;
  const seen = subSteps.get(a.phase.kind) ?? [];
  if (!seen.includes(sub)) subSteps.set(a.phase.kind, [...seen, sub]);
}

/** Records which own event nextBuildEvent names for a build in this phase; returns it. */
function noteNext(nextEvents: Map<PhaseKind, Set<string>>, a: BuildActor): string {
  const own = nextBuildEvent(a) ?? '';
  let seen = nextEvents.get(a.phase.kind);
  if (!seen) nextEvents.set(a.phase.kind, (seen = new Set()));
  seen.add(a.job ? `${own}${UNDER_JOB}` : own);
  return own;
}

/** Walks every reachable state of one witness (the explorer's walk), adding the build actors' phase transitions to `edges`. */
function walk(w: Witness, edges: Map<string, MutableEdge>, nextEvents: Map<PhaseKind, Set<string>>, subSteps: Map<PhaseKind, string[]>): Walk {
  const name = witnessName(w);
  const world = initialWorld(freeScenario(w.scenario), variantOf(w.variant));
  // faults may hit every build actor (not only the scenario's fault targets): the retries pass through phases the first attempt does not
  const opts = { freeFaults: { kinds: FAULT_MODELS, max: 1 } };
  const walked = walkStates(world, opts, { maxDepth: Number.POSITIVE_INFINITY, maxStates: MAX_STATES }, {
    transition: (after, prev, step) => {
      const e = step.event;
      const before = buildActor(prev, e.actor);
      const now = buildActor(after.state, e.actor);
      if (!before || !now) return;
      const fault = FAULTS.has(e.type);
      const own = noteNext(nextEvents, before);
      noteNext(nextEvents, now);
      noteSubStep(subSteps, before);
      noteSubStep(subSteps, now);
      if (!fault && own !== e.type) throw new Error(`model bug: ${e.actor} in ${before.phase.kind} took ${e.type}, nextBuildEvent says ${own}`);
      const key = `${before.phase.kind} ${e.type} ${now.phase.kind}`;
      let edge = edges.get(key);
      if (!edge) {
        edge = { from: before.phase.kind, event: e.type, to: now.phase.kind, fault, sources: new Set(), witnesses: new Set(), underJob: true };
        edges.set(key, edge);
      }
      edge.sources.add(step.source);
      edge.witnesses.add(name);
      edge.underJob &&= before.job !== undefined;
    },
  });
  return { witness: name, states: walked.distinctStates, transitions: walked.transitions, complete: walked.complete };
}

const rank = (p: PhaseKind): number => PHASES.indexOf(p);

function byLifecycle(a: Edge, b: Edge): number {
  return Number(a.fault) - Number(b.fault) || rank(a.from) - rank(b.from) || rank(a.to) - rank(b.to) || a.event.localeCompare(b.event);
}

/** The lifecycle the model takes over the given witnesses. */
export function collectLifecycle(witnesses: readonly Witness[] = WITNESSES): Lifecycle {
  const edges = new Map<string, MutableEdge>();
  const nextEvents = new Map<PhaseKind, Set<string>>();
  const subSteps = new Map<PhaseKind, string[]>();
  const walks = witnesses.map((w) => walk(w, edges, nextEvents, subSteps));
  return { edges: [...edges.values()].sort(byLifecycle), walks, nextEvents, subSteps };
}

// ---------------------------------------------------------------- rendering

const FAULT_MARK = '⚡';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function sorted(s: Iterable<string>): string[] {
  return [...s].sort((a, b) => a.localeCompare(b));
}

/** Edges between the same two phases share one arrow, labelled with every event that takes it. */
function arrows(edges: readonly Edge[], label: (e: Edge) => string): string[] {
  const groups = new Map<string, Edge[]>();
  for (const e of edges) {
    const k = `${e.from} ${e.to}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0];
    if (!first) throw new Error('unreachable');
    return `  ${first.from} --> ${first.to} : ${g.map(label).join(', ')}`;
  });
}

function usedPhases(edges: readonly Edge[]): PhaseKind[] {
  const used = new Set<PhaseKind>(edges.flatMap((e) => [e.from, e.to]));
  return PHASES.filter((p) => used.has(p));
}

/** `interrupt → cleanup, crash → done, …`: where each fault kind took the builds. */
function faultTargets(lc: Lifecycle): string {
  return FAULT_MODELS.map((f) => `${f} → ${[...new Set(lc.edges.filter((e) => e.event === f).map((e) => e.to))].join(' or ')}`).join(', ');
}

function ownDiagram(lc: Lifecycle, primary: string): string[] {
  const own = lc.edges.filter((e) => !e.fault);
  const other = (e: Edge): string => (e.witnesses.has(primary) ? '' : ` [${sorted(e.witnesses).map((w) => w.split('/')[0] ?? w).join(', ')}]`);
  return [
    '```mermaid',
    'stateDiagram-v2',
    ...usedPhases(own).map((p) => `  state ${p}`),
    `  [*] --> ${PHASES[0]}`,
    ...arrows(own, (e) => `${e.event}${other(e)}`),
    `  ${PHASES[PHASES.length - 1] ?? 'done'} --> [*]`,
    `  note right of cleanup : ${FAULT_MARK} faults - ${faultTargets(lc)} (Faults in lifecycle.md)`,
    '```',
  ];
}

function faultDiagram(lc: Lifecycle): string[] {
  const faults = lc.edges.filter((e) => e.fault);
  const targets = new Set(faults.map((e) => e.to));
  return [
    '```mermaid',
    'stateDiagram-v2',
    '  classDef fault fill:#fde2e1,stroke:#c0392b,color:#000',
    ...usedPhases(faults).map((p) => `  state ${p}`),
    ...arrows(faults, (e) => `${FAULT_MARK} ${e.event}`),
    ...PHASES.filter((p) => targets.has(p)).map((p) => `  class ${p} fault`),
    '```',
  ];
}

function phaseTable(lc: Lifecycle): string[] {
  const out = [`| phase | own event next (\`nextBuildEvent\`) | ${FAULT_MODELS.map((f) => `${FAULT_MARK} ${f} →`).join(' | ')} |`, `|---|---|${FAULT_MODELS.map(() => '---').join('|')}|`];
  for (const p of PHASES) {
    const next = lc.nextEvents.get(p);
    if (!next) {
      out.push(`| \`${p}\` | (never reached by the witnesses) |${FAULT_MODELS.map(() => ' |').join('')}`);
      continue;
    }
    const faultCells = FAULT_MODELS.map((f) => {
      const to = lc.edges.filter((e) => e.fault && e.event === f && e.from === p).map((e) => `\`${e.to}\``);
      return to.length ? to.join(', ') : '—';
    });
    const own = sorted(next).map((n) => (n === '' ? '— (final)' : n.endsWith(UNDER_JOB) ? `\`${n.slice(0, -UNDER_JOB.length)}\`${UNDER_JOB}` : `\`${n}\``));
    out.push(`| \`${p}\` | ${own.join('<br>')} | ${faultCells.join(' | ')} |`);
  }
  return out;
}

function legend(lc: Lifecycle): string[] {
  const events: EventType[] = [];
  for (const e of lc.edges) if (!events.includes(e.event)) events.push(e.event);
  const out = ['| event | transitions (phase before → after) | upstream function it models (`source`, model/nix/sources.ts) |', '|---|---|---|'];
  for (const ev of events) {
    const mine = lc.edges.filter((e) => e.event === ev);
    const name = mine[0]?.fault ? `${FAULT_MARK} \`${ev}\`` : `\`${ev}\``;
    const moves = mine.map((e) => `${e.from} → ${e.to}${e.underJob ? ' (job)' : ''}`).join('<br>');
    const sources = sorted(new Set(mine.flatMap((e) => [...e.sources]))).map(cell).join('<br>');
    out.push(`| ${name} | ${moves} | ${sources} |`);
  }
  return out;
}

function comparison(base: Lifecycle, compared: readonly Witness[]): string[] {
  const key = (e: Edge): string => `${e.from} ${e.event} ${e.to}`;
  const baseKeys = new Set(base.edges.map(key));
  const out = ['| variant | | event | transition | upstream function (`source`) |', '|---|---|---|---|---|'];
  for (const w of compared) {
    const fixed = collectLifecycle([w]);
    const fixedKeys = new Set(fixed.edges.map(key));
    const name = `\`${variantName(variantOf(w.variant))}\``;
    const diff = [
      ...fixed.edges.filter((e) => !baseKeys.has(key(e))).map((e) => ['+ takes', e] as const),
      ...base.edges.filter((e) => !fixedKeys.has(key(e))).map((e) => ['− never takes', e] as const),
    ];
    if (diff.length === 0) out.push(`| ${name} | same arrows | | | |`);
    for (const [sign, e] of diff) {
      out.push(`| ${name} | ${sign} | ${e.fault ? `${FAULT_MARK} ` : ''}\`${e.event}\` | ${e.from} → ${e.to}${e.underJob ? ' (job)' : ''} | ${sorted(e.sources).map(cell).join('<br>')} |`);
    }
  }
  return out;
}

function subStepText(lc: Lifecycle): string {
  const name: Partial<Record<PhaseKind, string>> = { registering: 'RegisterStep', cleanup: 'CleanupStep' };
  return [...lc.subSteps]
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .map(([p, steps]) => `\`${p}\` ${steps.map((x) => `\`${x}\``).join(' → ')} (\`${name[p] ?? p}\`)`)
    .join('; ');
}

/** The whole of docs/lifecycle.md. */
export function generateLifecycle(): string {
  const lc = collectLifecycle(WITNESSES);
  const first = WITNESSES[0];
  if (!first) throw new Error('no witness');
  const primary = witnessName(first);
  const base = collectLifecycle([first]);
  // state counts are left out on purpose: they move with every change to the state encoding, the arrows do not
  const walks = lc.walks.map((w) => `\`${w.witness}\`${w.complete ? '' : ` (CUT SHORT at ${String(MAX_STATES)} states)`}`).join(' and ');
  const marked = WITNESSES.slice(1).map((w) => `[${w.scenario.name}]`).join(', ');
  return [
    '# The lifecycle of one build',
    '',
    `Generated by \`npm run docs:gen\` (\`scripts/gen-lifecycle.ts\`, \`sim/lifecycle.ts\`) from the model (Nix ${NIX_TAG}, \`${NIX_REV.slice(0, 8)}\`); \`test/docs/lifecycle.spec.ts\` fails when it is stale. Do not edit by hand.`,
    '',
    `**How it is drawn.** Every reachable state of ${walks} is visited breadth-first, as the explorer does: scripted faults become free choices, at most one ${FAULT_MODELS.join(', ')} lands anywhere on any build, interleavings and build-user draws are free. Each (phase before, event, phase after) a build actor takes is recorded with the upstream function the step cites (its \`source\`, from \`model/nix/sources.ts\`). An arrow is drawn iff the model took it. Phases are \`BuildPhase\` (\`model/nix/types.ts\`), events are \`ModelEvent\` (dispatched in \`model/nix/transition.ts\`), and every own event taken was checked against \`nextBuildEvent\` (\`model/nix/enabled.ts\`).`,
    '',
    `\`${IA_TWIN_LEFTOVER.name}\` is the input-addressed twin of the seed schedule, started from the leftover an interrupted first attempt leaves at its known output path. Arrows marked ${marked} only it takes: an input-addressed output has a known path, so \`acquireResources\` removes the invalid leftover (\`deleteInvalidOutputs\`); a floating CA output has none and never passes through that phase, so nothing removes the leftover at its scratch path: [the bug](../README.md).`,
    '',
    `A \`deletePathStep\` runs inside the phase that started the deletion (a \`_deletePath\` job on top of it): the arrow loops, or leaves when the job ends. Sub-steps are not drawn as phases; the walk met these, in the order it first met them: ${subStepText(lc)}.`,
    '',
    '## Own events',
    '',
    ...ownDiagram(lc, primary),
    '',
    '## Faults',
    '',
    `Faults are extra choices beside a build's own next event (\`model/nix/faults.ts\`): an **interrupt** destroys the goal and its destructors run (to \`cleanup\`), a **crash** (SIGKILL of the daemon worker) runs nothing (to \`done\`; the kernel drops the locks), a **builder failure** is a non-zero exit (to \`builderExit\`). Shaded: where they land. Not drawn, because no build of seed-487 belongs to an invocation: a **cancel** (keep-going = false, \`model/nix/keep-going.ts\`) takes the interrupt's way to \`cleanup\`, for a build whose invocation has a failed goal, only from \`lockOutputs\`, \`acquireUser\`, \`building\` or \`builderExit\`, where the goal is suspended.`,
    '',
    ...faultDiagram(lc),
    '',
    '## Phases',
    '',
    '— in a fault column: the model never took that fault from that phase.',
    '',
    ...phaseTable(lc),
    '',
    '## Events',
    '',
    '(job) = taken only while a `_deletePath` job runs on top of the phase.',
    '',
    ...legend(lc),
    '',
    `## What the fix designs change in ${first.scenario.name}'s lifecycle`,
    '',
    `The same walk of \`${first.scenario.name}\` under each variant (\`model/nix/variants.ts\`), against \`${primary}\`: + an arrow only the variant takes, − one it never takes. A fix that acts inside a step (a temp root, a message, where a copy is made) leaves the arrows as they are; whether a variant heals the wedge is in [verification.md](verification.md).`,
    '',
    ...comparison(base, COMPARED),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- docs/README.md's generated excerpts

/** The markers around a region of a hand-written doc that `npm run docs:gen` rewrites. */
export function markers(name: string): { begin: string; end: string } {
  return { begin: `<!-- begin ${name}: copied by npm run docs:gen, do not edit -->`, end: `<!-- end ${name} -->` };
}

/** `doc` with the region `name` replaced by `body`; throws when the markers are missing. */
export function splice(doc: string, name: string, body: string): string {
  const { begin, end } = markers(name);
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end, a);
  if (a < 0 || b < 0) throw new Error(`no "${begin}" … "${end}" region`);
  return `${doc.slice(0, a + begin.length)}\n${body}\n${doc.slice(b)}`;
}

/** The first Mermaid block of docs/lifecycle.md: the build's own events. */
export function ownEventsDiagram(lifecycleMd: string): string {
  const m = /```mermaid\n[\s\S]*?\n```/.exec(lifecycleMd);
  if (!m) throw new Error('docs/lifecycle.md has no mermaid block');
  return m[0];
}

/**
 * The verdict rows of `variants` in `scenario`'s table of docs/verification.md, without the states
 * column (it moves with the state encoding; the verdicts move only when the model's answer does).
 */
export function verdictRows(verificationMd: string, scenario: string, variants: readonly string[]): string {
  const lines = verificationMd.split('\n');
  const at = lines.indexOf(`## ${scenario}`);
  if (at < 0) throw new Error(`docs/verification.md has no section ${scenario}`);
  const table: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.startsWith('## ')) break;
    if (l.startsWith('|')) table.push(l);
  }
  const [head, rule, ...rows] = table;
  if (!head || !rule) throw new Error(`docs/verification.md: no table under ## ${scenario}`);
  const dropLast = (row: string): string => {
    const cells = row.split('|');
    return [...cells.slice(0, -2), ''].join('|');
  };
  const picked = variants.map((v) => {
    const row = rows.find((r) => r.startsWith(`| ${v} |`));
    if (!row) throw new Error(`docs/verification.md: no ${v} row under ## ${scenario}`);
    return row;
  });
  return [head, rule, ...picked].map(dropLast).join('\n');
}

/** The scenario and variants docs/README.md shows the verdicts of. */
export const README_VERDICTS = { scenario: seed487.name, variants: ['upstream', 'recommended'] } as const;

/** docs/README.md with its copied excerpts brought up to date. */
export function refreshReadme(readme: string, lifecycleMd: string, verificationMd: string): string {
  const withDiagram = splice(readme, 'lifecycle diagram', ownEventsDiagram(lifecycleMd));
  return splice(withDiagram, 'seed-487 verdicts', verdictRows(verificationMd, README_VERDICTS.scenario, README_VERDICTS.variants));
}
