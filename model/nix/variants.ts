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
 * where each comes from.
 */
export const UPSTREAM_VARIANTS: Readonly<Partial<Record<VariantSlug, string>>> = {
  'rewrite-in-store-temp-dir': 'NixOS/nix commit d027dc38e8 (NixOS/nix#15860), in 2.35.0',
  'floating-ca-same-scratch-path': 'NixOS/nix#16465 (open)',
};

/**
 * Deliberate model bugs, for tests only: each breaks one invariant on purpose, so the checker is
 * shown to find what no real variant violates. Never in patches/ or the verdict matrix.
 */
export const PLANTED_BUGS = ['bug-delete-follows-symlinks', 'bug-move-ignores-valid-final'] as const;
export type PlantedBug = (typeof PLANTED_BUGS)[number];

/** The set of patches (and, in tests, planted bugs) a run applies on top of upstream. */
export type Variant = ReadonlySet<VariantSlug | PlantedBug>;

/** The series the model shows necessary and sufficient (docs/verification.md says why each is in or out). */
export const RECOMMENDED: readonly VariantSlug[] = [
  'prepare-deletes-stale-scratch',
  'temp-root-scratch',
  'store-delete-explains',
  'temp-root-final-path',
  'rewrite-in-store-temp-dir',
];

export const NAMED_VARIANTS: Readonly<Record<string, readonly VariantSlug[]>> = {
  upstream: [],
  recommended: RECOMMENDED,
  ...Object.fromEntries(VARIANT_SLUGS.map((s) => [s, [s]])),
};

function isSlug(s: string): s is VariantSlug | PlantedBug {
  return (VARIANT_SLUGS as readonly string[]).includes(s) || (PLANTED_BUGS as readonly string[]).includes(s);
}

/**
 * Parses `upstream`, `recommended`, a slug, or any of these joined with '+' (`recommended+cleanup-deletes-scratch`);
 * `unknown` names the first part that is none of them.
 */
export function parseVariant(name: string): { ok: true; variant: Variant } | { ok: false; unknown: string } {
  const out = new Set<VariantSlug | PlantedBug>();
  for (const p of name.split('+')) {
    const named = Object.hasOwn(NAMED_VARIANTS, p) ? NAMED_VARIANTS[p] : undefined;
    if (named) for (const s of named) out.add(s);
    else if (isSlug(p)) out.add(p);
    else return { ok: false, unknown: p };
  }
  return { ok: true, variant: out };
}

/** The canonical name of a variant: 'upstream', or its slugs in declaration order joined with '+'. */
export function variantName(v: Variant): string {
  if (v.size === 0) return 'upstream';
  const slugs = [...VARIANT_SLUGS, ...PLANTED_BUGS].filter((s) => v.has(s));
  if (slugs.length === 0) return 'upstream';
  if (!RECOMMENDED.every((s) => v.has(s))) return slugs.join('+');
  return ['recommended', ...slugs.filter((s) => !(RECOMMENDED as readonly string[]).includes(s))].join('+');
}
