import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePlan, type PlanDerivation, type ReproPlan } from '../../sim/repro/plan.js';
import { builderScript, derivationSpec, renderScript, shQuote } from '../../sim/repro/render.js';
import { validationPlans } from '../../sim/repro/validation-plans.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'repro-dev');
const plans: [string, ReproPlan][] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const r = parsePlan(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    if (!r.ok) throw new Error(`${f}: ${r.error}`);
    return [f, r.plan];
  });

const tmp = mkdtempSync(join(tmpdir(), 'nol-render-test-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** The first fixture plan `pick` accepts; a missing one fails the test instead of skipping its assertions. */
function planWhere(pick: (p: ReproPlan) => boolean = () => true): ReproPlan {
  const found = plans.find(([, p]) => pick(p))?.[1];
  if (!found) throw new Error(`no fixture plan in ${dir} fits this test`);
  return found;
}

/** `x`, or a failure naming what is missing: an absent fixture must fail a test, never skip its assertions. */
function must<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`missing: ${what}`);
  return x;
}

/** `bash -n` / `sh -n` on a file: syntax only, nothing runs. */
function syntaxCheck(shell: string, text: string): string {
  const f = join(tmp, `check-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(f, text);
  const r = spawnSync(shell, ['-n', f], { encoding: 'utf8' });
  return r.status === 0 ? 'ok' : r.stderr;
}

describe('renderScript', () => {
  const cases = plans.flatMap(([f, p]) => Object.keys(p.expect).flatMap((v) => (['linux', 'darwin'] as const).map((pl) => [f, v, pl, p] as const)));
  it.each(cases)('%s (%s, %s) passes bash -n', (_f, variant, platform, plan) => {
    expect(syntaxCheck('bash', renderScript(plan, { variant, platform }))).toBe('ok');
  });

  it.each(plans)('%s: every builder passes sh -n (the builder is /bin/sh)', (_f, plan) => {
    for (const d of plan.derivations) expect(syntaxCheck('sh', builderScript(d, 'linux'))).toBe('ok');
  });

  it('refuses a variant the plan has no expectation for', () => {
    expect(() => renderScript(planWhere(), { variant: 'nope', platform: 'linux' })).toThrow(/no expectation for variant "nope"/);
  });

  it('embeds only the chosen expectation, and says how to run it', () => {
    const plan = planWhere((p) => Object.keys(p.expect).length > 1);
    const s = renderScript(plan, { variant: 'upstream', platform: 'linux' });
    expect(s.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(s).toContain("VARIANT='upstream'");
    expect(s).toContain('sandbox = false');
    expect(s).toContain('--obs FILE');
    expect(s).not.toMatch(/\bpkill\b|\bkillall\b/);
    expect(s).toMatch(/env -u NIX_REMOTE|starts no daemon/);
  });

  it('uses _nixbld users on darwin', () => {
    expect(renderScript(planWhere(), { variant: 'upstream', platform: 'darwin' })).toContain('USER_PREFIX=_nixbld');
  });

  it('keeps a heredoc intact when a plan string contains the delimiter', () => {
    const plan = planWhere();
    const tricky: ReproPlan = {
      ...plan,
      derivations: plan.derivations.map((d) => ({ ...d, program: [...d.program, { op: 'writeFile', path: 'z', content: "x\nNOL_EOF\n'\"$(x)`y`" }] })),
    };
    expect(syntaxCheck('bash', renderScript(tricky, { variant: 'upstream', platform: 'linux' }))).toBe('ok');
  });
});

describe('shQuote', () => {
  it.each(["plain", "it's", "a'b'c", '$(rm -rf /) `x` ${y} "z"', 'new\nline', ''])('round-trips %j through sh', (s) => {
    const r = spawnSync('sh', ['-c', `printf '%s' ${shQuote(s)}`], { encoding: 'utf8' });
    expect(r.stdout).toBe(s);
  });
});

describe('builder script, run locally (no nix: $out is a temp dir)', () => {
  /** Runs a derivation's builder as this user with $out/$nolCtl in a temp dir; returns its log and exit status. */
  function runBuilder(drv: PlanDerivation, opts: { flags?: string[]; preexisting?: boolean } = {}): { log: string[]; status: number | null; out: string } {
    const root = mkdtempSync(join(tmp, 'b-'));
    const ctl = join(root, 'ctl');
    for (const d of ['log', 'gate', 'arm', 'flags', 'attempt']) mkdirSync(join(ctl, d), { recursive: true });
    writeFileSync(join(ctl, 'attempt', drv.id), 'x1'); // the harness names the attempt before each nix-build
    for (const f of opts.flags ?? []) writeFileSync(join(ctl, 'flags', f), '');
    const out = join(root, 'out');
    if (opts.preexisting) mkdirSync(out);
    const spec = derivationSpec(drv, 'linux');
    const args = spec['args'] as string[];
    const r = spawnSync('/bin/sh', args, {
      env: { PATH: '/usr/bin:/bin', out, nolCtl: ctl, nolDrv: drv.id, TMPDIR: root },
      encoding: 'utf8',
      timeout: 10_000,
    });
    const log = readFileSync(join(ctl, 'log', `${drv.id}.x1`), 'utf8').split('\n').filter(Boolean);
    return { log, status: r.status, out };
  }

  const ops = (): PlanDerivation => must(plans.find(([f]) => f === 'ops-errno.json')?.[1].derivations[0], `${dir}/ops-errno.json's first derivation`);

  it('logs who runs it, then every action with the errno its error text maps to', () => {
    const { log, status } = runBuilder(ops(), { flags: ['fail'] });
    expect(log[0]).toMatch(/^U \d+ \S+ \S+\/out \d+$/);
    const actions = log.filter((l) => l.startsWith('A ')).map((l) => l.split(' ').slice(1, 4).join(' '));
    expect(actions).toEqual([
      '0 ok',
      '1 ok',
      '2 ok',
      '3 err EEXIST',
      '4 ok',
      '5 ok',
      '6 err EEXIST',
      '7 err ENOENT', // dash says "Directory nonexistent"
      '8 err EISDIR',
      '9 err ENOTDIR',
      '10 err ENOENT',
      '11 ok',
    ]);
    expect(status).toBe(3); // exitIfFlag taken
  });

  it('writes contents exactly and exits with the last action status otherwise', () => {
    const { status, out } = runBuilder(ops());
    expect(status).toBe(0); // `exit 0` is the last action
    expect(readFileSync(join(out, 'd', 'f'), 'utf8')).toBe('it\'s "quoted" ${x} $(no) `no`\nline2\n');
  });

  it('fails EEXIST on plain mkdir of a leftover $out and carries on (no set -e)', () => {
    const m = must(plans.find(([f]) => f === 'plain-mkdir.json')?.[1].derivations[0], `${dir}/plain-mkdir.json's first derivation`);
    const { log, status } = runBuilder(m, { preexisting: true });
    expect(log.filter((l) => l.startsWith('A ')).map((l) => l.split(' ').slice(1, 4).join(' '))).toEqual(['0 err EEXIST', '1 ok', '2 ok', '3 ok', '4 ok']);
    expect(status).toBe(0);
  });
});

describe('a gate is not a command', () => {
  it("leaves the builder's status alone: held after a failing last command, it still exits 1 as the model's builder does", () => {
    const root = mkdtempSync(join(tmp, 'g-'));
    const ctl = join(root, 'ctl');
    for (const d of ['log', 'gate', 'arm', 'flags', 'attempt']) mkdirSync(join(ctl, d), { recursive: true });
    writeFileSync(join(ctl, 'attempt', 'd'), 'x1');
    const out = join(root, 'out');
    mkdirSync(out);
    const drv: PlanDerivation = { id: 'd', name: 'd', kind: 'ca-floating', program: [{ op: 'mkdir', path: '' }, { op: 'gate', name: 'before1' }] };
    const r = spawnSync('/bin/sh', derivationSpec(drv, 'linux')['args'] as string[], { env: { PATH: '/usr/bin:/bin', out, nolCtl: ctl, nolDrv: 'd', TMPDIR: root }, encoding: 'utf8', timeout: 10_000 });
    const log = readFileSync(join(ctl, 'log', 'd.x1'), 'utf8').split('\n').filter((l) => l.startsWith('A '));
    expect(log.map((l) => l.split(' ').slice(1, 4).join(' '))).toEqual(['0 err EEXIST', '1 ok']);
    expect(r.status).toBe(1);
  });
});

describe('the model validation plans render', () => {
  const cases = (['2.34.8', '2.8'] as const).flatMap((nix) =>
    validationPlans(nix).map((p) => {
      if (!p.ok) throw new Error(p.error);
      return [nix, p.value.scenario, p.value] as const;
    }),
  );
  // the variants' scripts differ only in the expectation heredoc: one of them is enough for bash -n
  it.each(cases)('%s %s: the script passes bash -n, every builder sh -n', (_nix, _name, plan) => {
    expect(syntaxCheck('bash', renderScript(plan, { variant: 'upstream', platform: 'linux' }))).toBe('ok');
    for (const d of plan.derivations) expect(syntaxCheck('sh', builderScript(d, 'linux'))).toBe('ok');
  });

  it('a sandboxed plan pins the sandbox on, without fallback, with the control dir and /usr bound in', () => {
    const plan = must(cases.find(([nix, name]) => nix === '2.34.8' && name === 'linux-sandbox')?.[2], 'the 2.34.8 linux-sandbox validation plan');
    expect(plan.settings.sandbox).toBe(true);
    const s = renderScript(plan, { variant: 'upstream', platform: 'linux' });
    expect(s).toContain('SANDBOX=1');
    expect(s).toContain('SANDBOX_MODE=true');
    expect(s).toContain('SANDBOX_FALLBACK=0');
    expect(s).toContain('NO_NAMESPACES=0');
    expect(s).toContain('sandbox = $SANDBOX_MODE\nsandbox-fallback = $([ "${SANDBOX_FALLBACK:-0}" = 1 ] && echo true || echo false)\nsandbox-paths = /bin/sh=$(readlink -f /bin/sh) $CTL /usr /lib? /lib64?');
    const plain = must(cases.find(([nix, name]) => nix === '2.34.8' && name === 'seed-487')?.[2], 'the 2.34.8 seed-487 validation plan');
    const p = renderScript(plain, { variant: 'upstream', platform: 'linux' });
    expect(p).toContain('SANDBOX=0');
    expect(p).toContain('SANDBOX_MODE=false');
    for (const spec of ['spec-0.json', 'spec-probe.json', 'spec-hold.json']) expect(specIn(p, spec)).not.toHaveProperty('__noChroot');
    expect(p).not.toContain('spec-probeboxed.json" <<');
  });

  it('a relaxed plan runs its __noChroot builds unsandboxed and probes that the daemon sandboxes the rest', () => {
    const plan = must(cases.find(([nix, name]) => nix === '2.34.8' && name === 'relaxed-nochroot')?.[2], 'the 2.34.8 relaxed-nochroot validation plan');
    expect(plan.settings.sandbox).toBe('relaxed');
    expect(plan.derivations.every((d) => d.noChroot === true)).toBe(true);
    const s = renderScript(plan, { variant: 'upstream', platform: 'linux' });
    expect(s).toContain('SANDBOX=0');
    expect(s).toContain('SANDBOX_MODE=relaxed');
    // the plan's derivation, the probe and the blocker carry __noChroot; the second probe does not
    for (const spec of ['spec-0.json', 'spec-probe.json', 'spec-hold.json']) expect(specIn(s, spec)).toMatchObject({ __noChroot: true });
    expect(specIn(s, 'spec-probeboxed.json')).not.toHaveProperty('__noChroot');
  });

  it('refuses a relaxed plan with a derivation that is not __noChroot, and __noChroot without relaxed', () => {
    const plan = must(cases.find(([nix, name]) => nix === '2.34.8' && name === 'relaxed-nochroot')?.[2], 'the 2.34.8 relaxed-nochroot validation plan');
    const mixed = { ...plan, derivations: plan.derivations.map(({ noChroot: _n, ...d }) => d) };
    expect(parsePlan(JSON.parse(JSON.stringify(mixed)))).toMatchObject({ ok: false, error: expect.stringMatching(/derivations\[0\].*every derivation needs noChroot/) as unknown });
    const strict = { ...plan, settings: { ...plan.settings, sandbox: true } };
    expect(parsePlan(JSON.parse(JSON.stringify(strict)))).toMatchObject({ ok: false, error: expect.stringMatching(/noChroot needs settings.sandbox = "relaxed"/) as unknown });
  });
});

describe('a gate held, then resumed (builder run locally)', () => {
  it('blocks on its armed fifo and goes on when the harness writes to it', async () => {
    const drv: PlanDerivation = {
      id: 'H',
      kind: 'ca-floating',
      name: 'nol-held',
      program: [
        { op: 'mkdirP', path: '' },
        { op: 'gate', name: 'g' },
        { op: 'writeFile', path: 'a', content: 'after' },
      ],
    };
    const root = mkdtempSync(join(tmp, 'h-'));
    const ctl = join(root, 'ctl');
    for (const d of ['log', 'gate', 'arm', 'flags', 'attempt']) mkdirSync(join(ctl, d), { recursive: true });
    writeFileSync(join(ctl, 'attempt', 'H'), 'a1');
    spawnSync('mkfifo', [join(ctl, 'arm', 'H.g')]);
    const out = join(root, 'out');
    const args = derivationSpec(drv, 'linux')['args'] as string[];
    const child = spawn('/bin/sh', args, { env: { PATH: '/usr/bin:/bin', out, nolCtl: ctl, nolDrv: 'H', TMPDIR: root, NIX_BUILD_TOP: root }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const marker = join(ctl, 'gate', 'H.g');
    for (let i = 0; i < 200 && !(existsSync(marker) && readFileSync(marker, 'utf8').trim() !== ''); i++) await new Promise((r) => setTimeout(r, 25));
    // held: it reached the gate and has not written the file after it
    const held = readFileSync(join(ctl, 'log', 'H.a1'), 'utf8');
    expect(held).toContain('A 1 ok');
    expect(held).not.toContain('A 2 ');
    expect(existsSync(join(out, 'a'))).toBe(false);
    writeFileSync(join(ctl, 'arm', 'H.g'), 'go\n'); // what h_resume does
    expect(await exited).toBe(0);
    const log = readFileSync(join(ctl, 'log', 'H.a1'), 'utf8').split('\n');
    expect(log).toContain(`D ${root}`);
    expect(log).toContain('A 2 ok');
    expect(readFileSync(join(out, 'a'), 'utf8')).toBe('after');
  });
});

/** The JSON a rendered script writes to $WORK/<name> (a quoted heredoc). */
function specIn(script: string, name: string): Record<string, unknown> {
  const m = new RegExp(`"\\$WORK/${name.replace('.', '\\.')}" <<'([A-Z_0-9]+)'\n([\\s\\S]*?)\n\\1\n`).exec(script);
  if (!m) throw new Error(`no ${name} in the script`);
  return JSON.parse(m[2] ?? '') as Record<string, unknown>;
}
