/**
 * Renders a {@link ReproPlan} into a self-contained bash script that runs the plan against a
 * real, already running multi-user nix-daemon, writes what happened as an observation file and
 * prints MATCH / MISMATCH against the plan's expectation for one variant.
 *
 * The script is assembled from three parts: a rendered preamble (plan data, derivation specs,
 * the step calls), `harness.lib.sh` (process handling, gates, blockers, facts) and `oracle.py`
 * (inspection, observation assembly, comparison), both inlined verbatim so the script needs
 * nothing but bash, coreutils, python3 and the nix CLI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuilderAction, DaemonPoint, PathRef, PlanDerivation, PlanStep, ReproPlan } from './plan.js';
import { DIVERTED_STORE_ROOT, experimentalFeatures, stepKey } from './plan.js';

export type Platform = 'linux' | 'darwin';

export interface RenderOptions {
  /** Which of `plan.expect` the script compares against. */
  readonly variant: string;
  readonly platform: Platform;
}

const here = import.meta.dirname;

/** Single-quotes a string for sh/bash (no expansion of anything inside). */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `"$out"/'rel'` — the builder's view of a plan path (`"$dev"/'rel'` below another output). */
function outRef(rel: string, output = 'out'): string {
  const v = `"$${output}"`;
  return rel === '' ? v : `${v}/${shQuote(rel)}`;
}

/** Build users are `nixbld<n>` on linux and `_nixbld<n>` on darwin (the installer's names). */
export function userPrefix(platform: Platform): string {
  return platform === 'darwin' ? '_nixbld' : 'nixbld';
}

/**
 * The builder's shell code for one derivation. The builder is `/bin/sh` with PATH=/usr/bin:/bin
 * and no `set -e`; it logs every action it reaches to `$nolCtl/log/$nolDrv.<attempt>` (a control dir outside
 * the store, mode 0777 so any build user can append), as `A <i> ok` or `A <i> err <ERRNO> <text>`,
 * after a first line `U <uid> <user> <$out> <pid>` naming who runs it and where.
 */
export function builderScript(drv: PlanDerivation, platform: Platform): string {
  const lines: string[] = [
    // The attempt name comes from a file the harness writes before each nix-build, not from the
    // derivation (that would change the .drv); two attempts of one .drv may overlap.
    'L="$nolCtl/log/$nolDrv.$(cat "$nolCtl/attempt/$nolDrv" 2>/dev/null)"',
    'E="${TMPDIR:-/tmp}/nol-err.$$"',
    "nol_log() { printf '%s\\n' \"$*\" >> \"$L\"; }",
    // The error text of sh/coreutils is all a shell builder sees of errno; map it back.
    'nol_errno() {',
    '  case "$(cat "$E" 2>/dev/null)" in',
    '    *"Permission denied"*) echo EACCES ;;',
    '    *"Operation not permitted"*) echo EPERM ;;',
    '    *"File exists"*) echo EEXIST ;;',
    '    *"No such file"*|*"nonexistent"*) echo ENOENT ;;', // dash: "cannot create x: Directory nonexistent"
    '    *"Not a directory"*) echo ENOTDIR ;;',
    '    *"Is a directory"*) echo EISDIR ;;',
    '    *"Read-only file system"*) echo EROFS ;;',
    '    *"No space left"*) echo ENOSPC ;;',
    '    *) echo EOTHER ;;',
    '  esac',
    '}',
    'nol_res() {',
    '  if [ "$1" -eq 0 ]; then nol_log "A $2 ok"; else nol_log "A $2 err $(nol_errno) $(tr \'\\n\' \' \' < "$E" 2>/dev/null)"; fi',
    '  return "$1"',
    '}',
    WHO,
    'nol_log "U $nol_uid $nol_user $out $$"',
    'nol_log "D ${NIX_BUILD_TOP:-}"',
    'nol_log "P $(ls -ld "$out" 2>&1)"',
    'nol_rc=0',
  ];
  const flag = (f: string): string => `"$nolCtl/flags/"${shQuote(f)}`;
  const write = (a: { path: string; content: string; output?: string }, i: number): string =>
    `{ printf '%s' ${shQuote(a.content)} > ${outRef(a.path, a.output)}; } 2>"$E"; nol_res $? ${i}; nol_rc=$?`;
  drv.program.forEach((a: BuilderAction, i) => {
    lines.push(`# ${i}: ${JSON.stringify(a)}`);
    switch (a.op) {
      case 'mkdirP':
        lines.push(`mkdir -p ${outRef(a.path, a.output)} 2>"$E"; nol_res $? ${i}; nol_rc=$?`);
        break;
      case 'mkdir':
        lines.push(`mkdir ${outRef(a.path, a.output)} 2>"$E"; nol_res $? ${i}; nol_rc=$?`);
        break;
      case 'writeFile':
        lines.push(write(a, i));
        break;
      case 'symlink':
        // symlink(2) semantics: fail EEXIST on an existing path. GNU ln -T does exactly that; BSD
        // ln has no -T and would link *inside* an existing directory, so test first on darwin.
        lines.push(
          platform === 'linux'
            ? `ln -sT ${shQuote(a.target)} ${outRef(a.path, a.output)} 2>"$E"; nol_res $? ${i}; nol_rc=$?`
            : `{ if [ -e ${outRef(a.path, a.output)} ] || [ -L ${outRef(a.path, a.output)} ]; then echo "File exists" >&2; false; else ln -s ${shQuote(a.target)} ${outRef(a.path, a.output)}; fi; } 2>"$E"; nol_res $? ${i}; nol_rc=$?`,
        );
        break;
      case 'outputLink':
        // the link body is the other output's variable, its scratch path: a reference registerOutputs finds and rewrites
        lines.push(
          platform === 'linux'
            ? `ln -sT "$${a.to}" ${outRef(a.path, a.output)} 2>"$E"; nol_res $? ${i}; nol_rc=$?`
            : `{ if [ -e ${outRef(a.path, a.output)} ] || [ -L ${outRef(a.path, a.output)} ]; then echo "File exists" >&2; false; else ln -s "$${a.to}" ${outRef(a.path, a.output)}; fi; } 2>"$E"; nol_res $? ${i}; nol_rc=$?`,
        );
        break;
      case 'chmod':
        lines.push(`chmod ${a.mode} ${outRef(a.path, a.output)} 2>"$E"; nol_res $? ${i}; nol_rc=$?`);
        break;
      case 'gate': {
        // Armed = the harness made a fifo for this drv+gate. Reading it blocks until the harness
        // writes `go` (resume) or `fail` (a builder failure here), or interrupts the client, or
        // kills the daemon worker: no timing is involved.
        const fifo = `"$nolCtl/arm/$nolDrv."${shQuote(a.name)}`;
        // a gate is not a command of the model's program: it leaves nol_rc alone, so a builder held
        // after its last command still exits with that command's status, as the model's does
        lines.push(`nol_log "A ${i} ok"`);
        lines.push(`if [ -p ${fifo} ]; then echo $$ > "$nolCtl/gate/$nolDrv."${shQuote(a.name)}; read nol_x < ${fifo}; if [ "$nol_x" = fail ]; then exit 1; fi; fi`);
        break;
      }
      case 'exitIfFlag':
        lines.push(`nol_log "A ${i} ok"; nol_rc=0; if [ -e ${flag(a.flag)} ]; then exit ${a.code}; fi`);
        break;
      case 'writeIfFlag':
        lines.push(`if [ -e ${flag(a.flag)} ]; then ${write(a, i)}; else nol_log "A ${i} ok"; nol_rc=0; fi`);
        break;
      case 'exit':
        lines.push(`nol_log "A ${i} ok"; exit ${a.code}`);
        break;
      case 'plant': {
        // the victim's scratch path, written by the harness before any build (makeFallbackPath of its .drv)
        const t = `nol_t=$(cat "$nolCtl/scratch/"${shQuote(a.drv)})`;
        const file = a.path === '' ? '' : ` && printf '%s' ${shQuote(a.content)} > "$nol_t"/${shQuote(a.path)}`;
        const mode = a.mode === undefined ? '' : ` && chmod ${a.mode} "$nol_t"`;
        lines.push(`{ ${t} && mkdir -p "$nol_t"${file}${mode}; } 2>"$E"; nol_res $? ${i}; nol_rc=$?`);
        break;
      }
      case 'plantSymlink':
        lines.push(`{ nol_t=$(cat "$nolCtl/scratch/"${shQuote(a.drv)}) && ln -sT ${shQuote(a.target)} "$nol_t"; } 2>"$E"; nol_res $? ${i}; nol_rc=$?`);
        break;
    }
  });
  lines.push('exit "$nol_rc"');
  return lines.join('\n') + '\n';
}

/**
 * Sets nol_uid / nol_user. In a sandbox the builder is uid 1000 "nixbld" of a user namespace; its
 * uid_map's one line names the real build user's uid ("-" asks the harness to look the name up).
 */
const WHO =
  'nol_uid=$(id -u); nol_user=$(id -un 2>/dev/null) || nol_user=-\n' +
  'if [ -r /proc/self/uid_map ]; then read nol_in nol_host nol_n < /proc/self/uid_map; if [ "$nol_n" = 1 ]; then nol_uid=$nol_host; nol_user=-; fi; fi';

const CA_ATTRS = { __contentAddressed: true, outputHashMode: 'recursive', outputHashAlgo: 'sha256' } as const;
/** `__noChroot = true`: under `sandbox = relaxed` the daemon builds it unsandboxed. */
const NO_CHROOT = { __noChroot: true } as const;

/**
 * The JSON a derivation is built from (`drv.nix` reads it with builtins.fromJSON, so no string
 * ever needs Nix escaping). `drv.nix` adds `name-<nonce>`, `nolCtl`, `nolTag` and `system`.
 */
export function derivationSpec(drv: PlanDerivation, platform: Platform): Record<string, unknown> {
  return {
    name: drv.name,
    nolDrv: drv.id,
    builder: '/bin/sh',
    PATH: '/usr/bin:/bin', // the builder environment has no PATH otherwise
    args: ['-c', builderScript(drv, platform)],
    ...(drv.kind === 'ca-floating' ? CA_ATTRS : {}),
    ...(drv.noChroot === true ? NO_CHROOT : {}),
    // builtins.derivation takes the list as is: the builder gets one variable per output
    ...(drv.outputs !== undefined ? { outputs: drv.outputs } : {}),
  };
}

// nix-build asks for the output a derivation value selects (nix-build.cc: queryOutputName, `out`
// unless chosen) and nothing else: a multi-output spec evaluates to one value per output, `out`
// last, so one nix-build wants every output (as the model's build does), prints `out`'s path last,
// and nix-instantiate's last line is the plain .drv path (it appends `!<output>` to the others).
const DRV_NIX = `# Builds one spec: the attrs come from JSON so no plan string ever needs Nix escaping.
{ spec, nonce, ctl, tag ? "" }:
let
  a = builtins.fromJSON (builtins.readFile spec);
  d = builtins.derivation (a // {
    name = a.name + (if tag == "" then "" else "-" + tag) + "-" + nonce;
    nolCtl = ctl;
    nolTag = tag;
    system = builtins.currentSystem;
  });
in
if a ? outputs then map (o: d.\${o}) (builtins.filter (o: o != "out") a.outputs ++ [ "out" ]) else d
`;

/** The blocker: takes a build user, reports it, and blocks on a fifo until its client is interrupted. */
const HOLD_SPEC = {
  name: 'nol-hold',
  nolDrv: 'nolhold',
  builder: '/bin/sh',
  PATH: '/usr/bin:/bin',
  args: ['-c', `${WHO}\nprintf 'U %s %s %s %s\\n' "$nol_uid" "$nol_user" "$out" "$$" >> "$nolCtl/blk/$nolTag"\nread x < "$nolCtl/hold.fifo"\nmkdir "$out"\n`],
};

/**
 * The probe (and, under relaxed, `noChroot` as the plan's builds have it: see PlanSettings.sandbox).
 * `diverted`: the usual store's database may not exist on a machine whose daemon keeps its store
 * elsewhere, so the probe also looks for the daemon's socket dir (/nix/var/nix/daemon-socket,
 * there whenever a client can talk to the daemon): a chroot holds neither.
 */
function probeSpec(ca: boolean, noChroot = false, diverted = false): Record<string, unknown> {
  const seen = diverted ? '[ -e /nix/var/nix/db ] || [ -e /nix/var/nix/daemon-socket ]' : '[ -e /nix/var/nix/db ]';
  return {
    name: 'nol-probe',
    nolDrv: 'nolprobe',
    builder: '/bin/sh',
    PATH: '/usr/bin:/bin',
    // 'S on': the daemon's database is out of sight, i.e. the builder runs in a sandbox
    args: [
      '-c',
      `${WHO}\nL="$nolCtl/log/nolprobe"\nprintf 'U %s %s %s %s\\n' "$nol_uid" "$nol_user" "$out" "$$" >> "$L"\nif ${seen}; then echo 'S off'; else echo 'S on'; fi >> "$L"\nmkdir "$out"\n`,
    ],
    ...(ca ? CA_ATTRS : {}),
    ...(noChroot ? NO_CHROOT : {}),
  };
}

function daemonActionText(a: DaemonPoint['action']): string {
  return a === 'interrupt' ? 'SIGINT the client' : a === 'crash' ? 'SIGKILL the daemon worker' : 'hold the daemon worker (until resume)';
}

/** `after the 2nd chmod on /nix/store/*-x@N@`. */
export function describePoint(p: DaemonPoint): string {
  const ord = p.nth % 10 === 1 && p.nth % 100 !== 11 ? 'st' : p.nth % 10 === 2 && p.nth % 100 !== 12 ? 'nd' : p.nth % 10 === 3 && p.nth % 100 !== 13 ? 'rd' : 'th';
  return `${p.when} the ${String(p.nth)}${ord} ${p.op} on ${p.glob}`;
}

/** The rule line the fault injector reads (sim/repro/fault-inject.c), id and nonce filled in by the harness. */
export function daemonRule(p: DaemonPoint): string {
  return `${p.op} ${p.when} ${String(p.nth)} ${p.glob}`;
}

/** The harness's `which` argument: `final`, or `final:dev` for a named output (resolve splits it). */
function whichArg(t: PathRef): string {
  return t.output !== undefined ? `${t.which}:${t.output}` : t.which;
}

/** A human-readable line per step, for the script's header and its step comments. */
export function describeStep(step: PlanStep, index: number): string {
  const ref = (t: { drv: string; which: string; output?: string }): string => `${t.which} path of ${t.drv}${t.output !== undefined ? ` (output ${t.output})` : ''}`;
  switch (step.kind) {
    case 'holdUsers':
      return `hold ${step.count} build user(s) with blocker builds`;
    case 'releaseUsers':
      return 'release the held build users';
    case 'setFlag':
      return `set flag ${step.flag}`;
    case 'clearFlag':
      return `clear flag ${step.flag}`;
    case 'build':
      return `${step.check ? 'nix-build --check' : step.repair ? 'nix-build --repair' : 'build'} ${step.drv} (attempt ${step.attempt})${
        step.interruptAt
          ? `, SIGINT the client at gate ${step.interruptAt}`
          : step.holdAt
            ? `, hold the builder at gate ${step.holdAt} (until resume)`
            : step.waitsForLock
              ? ', in the background until it waits for the output lock (until resume)'
              : step.crashAt
                ? `, SIGKILL the daemon worker while the builder waits at gate ${step.crashAt}`
                : step.failAt
                  ? `, the builder exits 1 at gate ${step.failAt}`
                  : step.timeoutAt
                    ? `, with a build timeout that kills the builder while it waits at gate ${step.timeoutAt}`
                    : step.daemonAt
                      ? `, ${daemonActionText(step.daemonAt.action)} at the daemon's ${describePoint(step.daemonAt)}`
                      : ''
      }`;
    case 'resume':
      if (step.then !== undefined) {
        const t = step.then;
        const where = t.gate !== undefined ? `its builder's gate ${t.gate}` : t.daemonAt ? `the daemon's ${describePoint({ ...t.daemonAt, action: 'hold' })} (counted from the resume)` : '?';
        return `resume attempt ${step.attempt} up to ${where}, ${t.fault === 'interrupt' ? 'interrupt it' : t.fault === 'crash' ? 'kill its daemon worker' : 'make its builder fail'} there, and wait until its client exits`;
      }
      return step.fault === undefined
        ? `resume attempt ${step.attempt} and wait until its client exits`
        : `${step.fault === 'interrupt' ? 'interrupt' : step.fault === 'crash' ? 'kill the daemon worker of' : 'make the builder fail in'} attempt ${step.attempt} where it is held, and wait until its client exits`;
    case 'pathInfo':
      return `[${stepKey(step, index)}] exists? valid? ${ref(step.target)}`;
    case 'delete':
      if (step.command === 'nol_auto_gc') return `[${stepKey(step, index)}] free space below min-free: wait for the daemon's own auto-GC (is the ${ref(step.target)} removed?)`;
      return `[${stepKey(step, index)}] ${step.command}${step.command.includes('delete') ? ` ${ref(step.target)}` : ''} (is the ${ref(step.target)} removed?)`;
    case 'inspect':
      return `[${stepKey(step, index)}] inspect ${ref(step.target)}`;
    case 'corrupt':
      return `as root, write a file 'corrupted' into the ${ref(step.target)} (it stays registered valid)`;
    case 'invocation':
      return `one nix-build of ${step.goals.map((g) => `${g.drv} (attempt ${g.attempt}, held at gate ${g.gate})`).join(' and ')}, keep-going = false, max-jobs = the number of goals; once all are held, ${step.fails}'s builder exits 1 at its gate and the others stay held: the daemon must cancel them`;
  }
}

/** A heredoc writing `content` to `file` (a bash word); the delimiter is chosen not to occur in it. */
function heredoc(file: string, content: string): string {
  let delim = 'NOL_EOF';
  const lines = new Set(content.split('\n'));
  for (let n = 0; lines.has(delim); n++) delim = `NOL_EOF_${n}`;
  return `cat > ${file} <<'${delim}'\n${content.endsWith('\n') ? content : content + '\n'}${delim}\n`;
}

function commentBlock(text: string): string[] {
  return text.split('\n').map((l) => (l.trim() === '' ? '#' : `#   ${l}`));
}

/** Renders the plan as a bash script for one expectation variant and platform. */
export function renderScript(plan: ReproPlan, opts: RenderOptions): string {
  const expectation = plan.expect[opts.variant];
  if (expectation === undefined) {
    throw new Error(`plan ${plan.scenario} has no expectation for variant "${opts.variant}" (has: ${Object.keys(plan.expect).join(', ')})`);
  }
  const drvIndex = new Map(plan.derivations.map((d, i) => [d.id, i]));
  const idx = (id: string): number => {
    const i = drvIndex.get(id);
    if (i === undefined) throw new Error(`unknown derivation ${id}`); // parsePlan rules this out
    return i;
  };
  const hasCa = plan.derivations.some((d) => d.kind === 'ca-floating');
  const relaxed = plan.settings.sandbox === 'relaxed';
  const group = plan.settings.buildUsers === 0 ? '(empty: single-user, builds run as root)' : `nixbld (at least ${plan.settings.buildUsers} members)`;

  const header = [
    '#!/usr/bin/env bash',
    `# ${plan.scenario}: nix-outpath-lab repro script, rendered from a repro plan (${plan.format})`,
    `# for expectation variant '${opts.variant}' on ${opts.platform}. Generated: edit the plan, not this file.`,
    '#',
    ...commentBlock(plan.doc),
    '#',
    '# What it does, through the real nix CLI and a running nix-daemon (NIX_REMOTE=daemon):',
    ...plan.steps.map((s, i) => `#   ${String(i).padStart(2)}. ${describeStep(s, i)}`),
    '#',
    '# Run as root on a machine with a RUNNING multi-user nix-daemon configured with',
    `#   build-users-group = ${group}`,
    `#   sandbox = ${String(plan.settings.sandbox ?? false)}${plan.settings.sandbox === true ? ' (and user namespaces; the script binds its control dir and /usr into the sandbox)' : plan.settings.sandbox === 'relaxed' ? ' (every derivation of the plan has __noChroot, so its builds run unsandboxed)' : ''}`,
    ...(plan.settings.mountAndPidNamespaces === false
      ? [
          `#   sandbox-fallback = ${String(plan.settings.sandboxFallback === true)}, and NO mount namespaces: its environment has`,
          '#   LD_PRELOAD=libnolfault.so (built from sim/repro/fault-inject.c) and NOL_NO_NAMESPACES=1, so every',
          "#   mount(2) fails EPERM and the daemon's namespace probe says no (the script's probe checks it)",
        ]
      : []),
    `#   experimental-features = ${experimentalFeatures(plan.settings)}${plan.settings.caDerivations === false ? ' (no ca-derivations: no output gets a realisation)' : ''}`,
    ...(plan.settings.divertedStore
      ? [
          `#   store = local?root=${DIVERTED_STORE_ROOT} for the daemon alone (or NOL_DIVERTED_ROOT=ROOT here for its root): a diverted`,
          '#   store, which chroots every build although sandbox = false (the script binds its control dir and /usr into it)',
        ]
      : []),
    ...(plan.settings.autoAllocateUids ? [`#   auto-allocate-uids = true (${String(plan.settings.buildUsers)} or more uid slots)`] : []),
    ...(plan.settings.useCgroups ? ['#   use-cgroups = true (and a cgroup2 fs the daemon finds in /proc/mounts)'] : []),
    ...(plan.settings.autoGc
      ? [
          '#   min-free = 1000000, max-free = 1000000000, min-free-check-interval = 0, and in its environment',
          '#   _NIX_TEST_FREE_SPACE_FILE=FILE holding a number above min-free (this script needs it too: it lowers it)',
        ]
      : []),
    '# (validate-real starts such a daemon for you). It starts no daemon and stops only what it started.',
    ...(plan.steps.some((s) => (s.kind === 'build' && s.daemonAt !== undefined) || (s.kind === 'resume' && s.then?.daemonAt !== undefined))
      ? [
          '# It holds the daemon at its own file operations: the daemon must run with the fault injector',
          '# (LD_PRELOAD=libnolfault.so built from sim/repro/fault-inject.c, NOL_FAULT_DIR=DIR), and this',
          '# script needs NOL_FAULT_DIR=DIR too (validate-real --faults does both).',
        ]
      : []),
    '#',
    '#   bash THIS_SCRIPT [--obs FILE] [--work DIR]',
    '#',
    '# --obs FILE  where to write the observation JSON (default $OBS, else WORK/observation.json)',
    '# --work DIR  scratch dir for logs, specs and the control dir builders write to (default: mktemp)',
    '# Env: NOL_STEP_TIMEOUT (180 s per nix command), NOL_GATE_TIMEOUT (120), NOL_SETTLE_TIMEOUT (60), KEEP_WORK=0.',
    "# Prints MATCH, or one 'MISMATCH: <field> expected X got Y' per difference, and exits",
    '# 0 = match, 1 = mismatch, 2 = harness error (daemon missing or misconfigured, timeout), 130/143 = stopped.',
    '# Needs bash, coreutils, ps, python3 and nix (nix-build, nix-store, nix-instantiate, nix).',
    '',
  ];

  const preamble = [
    `SCENARIO=${shQuote(plan.scenario)}`,
    `VARIANT=${shQuote(opts.variant)}`,
    `PLATFORM=${opts.platform}`,
    `BUILD_USERS=${plan.settings.buildUsers}`,
    `KEEP_FAILED=${String(plan.settings.keepFailed)}`,
    // SANDBOX: whether the plan's builds are sandboxed; SANDBOX_MODE: the `sandbox` option itself
    // (a daemon without mount namespaces sandboxes nothing: it falls back or refuses; a diverted
    // store chroots every build whatever `sandbox` says)
    `SANDBOX=${(plan.settings.sandbox === true && plan.settings.mountAndPidNamespaces !== false) || plan.settings.divertedStore === true ? 1 : 0}`,
    `SANDBOX_MODE=${String(plan.settings.sandbox ?? false)}`,
    `NO_NAMESPACES=${plan.settings.mountAndPidNamespaces === false ? 1 : 0}`,
    `SANDBOX_FALLBACK=${plan.settings.sandboxFallback === true ? 1 : 0}`,
    `BUILD_DIR_MODE=${plan.settings.buildDirMode ?? ''}`,
    `HAS_CA=${hasCa ? 1 : 0}`,
    // the clients' experimental-features, as the daemon's (it ignores a client's: the probe checks it)
    `CA_DERIVATIONS=${plan.settings.caDerivations === false ? 0 : 1}`,
    `NEEDS_INJECTOR=${plan.steps.some((s) => (s.kind === 'build' && s.daemonAt !== undefined) || (s.kind === 'resume' && s.then?.daemonAt !== undefined)) ? 1 : 0}`,
    // an auto-allocated uid has no passwd entry: the harness names it uid<N>, as the model does
    `USER_PREFIX=${plan.settings.autoAllocateUids ? 'uid' : userPrefix(opts.platform)}`,
    `AUTO_UIDS=${plan.settings.autoAllocateUids ? 1 : 0}`,
    // DIVERTED: the daemon's store is local?root=$DIVERTED_ROOT, its paths physically under $DIVERTED_ROOT/nix/store
    `DIVERTED=${plan.settings.divertedStore ? 1 : 0}`,
    ...(plan.settings.divertedStore ? [`DIVERTED_ROOT=\${NOL_DIVERTED_ROOT:-${DIVERTED_STORE_ROOT}}`] : []),
    `NDRV=${plan.derivations.length}`,
    ...plan.derivations.map((d, i) => `DRV_ID_${i}=${d.id}; DRV_KIND_${i}=${d.kind}; DRV_NAME_${i}=${d.name}`),
    '',
    '# Files the run needs, written into $WORK (quoted heredocs: nothing inside is expanded).',
    'write_files() {',
    heredoc('"$PY"', readFileSync(join(here, 'oracle.py'), 'utf8')),
    heredoc('"$WORK/drv.nix"', DRV_NIX),
    ...plan.derivations.map((d, i) => heredoc(`"$WORK/spec-${i}.json"`, JSON.stringify(derivationSpec(d, opts.platform), null, 1))),
    heredoc('"$WORK/spec-probe.json"', JSON.stringify(probeSpec(hasCa, relaxed, plan.settings.divertedStore === true), null, 1)),
    // under relaxed, a probe without __noChroot must run sandboxed: the daemon really is in relaxed mode
    ...(relaxed ? [heredoc('"$WORK/spec-probeboxed.json"', JSON.stringify(probeSpec(hasCa), null, 1))] : []),
    // without ca-derivations, a floating CA probe the daemon must refuse: it really runs without the feature
    ...(plan.settings.caDerivations === false ? [heredoc('"$WORK/spec-probeca.json"', JSON.stringify(probeSpec(true), null, 1))] : []),
    heredoc('"$WORK/spec-hold.json"', JSON.stringify(relaxed ? { ...HOLD_SPEC, ...NO_CHROOT } : HOLD_SPEC, null, 1)),
    heredoc('"$WORK/expect.json"', JSON.stringify(expectation, null, 1)),
    '}',
    '',
  ];

  const calls: string[] = ['run_steps() {'];
  plan.steps.forEach((s, i) => {
    calls.push(`    # step ${i}: ${describeStep(s, i)}`);
    switch (s.kind) {
      case 'holdUsers':
        calls.push(`    h_hold ${i} ${s.count}`);
        break;
      case 'releaseUsers':
        calls.push(`    h_release ${i}`);
        break;
      case 'setFlag':
        calls.push(`    h_flag ${i} set ${s.flag}`);
        break;
      case 'clearFlag':
        calls.push(`    h_flag ${i} clear ${s.flag}`);
        break;
      case 'build': {
        const [mode, gate] = s.interruptAt
          ? ['interrupt', s.interruptAt]
          : s.holdAt
            ? ['hold', s.holdAt]
            : s.waitsForLock
              ? ['lockwait', '']
              : s.crashAt
                ? ['crash', s.crashAt]
                : s.failAt
                  ? ['fail', s.failAt]
                  : s.timeoutAt
                    ? ['timeout', s.timeoutAt]
                    : s.daemonAt
                      ? [`d${s.daemonAt.action}`, daemonRule(s.daemonAt)]
                      : ['run', ''];
        // an attempt interrupted later (at its resume) runs without --debug too (see h_build)
        const interruptedLater = plan.steps.some((r, j) => j > i && r.kind === 'resume' && r.attempt === s.attempt && (r.fault === 'interrupt' || r.then?.fault === 'interrupt'));
        const flags = [...(interruptedLater ? ['nodebug'] : []), ...(s.check ? ['check'] : []), ...(s.repair ? ['repair'] : [])].join('+');
        calls.push(`    h_build ${i} ${s.attempt} ${idx(s.drv)} ${mode} ${shQuote(gate)}${flags ? ` ${flags}` : ''}`);
        break;
      }
      case 'resume': {
        const t = s.then;
        const next = t === undefined ? '' : t.gate !== undefined ? ` '' gate ${shQuote(t.gate)} ${t.fault}` : t.daemonAt ? ` '' daemon ${shQuote(daemonRule({ ...t.daemonAt, action: 'hold' }))} ${t.fault}` : '';
        calls.push(`    h_resume ${i} ${s.attempt}${s.fault ? ` ${s.fault}` : ''}${next}`);
        break;
      }
      case 'pathInfo':
      case 'inspect':
        calls.push(`    h_path ${i} ${stepKey(s, i)} ${idx(s.target.drv)} ${whichArg(s.target)} ${s.kind}`);
        break;
      case 'corrupt':
        calls.push(`    h_corrupt ${i} ${idx(s.target.drv)}`);
        break;
      case 'invocation':
        calls.push(`    h_invocation ${i} ${s.fails} ${s.goals.map((g) => `${g.attempt} ${idx(g.drv)} ${shQuote(g.gate)}`).join(' ')}`);
        break;
      case 'delete':
        calls.push(`    h_delete ${i} ${stepKey(s, i)} ${idx(s.target.drv)} ${whichArg(s.target)} ${s.command}`);
        break;
    }
  });
  calls.push('}', '');

  return [
    ...header,
    ...preamble,
    ...calls,
    readFileSync(join(here, 'harness.lib.sh'), 'utf8'),
    '# ------------------------------------------------------------------------------- main ---',
    'probe',
    'run_steps',
    'h_finish',
    'exit $?',
    '',
  ].join('\n');
}
