/** `outpath patches check`: the patch series against its README, the model's variants and (with --nix-src) a Nix tree. */
import { Option } from 'commander';
import type { Command } from 'commander';
import { NAMED_VARIANTS, RECOMMENDED, UPSTREAM_VARIANTS, VARIANT_SLUGS } from '../../model/nix/index.js';
import type { PatchModel } from '../patches/check.js';
import { patchesCheck } from '../patches/command.js';
import { patchSlugs, patchVerdicts } from '../verification-doc.js';
import type { CliContext, CommandModule } from './context.js';
import { examples, fail } from './context.js';

export const patchesCommandModule: CommandModule = {
  register(program: Command, ctx: CliContext) {
    const patches = program
      .command('patches')
      .description('Check the proposed patch series (patches/).')
      .helpCommand(false)
      .addHelpText('after', examples('outpath patches check', 'outpath patches check --nix-src ~/src/nix --ref 2.34.8'));
    patches
      .command('check')
      .description(
        'Check the series: format-patch form, hunks, that series, README table, its claim columns and model variants agree; with --nix-src, apply it with git am --3way at each --ref in a temporary worktree or clone.',
      )
      .option('--nix-src <dir>', 'a NixOS/nix git checkout to apply the series to (default: structural checks only, no Nix tree needed)')
      .option('--ref <ref...>', 'refs to apply at (default: the first commit in patches/BASE)')
      .option('--dir <dir>', 'the patch set to apply (default: patches/)')
      .addOption(new Option('--method <method>', 'how to get a tree at each ref').choices(['worktree', 'clone']).default('worktree'))
      .option('--from-model', "recompute README's claim columns by exploring the model now (minutes) instead of reading docs/verification/verdicts.json")
      .option('--verbose', 'print every check, not only the failures and the summary')
      .option('--json', 'print the report as JSON')
      .addHelpText('after', examples('outpath patches check', 'outpath patches check --nix-src ~/src/nix', 'outpath patches check --nix-src ~/src/nix --ref 2.34.8 --dir patches/backport-2.34 --json'))
      .addHelpText('after', '\nExit status: 0 every check passes, 1 a check fails, 2 bad input (such as a --nix-src that is not a directory).')
      .action((f: { nixSrc?: string; ref?: string[]; dir?: string; method: 'worktree' | 'clone'; fromModel?: boolean; verbose?: boolean; json?: boolean }) => {
        const model: PatchModel = {
          variants: [...VARIANT_SLUGS, ...Object.keys(NAMED_VARIANTS)],
          patchSlugs: patchSlugs(),
          upstream: UPSTREAM_VARIANTS,
          recommended: RECOMMENDED,
          computeVerdicts: patchVerdicts,
        };
        const r = patchesCheck(f, model, ctx.cwd);
        if (r.exitCode === 2) fail(r.text.trim().split('\n')[0] ?? 'patches check: bad usage');
        ctx.io.out(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
        ctx.exitCode = r.exitCode;
      });
  },
};
