/** `outpath scenarios`, `outpath variants` and `outpath designs`: what can be explored, one line each. */
import type { Command } from 'commander';
import { BUILTIN_DESIGNS, HOOK_NAMES, HOOK_POINTS, RECOMMENDED_SET } from '../../model/nix/index.js';
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

export const designsCommand: CommandModule = {
  register(program: Command, ctx: CliContext) {
    program
      .command('designs')
      .description('List the built-in fix designs (model/nix/designs/, one file each): name, what it changes, the upstream change it stands for. With --hooks, the hook points a design of your own can use (docs/designs.md).')
      .option('--hooks', 'list the hook points instead: where each sits in upstream code and what a hook there may do')
      .addHelpText('after', examples('outpath designs', 'outpath designs --hooks', 'outpath explore --scenarios all --design ./my-design.ts'))
      .action((f: { hooks?: boolean }) => {
        if (f.hooks) {
          ctx.io.out(HOOK_NAMES.map((h) => `${h}\n  at:  ${HOOK_POINTS[h].where}\n  may: ${HOOK_POINTS[h].may}\n`).join(''));
          return;
        }
        const rows = BUILTIN_DESIGNS.map((d) => [d.name, `${d.summary} [${d.upstream}]`] as const);
        ctx.io.out(lines([...rows, [RECOMMENDED_SET.name, `${RECOMMENDED_SET.summary}: ${RECOMMENDED_SET.members.join(' + ')}`]]));
      });
  },
};
