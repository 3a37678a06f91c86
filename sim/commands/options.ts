/**
 * Options several subcommands share, each with its parser. A parser throws InvalidArgumentError,
 * which commander prints as one line naming the option (exit 2). Bounds a scenario file can also
 * set are checked against the scenario schema, so a flag cannot go where a file may not.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { z } from 'zod';
import type { FaultKind } from '../../model/nix/index.js';
import { parseVariant, variantName } from '../../model/nix/index.js';
import { exploreBoundsSchema } from '../scenario-schema.js';
import { allVariants, FAULT_MODELS } from '../verdicts.js';

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

export function seconds(v: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError('expected a positive number of seconds.');
  return Number(v);
}

function variantOf(name: string): string {
  const p = parseVariant(name);
  if (!p.ok) throw new InvalidArgumentError(`unknown variant '${p.unknown}' (known: ${allVariants().join(', ')}; combine with +).`);
  return variantName(p.variant);
}

/** `all`, or variants separated by commas, each a name or names joined with '+'; in the order given. */
export function variantList(v: string): string[] {
  if (v === 'all') return allVariants();
  return [...new Set(v.split(',').map(variantOf))];
}

export function oneVariant(v: string): string {
  if (v.includes(',')) throw new InvalidArgumentError('this command runs one variant at a time (combine fixes with +, not ,).');
  return variantOf(v);
}

export function faultList(v: string): FaultKind[] {
  return v.split(',').map((k) => {
    if (!(FAULT_MODELS as readonly string[]).includes(k)) throw new InvalidArgumentError(`unknown fault '${k}' (known: ${FAULT_MODELS.join(', ')}).`);
    return k as FaultKind;
  });
}

/**
 * The options that choose which model runs: today the variant. A fix design loaded from a file
 * (`--design FILE`) belongs here too, resolved next to --variant in `chosenVariants`.
 */
export function addModelOptions(cmd: Command, how: 'one' | 'many'): Command {
  if (how === 'one') return cmd.addOption(new Option('--variant <variant>', 'the fix design to run: a variant name, or names joined with +').default('upstream').argParser(oneVariant));
  return cmd.addOption(
    new Option('--variant <variants>', 'fix designs to explore: "all", or variants separated by commas (each a name, or names joined with +), reported in that order')
      .default(allVariants(), 'all')
      .argParser(variantList),
  );
}

export function chosenVariants(opts: { readonly variant: string[] }): string[] {
  return opts.variant;
}
