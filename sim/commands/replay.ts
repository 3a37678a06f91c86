/** `outpath replay`: re-execute a trace and re-check what it claims (sim/replay.ts). */
import { Option } from 'commander';
import type { Command } from 'commander';
import { parseVariant } from '../../model/nix/index.js';
import { loadDesignFiles } from '../design-file.js';
import { replayTrace } from '../replay.js';
import type { CliContext, CommandModule } from './context.js';
import { examples, fail } from './context.js';
import { loadTrace } from './load.js';

export const replayCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('replay')
      .description(
        "Rebuild the trace's own scenario, apply its events, check that every state matches what the model computes now and that each invariant it names is violated at its state (re-evaluated, not read from the file). Reports the first step that differs.",
      )
      .argument('<trace>', 'a trace JSON file (from explore --out or run --json)')
      .addOption(new Option('--design <file>', "a fix design from a file that the trace's variant names (as given to explore); repeat for several").argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
      .addHelpText('after', examples('outpath replay out/seed-487.upstream.NoWedge.interrupt.trace.json', 'outpath run same-user-retry --json > run.json && outpath replay run.json'))
      .addHelpText('after', '\nExit status: 0 confirmed, 1 not confirmed (a step differs, or a named violation does not happen), 2 bad input.')
      .action((arg: string, f: { design?: string[] }) => {
        const t = loadTrace(arg, ctx.cwd);
        const designs = loadDesignFiles(f.design ?? [], ctx.cwd);
        const v = parseVariant(t.variant, designs);
        if (!v.ok) fail(`${arg}: the trace's variant names '${v.unknown}', which is no built-in design${designs.length > 0 ? ' nor a --design file\'s' : ''}; a design from a file is given with --design FILE`);
        const r = replayTrace(t, designs);
        ctx.io.out(r.lines.join('\n') + '\n');
        ctx.exitCode = r.confirmed ? 0 : 1;
      });
  },
};
