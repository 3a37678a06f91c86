import type { Design } from './design.js';
import { BUILTIN_DESIGNS, RECOMMENDED_SET } from './designs/index.js';

/**
 * Fix designs as model variants. Each flag is one behavioural difference from upstream 2.34.8 and
 * mirrors exactly one patch in patches/ with the same slug. Variants combine with '+'.
 */
export const VARIANT_SLUGS = [
  'prepare-deletes-stale-scratch',
  'temp-root-scratch',
  'store-delete-explains',
  'temp-root-final-path',
  'cleanup-deletes-scratch',
  'print-missing-built-only',
  /** Not ours: upstream commit d027dc38e8 (NixOS/nix#15860, 2.35.0), the hash-rewrite copy in a store temp dir. */
  'rewrite-in-store-temp-dir',
  /** Not ours: NixOS/nix#16465 (open), floating CA outputs always built at makeFallbackPath(outputName). */
  'floating-ca-same-scratch-path',
] as const;
export type VariantSlug = (typeof VARIANT_SLUGS)[number];

/**
 * Variants that stand for upstream's own changes, not for a patch of ours: patches/ carries no
 * patch for them (`outpath patches check` holds every other slug to having one), and this says
 * where each comes from (each design's `upstream`).
 */
export const UPSTREAM_VARIANTS: Readonly<Partial<Record<VariantSlug, string>>> = Object.fromEntries(
  BUILTIN_DESIGNS.filter((d) => !d.upstream.startsWith('patches/')).map((d) => [d.name, d.upstream]),
);

/**
 * Deliberate model bugs, for tests only: each breaks one invariant on purpose, so the checker is
 * shown to find what no real variant violates. Never in patches/ or the verdict matrix.
 */
export const PLANTED_BUGS = ['bug-delete-follows-symlinks', 'bug-move-ignores-valid-final'] as const;
export type PlantedBug = (typeof PLANTED_BUGS)[number];

/**
 * What a run applies on top of upstream: fix designs (built-in ones in VARIANT_SLUGS order, then
 * designs loaded from files in the order given), and, in tests, planted bugs.
 */
export interface Variant {
  readonly designs: readonly Design[];
  readonly bugs: ReadonlySet<PlantedBug>;
}

/** Upstream 2.34.8 as it is: no design. */
export const UPSTREAM: Variant = { designs: [], bugs: new Set() };

/** The series the model shows necessary and sufficient (docs/verification.md says why each is in or out). */
export const RECOMMENDED: readonly VariantSlug[] = RECOMMENDED_SET.members as readonly VariantSlug[];

export const NAMED_VARIANTS: Readonly<Record<string, readonly VariantSlug[]>> = {
  upstream: [],
  recommended: RECOMMENDED,
  ...Object.fromEntries(VARIANT_SLUGS.map((s) => [s, [s]])),
};

const BUILTIN_BY_NAME: ReadonlyMap<string, Design> = new Map(BUILTIN_DESIGNS.map((d) => [d.name, d]));

// the built-in design files and the slugs must agree, in order: names are canonicalised by it
if (BUILTIN_DESIGNS.map((d) => d.name).join() !== VARIANT_SLUGS.join()) throw new Error('model bug: model/nix/designs/index.ts and VARIANT_SLUGS disagree');

function isBug(s: string): s is PlantedBug {
  return (PLANTED_BUGS as readonly string[]).includes(s);
}

/**
 * Parses `upstream`, `recommended`, a design's name, or any of these joined with '+'
 * (`recommended+cleanup-deletes-scratch`); `loaded` are designs from files, known by their names.
 * `unknown` names the first part that is none of them.
 */
export function parseVariant(name: string, loaded: readonly Design[] = []): { ok: true; variant: Variant } | { ok: false; unknown: string } {
  const builtin = new Set<string>();
  const mine = new Set<Design>();
  const bugs = new Set<PlantedBug>();
  for (const p of name.split('+')) {
    const named = Object.hasOwn(NAMED_VARIANTS, p) ? NAMED_VARIANTS[p] : undefined;
    const file = loaded.find((d) => d.name === p);
    if (named) for (const s of named) builtin.add(s);
    else if (isBug(p)) bugs.add(p);
    else if (file) mine.add(file);
    else return { ok: false, unknown: p };
  }
  const designs = [...BUILTIN_DESIGNS.filter((d) => builtin.has(d.name)), ...loaded.filter((d) => mine.has(d))];
  return { ok: true, variant: { designs, bugs } };
}

/** Whether the variant applies the built-in design or planted bug `name`. */
export function applies(v: Variant, name: VariantSlug | PlantedBug): boolean {
  return isBug(name) ? v.bugs.has(name) : v.designs.some((d) => d.name === name);
}

/** The canonical name of a variant: 'upstream', or its designs (built-in ones in declaration order, then loaded ones) and bugs joined with '+'. */
export function variantName(v: Variant): string {
  const names = v.designs.map((d) => d.name);
  const builtins = VARIANT_SLUGS.filter((s) => names.includes(s));
  const loaded = v.designs.filter((d) => BUILTIN_BY_NAME.get(d.name) !== d).map((d) => d.name);
  const bugs = PLANTED_BUGS.filter((b) => v.bugs.has(b));
  const head = RECOMMENDED.every((s) => builtins.includes(s)) ? ['recommended', ...builtins.filter((s) => !RECOMMENDED.includes(s))] : builtins;
  const all = [...head, ...bugs, ...loaded];
  return all.length === 0 ? 'upstream' : all.join('+');
}
