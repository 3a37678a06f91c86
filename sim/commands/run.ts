/**
 * `outpath run`: the scripted schedule of a scenario (each actor in order, scripted faults where
 * they are placed), with every invariant checked at every state, as a trace.
 */
import type { Command } from 'commander';
import { parseVariant } from '../../model/nix/index.js';
import { checkPath } from '../../model/verify/index.js';
import { firstOfEach } from '../replay.js';
import { buildTrace, formatText } from '../trace.js';
import type { CliContext, CommandModule } from './context.js';
import { examples } from './context.js';
import { loadScenario } from './load.js';
import type { ModelFlags } from './options.js';
import { addModelOptions, chosenVariant } from './options.js';

export const runCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const cmd = program
      .command('run')
      .description(
        'Run the scenario as scripted (each actor in order, scripted faults where they are placed), check every invariant at every state, and print the run as a trace with each invariant it breaks.',
      )
      .argument('<scenario>', 'a built-in scenario (see `outpath scenarios`) or a scenario JSON file');
    addModelOptions(cmd, 'one')
      .option('--json', 'print the trace as JSON (what replay and show read)')
      .addHelpText('after', examples('outpath run same-user-retry', 'outpath run seed-487 --variant recommended', 'outpath run seed-487 --design ./my-design.ts', 'outpath run ./my-scenario.json --json > run.json && outpath replay run.json'))
      .addHelpText('after', '\nExit status: 0 no invariant violated at any state, 1 a violation, 2 bad input, 3 the run hit its step limit.')
      .action((arg: string, f: ModelFlags & { json?: boolean }) => {
        const loaded = loadScenario(arg, ctx.cwd);
        const { variant, designs } = chosenVariant(f, ctx.cwd);
        const v = parseVariant(variant, designs);
        if (!v.ok) throw new Error('unreachable: chosenVariant resolved it');
        const path = checkPath(loaded.scenario, { variant: v.variant });
        const violations = firstOfEach(path.violations);
        const t = buildTrace({
          scenario: loaded.traced,
          variant,
          search: { mode: 'scripted', faults: [], maxFaults: 0 },
          foundBy: `scripted run${path.truncated ? ' (stopped at its step limit: a livelock, or a model bug)' : ''}`,
          replay: ['outpath run', arg, ...(f.design ?? []).flatMap((d) => ['--design', d]), '--variant', variant].join(' '),
          events: path.steps.map((s) => s.event),
          steps: path.steps,
          initial: path.initial,
          violations,
        });
        ctx.io.out(f.json ? JSON.stringify(t, null, 2) + '\n' : formatText(t));
        ctx.exitCode = violations.length > 0 ? 1 : path.truncated ? 3 : 0;
      });
  },
};
