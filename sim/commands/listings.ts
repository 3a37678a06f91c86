/** `outpath scenarios` and `outpath variants`: what can be explored, one line each. */
import type { Command } from 'commander';
import { BUILTIN } from '../scenarios/builtin.js';
import { variantDocs } from '../variant-docs.js';
import type { CliContext, CommandModule } from './context.js';
import { examples } from './context.js';

function lines(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `${n.padEnd(width)}  ${d}\n`).join('');
}

export const scenariosCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('scenarios')
      .description('List the built-in scenarios, one line each.')
      .addHelpText('after', examples('outpath scenarios', 'outpath explore --scenarios all --variant recommended'))
      .action(() => {
        ctx.io.out(lines(BUILTIN.map((s) => [s.name, s.doc])));
      });
  },
};

export const variantsCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('variants')
      .description('List the variants (fix designs), one line each. Combine them with +, as in recommended+cleanup-deletes-scratch.')
      .addHelpText('after', examples('outpath variants', 'outpath explore seed-487 --variant upstream,temp-root-scratch+prepare-deletes-stale-scratch'))
      .action(() => {
        ctx.io.out(lines(variantDocs()));
      });
  },
};
