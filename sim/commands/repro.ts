/** `outpath repro`: a bash script (or its plan) that replays a trace or a scenario on a real nix-daemon. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import type { ModelEvent, Scenario } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import { checkPath, freeScenario } from '../../model/verify/index.js';
import { firstOfEach } from '../replay.js';
import { buildTrace } from '../trace.js';
import { planFromFaultTrace } from '../repro/from-fault-trace.js';
import { planFromEvents, scriptedEvents } from '../repro/from-trace.js';
import { renderScript } from '../repro/render.js';
import { ORACLE_NIX_VERSIONS, validationPlans, VALIDATION_VARIANTS } from '../repro/validation-plans.js';
import type { OracleNix } from '../repro/validation-plans.js';
import { builtinScenario } from '../scenarios/builtin.js';
import type { CliContext, CommandModule } from './context.js';
import { examples, fail } from './context.js';
import { loadScenario, loadTrace } from './load.js';
import { oneVariant } from './options.js';

interface Flags {
  readonly platform: 'linux' | 'darwin';
  readonly variant?: string;
  readonly validation?: boolean;
  readonly out?: string;
  readonly plan?: boolean;
  readonly nix?: OracleNix;
}

/** A trace file has a `format`; anything else given as .json is a scenario file. */
function isTraceFile(arg: string, cwd: string): boolean {
  if (builtinScenario(arg) || !arg.endsWith('.json')) return false;
  try {
    const j = JSON.parse(readFileSync(resolve(cwd, arg), 'utf8')) as unknown;
    return typeof j === 'object' && j !== null && 'format' in j;
  } catch {
    return false; // loadScenario reports what is wrong with it
  }
}

export const reproCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('repro')
      .description(
        "Turn a trace (its own scenario and events) or a scenario's scripted run into a bash script for a real nix-daemon, whose expectations are the model's predictions; or write the validation plans the real-daemon oracle runs. A trace whose fault or interleaving point is a daemon step becomes a script that holds the daemon at its own file operations (it needs the daemon run with the fault injector: validate:faults does that).",
      )
      .argument('[trace-or-scenario]', 'a trace JSON file, a built-in scenario, or a scenario JSON file')
      .addOption(new Option('--platform <platform>', 'the daemon the script targets').choices(['linux', 'darwin']).default('linux'))
      .addOption(new Option('--variant <variant>', "the design the script expects besides upstream (default: the trace's variant, else upstream)").argParser(oneVariant))
      .option('--plan', 'print the repro plan as JSON instead of the script')
      .option('--validation', 'write the validation plans (one per validation scenario) to --out')
      .option('--out <dir>', 'with --validation: where the plans go')
      .addOption(new Option('--nix <version>', "with --validation: whose behaviour the plans expect: the version the model is pinned to, or Debian bookworm's 2.8 (the model's 2.8 personality)").choices([...ORACLE_NIX_VERSIONS]))
      .addHelpText('after', examples('outpath repro out/seed-487.upstream.NoWedge.interrupt.trace.json > repro.sh', 'outpath repro seed-487 --platform darwin', 'outpath repro --validation --out plans/'))
      .addHelpText('after', '\nExit status: 0 script written, 1 the run cannot be placed on a real daemon (say why), 2 bad input.')
      .action((arg: string | undefined, f: Flags) => {
        if (f.nix !== undefined && !f.validation) fail('--nix goes with --validation');
        if (f.validation) {
          if (!f.out) fail('repro --validation needs --out DIR');
          if (arg !== undefined) fail('repro --validation takes no trace or scenario');
          const nix = f.nix ?? '2.34.8';
          const plans = validationPlans(nix);
          const bad = plans.find((p) => !p.ok);
          if (bad && !bad.ok) fail(`validation plan: ${bad.error}`);
          mkdirSync(resolve(ctx.cwd, f.out), { recursive: true });
          for (const p of plans) if (p.ok) writeFileSync(resolve(ctx.cwd, join(f.out, `${p.value.scenario}.json`)), JSON.stringify(p.value, null, 2) + '\n');
          ctx.io.out(`wrote ${String(plans.length)} plans to ${f.out} (Nix ${nix}; variants: ${VALIDATION_VARIANTS.join(', ')})\n`);
          return;
        }
        if (f.out !== undefined) fail('--out is for --validation; the script goes to stdout');
        if (arg === undefined) fail('missing TRACE.json or SCENARIO');
        let scenario: Scenario;
        let events: readonly ModelEvent[];
        let variant: string;
        if (isTraceFile(arg, ctx.cwd)) {
          const t = loadTrace(arg, ctx.cwd);
          scenario = freeScenario(t.scenario.spec);
          events = t.events;
          variant = f.variant ?? t.variant;
          // a design from a file has no patch a real daemon could be built with: the script can still check upstream
          if (!parseVariant(variant).ok) fail(`${arg}: its variant '${variant}' is no built-in design (a design from a file has no patch a real daemon runs); give --variant upstream (or a built-in design) for a script of its events`);
          const sequential = planFromEvents(scenario, events, [...new Set(['upstream', variant])], { platform: f.platform });
          if (!sequential.ok) {
            // a fault or a cut at a daemon step: held at the daemon's own file operations (the fault injector, Linux)
            const held = f.platform === 'linux' && variant === t.variant ? planFromFaultTrace(t, t.scenario.name) : undefined;
            if (held?.realisable) {
              ctx.io.out(f.plan ? JSON.stringify(held.plan, null, 2) + '\n' : renderScript(held.plan, { variant, platform: 'linux' }));
              return;
            }
            const why = held && !held.realisable ? held.why : f.platform !== 'linux' ? 'darwin has no fault injector here' : `a daemon-point plan predicts only the trace's own variant (${t.variant})`;
            ctx.io.err(`outpath: cannot reproduce on a real daemon: not realisable here: ${sequential.error}; with the fault injector: ${why}\n`);
            ctx.exitCode = 1;
            return;
          }
        } else {
          const loaded = loadScenario(arg, ctx.cwd);
          scenario = loaded.scenario;
          events = scriptedEvents(scenario);
          variant = f.variant ?? 'upstream';
          const sequential = planFromEvents(scenario, events, [...new Set(['upstream', variant])], { platform: f.platform });
          if (!sequential.ok) {
            const v = parseVariant(variant);
            if (!v.ok) throw new Error('unreachable: --variant is parsed');
            const run = checkPath(scenario, { variant: v.variant });
            const t = buildTrace({
              scenario: loaded.traced,
              variant,
              search: { mode: 'scripted', faults: [], maxFaults: 0 },
              foundBy: 'scripted run',
              replay: `outpath run ${arg} --variant ${variant}`,
              events: run.steps.map((st) => st.event),
              steps: run.steps,
              initial: run.initial,
              violations: firstOfEach(run.violations),
            });
            const held = f.platform === 'linux' ? planFromFaultTrace(t, scenario.name) : undefined;
            if (held?.realisable) {
              ctx.io.out(f.plan ? JSON.stringify(held.plan, null, 2) + '\n' : renderScript(held.plan, { variant, platform: 'linux' }));
              return;
            }
            const why = held && !held.realisable ? held.why : 'darwin has no fault injector here';
            ctx.io.err(`outpath: cannot reproduce on a real daemon: not realisable here: ${sequential.error}; with the fault injector: ${why}\n`);
            ctx.exitCode = 1;
            return;
          }
        }
        const plan = planFromEvents(scenario, events, [...new Set(['upstream', variant])], { platform: f.platform });
        if (!plan.ok) {
          ctx.io.err(`outpath: cannot reproduce on a real daemon: ${plan.error}\n`);
          ctx.exitCode = 1;
          return;
        }
        ctx.io.out(f.plan ? JSON.stringify(plan.value, null, 2) + '\n' : renderScript(plan.value, { variant, platform: f.platform }));
      });
  },
};
