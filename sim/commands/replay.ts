/** `outpath replay`: re-execute a trace and re-check what it claims (sim/replay.ts). */
import type { Command } from 'commander';
import { replayTrace } from '../replay.js';
import type { CliContext, CommandModule } from './context.js';
import { examples } from './context.js';
import { loadTrace } from './load.js';

export const replayCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('replay')
      .description(
        "Rebuild the trace's own scenario, apply its events, check that every state matches what the model computes now and that each invariant it names is violated at its state (re-evaluated, not read from the file). Reports the first step that differs.",
      )
      .argument('<trace>', 'a trace JSON file (from explore --out or run --json)')
      .addHelpText('after', examples('outpath replay out/seed-487.upstream.NoWedge.interrupt.trace.json', 'outpath run same-user-retry --json > run.json && outpath replay run.json'))
      .addHelpText('after', '\nExit status: 0 confirmed, 1 not confirmed (a step differs, or a named violation does not happen), 2 bad input.')
      .action((arg: string) => {
        const r = replayTrace(loadTrace(arg, ctx.cwd));
        ctx.io.out(r.lines.join('\n') + '\n');
        ctx.exitCode = r.confirmed ? 0 : 1;
      });
  },
};
