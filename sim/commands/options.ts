/**
 * Options several subcommands share, each with its parser. A parser throws InvalidArgumentError,
 * which commander prints as one line naming the option (exit 2). Bounds a scenario file can also
 * set are checked against the scenario schema, so a flag cannot go where a file may not.
 */
import { InvalidArgumentError, Option } from 'commander';
import { UsageError } from './context.js';
import type { Command } from 'commander';
import type { z } from 'zod';
import type { Design, FaultKind } from '../../model/nix/index.js';
import { FAULT_KINDS, parseVariant, variantName } from '../../model/nix/index.js';
import { loadDesignFiles } from '../design-file.js';
import { exploreBoundsSchema } from '../scenario-schema.js';
import { allVariants } from '../verdicts.js';
import { MAX_SPLIT } from '../workers/split-cell.js';

export function positiveInt(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v)) throw new InvalidArgumentError('expected a positive integer.');
  return Number(v);
}

/** An integer the scenario schema's field `schema` accepts (the same bound as in a file). */
function schemaInt(schema: z.ZodType<number>, what: string): (v: string) => number {
  return (v) => {
    if (!/^-?[0-9]+$/.test(v) || !schema.safeParse(Number(v)).success) throw new InvalidArgumentError(`expected ${what}.`);
    return Number(v);
  };
}

export const maxFaultsArg = schemaInt(exploreBoundsSchema.shape.maxFaults, 'an integer from 0 to 3 (the bound scenario files have)');
export const maxDepthArg = schemaInt(exploreBoundsSchema.shape.maxDepth.unwrap(), 'a positive integer');

/** Threads to split one cell across: 1 (this thread) to MAX_SPLIT. */
export function splitCellArg(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > MAX_SPLIT) throw new InvalidArgumentError(`expected a number of threads from 1 to ${String(MAX_SPLIT)}.`);
  return Number(v);
}

export function seconds(v: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError('expected a positive number of seconds.');
  return Number(v);
}

/** The canonical name, or what is wrong with it. */
function variantOf(name: string, designs: readonly Design[] = []): { name: string } | { error: string } {
  const p = parseVariant(name, designs);
  if (p.ok) return { name: variantName(p.variant) };
  const known = [...allVariants(), ...designs.map((d) => d.name)].join(', ');
  return { error: `unknown variant '${p.unknown}' (known: ${known}; combine with +).` };
}

/** `all`, or variants separated by commas, each a name or names joined with '+'; in the order given (resolved in chosenVariants). */
export function variantList(v: string): string[] {
  if (v === 'all') return ['all'];
  const parts = v.split(',');
  if (parts.some((p) => p === '' || p.split('+').some((x) => x === ''))) throw new InvalidArgumentError('expected names separated by commas, each a name or names joined with +.');
  return parts;
}

export function oneVariant(v: string): string {
  if (v.includes(',')) throw new InvalidArgumentError('this command runs one variant at a time (combine fixes with +, not ,).');
  const r = variantOf(v);
  if ('error' in r) throw new InvalidArgumentError(r.error);
  return r.name;
}

export function faultList(v: string): FaultKind[] {
  return v.split(',').map((k) => {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new InvalidArgumentError(`unknown fault '${k}' (known: ${FAULT_KINDS.join(', ')}).`);
    return k as FaultKind;
  });
}

/**
 * The options that choose which model runs: the variant, and fix designs loaded from files
 * (`--design FILE`, repeatable), whose names --variant may then use; `chosenVariants` resolves both.
 */
export function addModelOptions(cmd: Command, how: 'one' | 'many'): Command {
  const design = new Option('--design <file>', "a fix design of your own: a .ts file whose default export is a design (docs/designs.md); repeat for several. Its name joins the variants").argParser(
    (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
  );
  if (how === 'one') {
    const one = (v: string): string[] => {
      if (v.includes(',')) throw new InvalidArgumentError('this command runs one variant at a time (combine fixes with +, not ,).');
      return [v];
    };
    return cmd.addOption(new Option('--variant <variant>', 'the fix design to run: a variant name, or names joined with + (default: upstream; with --design, the designs from files)').argParser(one)).addOption(design);
  }
  return cmd
    .addOption(
      new Option(
        '--variant <variants>',
        'fix designs to explore: "all", or variants separated by commas (each a name, or names joined with +, a --design file\'s name too), reported in that order (default: all; with --design, the designs from files)',
      ).argParser(variantList),
    )
    .addOption(design);
}

export interface ModelFlags {
  readonly variant?: string[];
  readonly design?: string[];
}

/** The variants asked for, canonically named, and the designs loaded from files (bad files and names: exit 2). */
export function chosenVariants(opts: ModelFlags, cwd: string): { variants: string[]; designs: Design[] } {
  const designs = loadDesignFiles(opts.design ?? [], cwd);
  const asked = opts.variant ?? (designs.length > 0 ? designs.map((d) => d.name) : ['all']);
  // names from --design files are known only once every option is read: checked here, not by the option's parser
  const names = asked.flatMap((v) => {
    if (v === 'all') return [...allVariants(), ...designs.map((d) => d.name)];
    const r = variantOf(v, designs);
    if ('error' in r) throw new UsageError(`--variant: ${r.error}`);
    return [r.name];
  });
  return { variants: [...new Set(names)], designs };
}

/** The one variant asked for (default upstream, or every --design file's design joined with +), canonically named. */
export function chosenVariant(opts: ModelFlags, cwd: string): { variant: string; designs: Design[] } {
  const designs = loadDesignFiles(opts.design ?? [], cwd);
  const asked = opts.variant?.[0] ?? (designs.length > 0 ? designs.map((d) => d.name).join('+') : 'upstream');
  const r = variantOf(asked, designs);
  if ('error' in r) throw new UsageError(`--variant: ${r.error}`);
  return { variant: r.name, designs };
}
