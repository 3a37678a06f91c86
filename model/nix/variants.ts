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
  /** Not ours: upstream commit d027dc38e8 (NixOS/nix#15860, 2.35.0), the hash-rewrite copy in a store temp dir. */
  'rewrite-in-store-temp-dir',
] as const;
export type VariantSlug = (typeof VARIANT_SLUGS)[number];

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

/** Parses `upstream`, `recommended`, a slug, or slugs joined with '+'; null names what is unknown. */
export function parseVariant(name: string): { ok: true; variant: Variant } | { ok: false; unknown: string } {
  const named = NAMED_VARIANTS[name];
  if (named) return { ok: true, variant: new Set(named) };
  const parts = name.split('+');
  for (const p of parts) if (!isSlug(p)) return { ok: false, unknown: p };
  return { ok: true, variant: new Set(parts as (VariantSlug | PlantedBug)[]) };
}

/** The canonical name of a variant: 'upstream', or its slugs in declaration order joined with '+'. */
export function variantName(v: Variant): string {
  if (v.size === 0) return 'upstream';
  const slugs = [...VARIANT_SLUGS, ...PLANTED_BUGS].filter((s) => v.has(s));
  if (slugs.length === RECOMMENDED.length && RECOMMENDED.every((s) => v.has(s))) return 'recommended';
  if (slugs.length === 0) return 'upstream';
  return slugs.join('+');
}
