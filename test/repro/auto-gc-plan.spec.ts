/**
 * The validation plan of auto-gc-during-ca-build: the daemon's own GC (min-free), which no client
 * command starts. The plan holds the build at a gate, the harness lowers the free space the daemon
 * reads (_NIX_TEST_FREE_SPACE_FILE) and waits for the held build's worker to collect, then resumes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { validationPlans } from '../../sim/repro/validation-plans.js';
import { settingsKey, writeNixConf } from '../../scripts/lib/real-daemon.js';

function autoGcPlan(nix: '2.34.8' | '2.8'): ReproPlan {
  for (const p of validationPlans(nix)) if (p.ok && p.value.scenario === 'auto-gc-during-ca-build') return p.value;
  throw new Error('no auto-gc-during-ca-build plan');
}

describe('the auto-GC plan', () => {
  const p = autoGcPlan('2.34.8');

  it('asks for a daemon that collects by itself, and holds the build while the harness lowers its free space', () => {
    expect(p.settings.autoGc).toBe(true);
    expect(p.steps.map((s) => (s.kind === 'delete' ? `${s.kind}:${s.command}` : s.kind))).toEqual(['build', 'delete:nol_auto_gc', 'resume']);
    const held = p.steps[0];
    expect(held?.kind === 'build' && held.holdAt).toMatch(/^before\d+$/);
  });

  it('predicts what the model computes: upstream loses the scratch output and fails, recommended keeps it and builds', () => {
    expect(p.expect['upstream']?.commands['autogc']?.removed).toBe(true);
    expect(p.expect['upstream']?.attempts['a1']?.outcome).toBe('failed');
    expect(p.expect['recommended']?.commands['autogc']?.removed).toBe(false);
    expect(p.expect['recommended']?.attempts['a1']?.outcome).toBe('success');
  });

  it('gets a daemon of its own, whose nix.conf and environment turn the auto-GC on', () => {
    expect(settingsKey(p.settings)).toBe('multi-user+auto-gc');
    const dir = mkdtempSync(join(tmpdir(), 'nol-conf-'));
    const env = writeNixConf(dir, p.settings, '/inside');
    const conf = readFileSync(join(dir, 'nix.conf'), 'utf8');
    expect(conf).toMatch(/^min-free = \d+$/m);
    expect(conf).toMatch(/^max-free = \d+$/m);
    expect(conf).toMatch(/^min-free-check-interval = 0$/m);
    expect(env['_NIX_TEST_FREE_SPACE_FILE']).toBe('/inside/free-space');
    const min = Number(/^min-free = (\d+)$/m.exec(conf)?.[1]);
    expect(Number(readFileSync(join(dir, 'free-space'), 'utf8'))).toBeGreaterThan(min);
    const plain = writeNixConf(mkdtempSync(join(tmpdir(), 'nol-conf-')), { buildUsers: 4, keepFailed: false });
    expect(plain['_NIX_TEST_FREE_SPACE_FILE']).toBeUndefined();
  });

  it('renders the step as the harness function, and says in the header what the daemon needs', () => {
    const script = renderScript(p, { variant: 'upstream', platform: 'linux' });
    expect(script).toMatch(/h_delete 1 autogc 0 scratch nol_auto_gc$/m);
    expect(script).toContain('_NIX_TEST_FREE_SPACE_FILE=FILE');
    expect(script).toContain('nol_auto_gc() {');
  });
});
