/**
 * Scenario files: JSON validated here with one clear error naming the JSON path. The same schema,
 * with a description and an example for every field, is published as docs/scenario.schema.json
 * (z.toJSONSchema). A field the model would silently ignore is an error, never a no-op.
 */
import { z } from 'zod';
import type { Scenario } from '../model/nix/index.js';
import { BUILD_EVENT_TYPES, BUILD_MODES, FAULT_KINDS, initialLayoutErrors } from '../model/nix/index.js';
import { referenceProblems, scriptedRunProblem } from './scenario-check.js';

/** A schema with the description and examples the published JSON schema shows for it. */
function doc<T extends z.ZodType>(schema: T, description: string, ...examples: readonly unknown[]): T {
  return schema.meta({ description, examples: [...examples] });
}

const idPattern = z.string().regex(/^[A-Za-z0-9_-]+$/, 'an id of letters, digits, - and _');
const id = (what: string, ...examples: string[]): z.ZodString => doc(idPattern, what, ...examples);
const rel = doc(
  z.string().regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._/+-]*$/, 'a path relative to $out, without ..'),
  'A path relative to the output ($out), without "..". The empty string "" is $out itself.',
  '',
  'bin/tool',
);
const mode = (what: string): z.ZodString => doc(z.string().regex(/^[0-7]{3,4}$/, 'an octal mode such as "755"'), `${what} (octal, as chmod takes it).`, '755', '0444');
const content = doc(z.string(), "The file's content.", 'archive');
const flag = id('A harness flag: a name that setFlag and clearFlag actors set and clear, and builders test.', 'attempt1');
const code = doc(z.int().min(0).max(255), 'The exit status (0-255).', 1);
const op = <const L extends string>(name: L, what: string): z.ZodLiteral<L> => doc(z.literal(name), what, name);

const outputName = doc(
  z.string().regex(/^[A-Za-z0-9+\-_?=][A-Za-z0-9+\-._?=]*$/, 'an output name such as "dev"'),
  "An output of a multi-output derivation (one of its `outputs`); omitted: `out`, or a single-output derivation's one output.",
  'dev',
);
const outputOfDrv = doc(outputName, "Which output of a multi-output derivation (one of its `outputs`); omitted: its first in sorted order, or a single-output derivation's one output.", 'dev');
const outputVar = doc(outputName, 'Write below this output\'s variable ($dev for "dev", its scratch path) instead of $out; only for a derivation that has this output.', 'dev');

const symbolicPath = doc(
  z.strictObject({
    drv: id('The derivation whose path this names.', 'godyn'),
    which: doc(z.enum(['scratch', 'final', 'lock']), 'Its scratch output ($out while it builds), its final output path, or its output lock file.', 'final'),
    output: outputOfDrv.optional(),
    path: rel.optional(),
  }),
  "Another derivation's store path named symbolically, resolved when it is used; a floating CA output's final path is unknown until that derivation is built (the command then fails, exit 1).",
  { drv: 'godyn', which: 'final', path: 'bin/tool' },
);
const linkTarget = doc(
  z.union([z.string().min(1), symbolicPath]),
  "The symlink body: a literal string, as ln -s takes it, or {drv, which, path?} naming another derivation's path.",
  '/nix/var/nix/builds',
  { drv: 'godyn', which: 'scratch' },
);

const action = doc(
  z.discriminatedUnion('op', [
    z.strictObject({ op: op('mkdirP', 'mkdir -p: create the directory and its parents.'), path: rel, output: outputVar.optional() }),
    z.strictObject({ op: op('mkdir', 'mkdir: create one directory; fails if its parent is missing.'), path: rel, output: outputVar.optional() }),
    z.strictObject({ op: op('writeFile', 'Write a regular file (created 0644, truncated if it exists).'), path: rel, content, output: outputVar.optional() }),
    z.strictObject({ op: op('symlink', 'Create a symlink at `path` pointing at `target`.'), target: linkTarget, path: rel, output: outputVar.optional() }),
    z.strictObject({ op: op('chmod', 'chmod the path.'), path: rel, mode: mode('The new mode'), output: outputVar.optional() }),
    z.strictObject({
      op: op('writeIfFlag', 'Write the file only while the harness flag is set: content only one attempt writes.'),
      flag,
      path: rel,
      content,
      output: outputVar.optional(),
    }),
    z.strictObject({ op: op('exitIfFlag', 'Exit with `code` while the harness flag is set (the commands after it do not run).'), flag, code }),
    z.strictObject({ op: op('exit', 'Exit with `code` here (the commands after it do not run).'), code }),
    z.strictObject({
      op: op('plant', "A hostile builder writes a file into another derivation's predictable scratch path."),
      drv: id('The derivation whose scratch path is written into.', 'godyn'),
      path: doc(rel, 'The file to write below the planted directory ("" = the directory alone).', 'backdoor', ''),
      content,
      mode: mode('chmod the planted directory to this mode last ("777" lets the victim\'s builder write into it)').optional(),
    }),
    z.strictObject({
      op: op('plantSymlink', "A hostile builder puts a symlink at another derivation's predictable scratch path."),
      drv: id('The derivation whose scratch path the symlink takes.', 'godyn'),
      target: linkTarget,
    }),
    z.strictObject({
      op: op(
        'spawn',
        'The builder starts a process (as make would) that runs the remaining commands while the builder waits. On Linux without a sandbox that process survives a daemon crash (PR_SET_PDEATHSIG reaches the builder alone) until its uid is handed out again.',
      ),
    }),
    z.strictObject({
      op: op('loop', 'Jump back to command `to`.'),
      to: doc(z.int().min(0), 'The 0-based index of the command to jump back to (an earlier one).', 0),
      times: doc(
        z.int().min(1).max(16),
        'How often to jump back; omitted: forever (the process never exits on its own: a hostile builder that keeps re-planting, or an orphan that never ends).',
        2,
      ).optional(),
    }),
  ]),
  'One builder command, run as the build user (or as the daemon without build users).',
  { op: 'writeFile', path: 'pkg.a', content: 'archive' },
);

const buildEvent = doc(z.enum(BUILD_EVENT_TYPES), 'A build event type (one step of a build, as traces name them).', 'builderAction');
const nth = doc(z.int().min(0), 'Which occurrence of that event, counted from 0: 0 is just before the first.', 0, 2);
const faultKind = doc(
  z.enum(FAULT_KINDS),
  'interrupt: SIGINT, the goal is destroyed and its cleanup runs; crash: the daemon worker is killed and nothing runs; builderFailure: the builder exits non-zero; timeout: the build deadline of settings.buildDeadline expires, the worker kills the builder and the goal fails (its cleanup runs).',
  'interrupt',
);
const pathRef = doc(
  z.strictObject({
    drv: id('The derivation.', 'godyn'),
    which: doc(
      z.enum(['scratch', 'final', 'lock']),
      "scratch: where the builder writes $out (a floating CA output's fallback path, else the output path); final: the output path (a floating CA output has one only once built); lock: <drv>.drv.out.lock.",
      'scratch',
    ),
    output: outputOfDrv.optional(),
  }),
  'A store path of a derivation.',
  { drv: 'godyn', which: 'scratch' },
);

const base = {
  id: id('The actor\'s name: unique; events and traces name it.', 'a1'),
  after: doc(z.array(idPattern), 'Actors that must have done their part first: finished, or for holdUser, holding its build user.', ['a1']).optional(),
  during: doc(
    z.strictObject({
      actor: id('The build this actor joins (not itself).', 'a1'),
      before: buildEvent,
      nth,
    }),
    'Start when build `actor` is about to take its `nth` event of type `before`; that build waits until this actor has finished. A deterministic way to place a concurrent actor.',
    { actor: 'a1', before: 'builderAction', nth: 1 },
  ).optional(),
  afterUserRelease: doc(
    z.array(idPattern),
    'Start only once each of these actors has released the build user it took (a holdUser after it lets go; a build once it has given its user back). Unlike `after`, which waits for a holdUser only until it holds its user.',
    ['other'],
  ).optional(),
};
const scriptedFault = doc(
  z.strictObject({ kind: faultKind, before: buildEvent, nth }),
  "A fault scripted into `outpath run` and repro scripts: it fires just before this build's `nth` event of type `before`. Exploration drops it and tries every fault point instead.",
  { kind: 'interrupt', before: 'builderAction', nth: 2 },
);

const kind = <const L extends string>(name: L, what: string): z.ZodLiteral<L> => doc(z.literal(name), what, name);

const actor = doc(
  z.discriminatedUnion('kind', [
    z.strictObject({
      ...base,
      kind: kind('build', 'A build of one derivation by the daemon (nix-build / nix build).'),
      drv: id('The derivation it builds.', 'godyn'),
      mode: doc(
        z.enum(BUILD_MODES),
        'Omitted: a normal build. `check` is --check (bmCheck): rebuild a valid output and compare, registering nothing. `repair` is --repair (bmRepair): hash a valid output and rebuild it only if it is corrupt (or not valid), moving the result over the valid path.',
        'check',
      ).optional(),
      fault: scriptedFault.optional(),
      faults: doc(
        z.array(scriptedFault).max(4),
        'More scripted faults for this build, each firing just before its own point, of any kinds (e.g. an interrupt, then a crash while cleaning up). Exploration drops scripted faults.',
        [{ kind: 'interrupt', before: 'builderAction', nth: 1 }, { kind: 'crash', before: 'cleanupBuild', nth: 0 }],
      ).optional(),
    }),
    z.strictObject({
      ...base,
      kind: kind('holdUser', 'Another build holding a build user (it ran prepareUser first) until every `releaseAfter` actor is done.'),
      releaseAfter: doc(z.array(idPattern), 'The actors whose end releases the build user (not itself).', ['a2']),
    }),
    z.strictObject({ ...base, kind: kind('pathInfo', 'nix path-info on a path.'), target: pathRef }),
    z.strictObject({
      ...base,
      kind: kind('storeDelete', 'A delete of one path by the user.'),
      command: doc(z.enum(['nix store delete', 'nix-store --delete']), 'Which command: their messages differ.', 'nix store delete'),
      target: pathRef,
    }),
    z.strictObject({
      ...base,
      kind: kind('gc', 'nix store gc: deletes every invalid path not held by a temp root or a lock.'),
      autoGcOf: id(
        "Make it the automatic GC (min-free / max-free) of this build's own daemon worker instead: it starts only at its `during` point of that build (before lockOutputs, a builderAction or builderExit: where the worker loop calls autoGC), runs beside the build without pausing it, may stop after any deletion (max-free reached), and ends with the build's process (a crash kills it, an interrupt stops it). List it before the build.",
        'a1',
      ).optional(),
    }),
    z.strictObject({
      ...base,
      kind: doc(z.enum(['setFlag', 'clearFlag']), 'Set or clear a harness flag (what writeIfFlag and exitIfFlag test).', 'setFlag'),
      flag,
    }),
    z.strictObject({
      ...base,
      kind: kind('corrupt', 'Damage a valid output on disk as root (a file `corrupted` is written into it); the path stays registered valid. What --repair is for.'),
      target: pathRef,
    }),
  ]),
  'One step of the schedule: a build, a command, or a harness action.',
  { id: 'a1', kind: 'build', drv: 'godyn' },
);

const fileName = doc(
  z.string().regex(/^(?!\.\.?$)[^/]+$/, 'one path component (no "/", not "." or ".."); nest directories with `entries`'),
  'A file name inside the entry: one path component, no "/".',
  'pkg.a',
);
const owner = doc(z.enum(['builder1', 'builder2', 'root']), 'Who created it: the first or second build user, or root.', 'builder1');
// recursive: the annotation breaks the cycle; parseScenario casts the parsed data to Scenario as for every other field
const initialNode: z.ZodType = z.lazy(() =>
  doc(
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: doc(z.literal('file'), 'A regular file.', 'file'), name: fileName, content, owner: owner.optional(), mode: mode('The file\'s mode (default 644)').optional() }),
      z.strictObject({ kind: doc(z.literal('symlink'), 'A symlink.', 'symlink'), name: fileName, target: linkTarget, owner: owner.optional() }),
      z.strictObject({
        kind: doc(z.literal('dir'), 'A directory.', 'dir'),
        name: fileName,
        entries: doc(z.array(initialNode), 'What the directory holds.', [{ kind: 'file', name: 'x', content: 'y' }]).optional(),
        owner: owner.optional(),
        mode: mode('The directory\'s mode (default 755)').optional(),
      }),
    ]),
    "An entry of an initial tree; owner defaults to the enclosing directory's, mode to 644 (file) or 755 (dir).",
    { kind: 'dir', name: 'lib', owner: 'root', entries: [{ kind: 'file', name: 'libx.so', content: 'x' }] },
  ),
).meta({ id: 'InitialNode' });

/** The bounds of exploration; a flag of `outpath explore` overrides each one. */
export const exploreBoundsSchema = z.strictObject({
  faults: doc(z.array(faultKind).min(1), 'The fault models explored, one column each (--faults).', ['interrupt', 'crash', 'builderFailure']),
  maxFaults: doc(z.int().min(0).max(3), 'How many faults one run may contain (--max-faults); 0 explores interleavings alone.', 1),
  faultTargets: doc(z.array(idPattern), 'The builds faults may hit (--fault-targets); default: every build.', ['a1']).optional(),
  maxDepth: doc(z.int().min(1), 'The longest run explored, in events (--max-depth); default 200.', 200).optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: id('The scenario\'s name: reports and trace file names carry it.', 'seed-487'),
    doc: doc(z.string(), 'What the scenario shows, in a sentence or two.', 'An interrupted floating CA build, retried as another build user.'),
    settings: doc(
      z.strictObject({
        platform: doc(z.enum(['linux', 'darwin']), 'Where the daemon runs: darwin never has a chroot; on linux `sandbox` decides.', 'darwin'),
        sandbox: doc(
          z.union([z.boolean(), z.literal('relaxed')]),
          'The `sandbox` option: true, false or "relaxed". On linux a sandboxed build runs in <drv>.chroot, deleted before and after each build; `relaxed` sandboxes every derivation but those with `noChroot`. On darwin a sandboxed build gets a seatbelt profile, never a chroot. Whether a build is sandboxed also depends on `divertedStore`, `mountAndPidNamespaces` and `sandboxFallback` (makeDerivationBuilder).',
          false,
        ),
        sandboxFallback: doc(z.boolean(), '`sandbox-fallback` (default true): on linux, a build that should be sandboxed runs unsandboxed when the kernel lacks mount and PID namespaces; false: it fails instead.', false).optional(),
        mountAndPidNamespaces: doc(
          z.boolean(),
          'Whether the daemon can start a process in new mount and PID namespaces and mount /proc there (default true). false: a container or kernel without them, where no build can be sandboxed. Linux only.',
          false,
        ).optional(),
        divertedStore: doc(z.boolean(), 'The store\'s real directory differs from /nix/store (a chroot store, `--store /some/root`); default false. On linux every build is then sandboxed; on darwin every build fails.', true).optional(),
        buildUsers: doc(z.int().min(0).max(8), 'Members of build-users-group; 0: the setting is empty and builders run as the daemon (single-user). With autoAllocateUids: the uid slots (id-count / 65536), at least 1.', 4),
        autoAllocateUids: doc(
          z.boolean(),
          '`auto-allocate-uids = true`: a build runs as uid 872415232 + 65536 × its slot (the first free one), a uid with no passwd entry, in group nixbld (in a sandbox: the uid itself). build-users-group is taken to be nixbld.',
          true,
        ).optional(),
        useCgroups: doc(
          z.boolean(),
          '`use-cgroups = true` with the experimental feature `cgroups` (default false; Linux only). A sandboxed build then runs in a cgroup of its own below the daemon\'s, /sys/fs/cgroup/system.slice/nix-daemon.service/nix-build-uid-<uid> (recorded in /nix/var/nix/cgroups/<uid>, and destroyed by the next build of that uid) or without build users nix-build-pid-<pid>-0; its processes are killed through the cgroup, not by killUser. An unsandboxed build ignores it.',
          true,
        ).optional(),
        keepFailed: doc(z.boolean(), '`keep-failed = true`: the build directory of a failed or interrupted build is kept.', false),
        nixVersion: doc(z.enum(['2.34.8', '2.8']), "Whose behaviour where they differ: upstream 2.34.8, or Debian's 2.8 (the real-daemon oracle's).", '2.34.8'),
        caDerivations: doc(
          z.boolean(),
          'The experimental feature ca-derivations (default: on, as the harness runs its daemons). On, every registered output also gets a realisation, and a realisation makes an output valid without a hash check, so --repair never rebuilds an output this store built. Off: no realisations, and no floating CA derivation.',
          false,
        ).optional(),
        buildDeadline: doc(
          z.enum(['timeout', 'max-silent-time']),
          'Which build deadline is set (non-zero): `timeout` or `max-silent-time`. Omitted: neither (the default), and no build times out. The model has no clock: a set deadline may expire whenever the worker checks it (fault `timeout`).',
          'timeout',
        ).optional(),
        buildDirMode: mode(
          'The mode of build-dir (/nix/var/nix/builds) as the daemon finds it (default 755). With build users, a world-writable one ("1777", "777") makes every build fail before its temp dir is made (checkNotWorldWritable).',
        ).optional(),
      }),
      'The Nix settings that change the outcome.',
      { platform: 'darwin', sandbox: false, buildUsers: 4, keepFailed: false, nixVersion: '2.34.8' },
    ),
    derivations: doc(
      z
        .array(
          doc(
            z.strictObject({
              id: id('What actors and path references call this derivation.', 'godyn'),
              name: doc(z.string().regex(/^[A-Za-z0-9+\-_?=][A-Za-z0-9+\-._?=]*$/, 'a store path name'), 'The store path name (after the hash).', 'godyn-compile-glob-match'),
              kind: doc(
                z.enum(['input-addressed', 'ca-floating']),
                'input-addressed: the output path is known from the .drv; ca-floating: known only after the build, so the builder writes a scratch path.',
                'ca-floating',
              ),
              noChroot: doc(z.boolean(), '`__noChroot = true`: not sandboxed under `sandbox = relaxed`; under `sandbox = true` the build fails.', true).optional(),
              outputs: doc(
                z.array(outputName).min(1).max(3),
                'Its output names (1-3, unique; omitted: ["out"]). A derivation with more than one is built unsandboxed and in a normal build only (no --check or --repair): the model leaves out those cases for several outputs.',
                ['dev', 'out'],
              ).optional(),
              program: doc(z.array(action).max(20), 'The builder: at most 20 commands, run in order with $out = the scratch path.', [{ op: 'mkdirP', path: '' }]),
            }),
            'A derivation: one output, `out`, unless `outputs` names others.',
            { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: [{ op: 'mkdirP', path: '' }] },
          ),
        )
        .min(1)
        .max(4),
      'The derivations (1-4) the actors build.',
      [{ id: 'godyn', name: 'godyn', kind: 'ca-floating', program: [{ op: 'mkdirP', path: '' }] }],
    ),
    actors: doc(z.array(actor).min(1).max(12), 'The schedule (1-12 actors). Each starts once its `after` actors are done, or at its `during` point.', [
      { id: 'a1', kind: 'build', drv: 'godyn' },
    ]),
    initial: doc(
      z.array(
        doc(
          z.strictObject({
            at: pathRef,
            owner,
            mode: mode("The directory's mode, set after its files are written"),
            files: doc(z.record(fileName, z.string()), 'Files directly in the directory: name -> content, owned by `owner`, mode 644. For subdirectories use `entries`.', { stale: 'attempt1' }).optional(),
            entries: doc(z.array(initialNode), 'A nested tree in the directory, each entry with its own owner and mode.', [{ kind: 'dir', name: 'sub', entries: [{ kind: 'file', name: 'x', content: 'y' }] }]).optional(),
          }),
          'A directory present before the scenario starts.',
          { at: { drv: 'godyn', which: 'scratch' }, owner: 'builder1', mode: '755', files: { stale: 'attempt1' } },
        ),
      ),
      'Debris in the store before the scenario starts (for example, from an earlier crash).',
      [{ at: { drv: 'godyn', which: 'scratch' }, owner: 'builder1', mode: '755' }],
    ).optional(),
    invocations: doc(
      z.array(z.array(idPattern).min(2).max(4)).max(3),
      'Builds that are the top-level goals of one client invocation (`nix-build a.drv b.drv`: one daemon worker), run with keep-going = false, the default: when one fails, the others are cancelled where they are suspended (event `cancel`) and their builders destroyed. A build in no invocation is its own client.',
      [['bad', 'a1']],
    ).optional(),
    explore: doc(exploreBoundsSchema, 'What exploration may vary on top of the schedule, and its bounds (each overridden by a flag of `outpath explore`).', {
      faults: ['interrupt'],
      maxFaults: 1,
      faultTargets: ['a1'],
    }).optional(),
  })
  .superRefine((s, ctx) => {
    for (const p of referenceProblems(s as Scenario)) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  });

/** `.a[0].b`, with keys that are not plain names quoted: `.files["sub/x"]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${String(p)}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('');
}

/** The first issue as one line; a bad record key says what a key must be, not only that it is bad. */
export function issueLine(prefix: string, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix}: invalid`;
  const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  return `${prefix}${jsonPath(issue.path)}: ${inner ?? issue.message}`;
}

/** Parses and validates; the error is one line naming the JSON path (under `prefix`). */
export function parseScenario(json: unknown, prefix = 'scenario'): { ok: true; scenario: Scenario } | { ok: false; error: string } {
  const r = scenarioSchema.safeParse(json);
  if (!r.success) return { ok: false, error: issueLine(prefix, r.error) };
  const scenario = r.data as Scenario;
  // what the schema cannot see: an initial tree that cannot be laid out (a path not known yet, a clash)
  const [layout] = initialLayoutErrors(scenario);
  if (layout !== undefined) return { ok: false, error: `${prefix}.${layout}` };
  const problem = scriptedRunProblem(scenario);
  if (problem) return { ok: false, error: `${prefix}${jsonPath(problem.path)}: ${problem.message}` };
  return { ok: true, scenario };
}

/** The JSON Schema published at docs/scenario.schema.json (cross-reference checks are in the CLI only). */
export function scenarioJsonSchema(): string {
  const schema = z.toJSONSchema(scenarioSchema, { unrepresentable: 'any' });
  return JSON.stringify({ ...schema, $id: 'https://nix-outpath-lab.invalid/scenario.schema.json', title: 'nix-outpath-lab scenario' }, null, 2) + '\n';
}
