/** One line per variant for `outpath variants`: each built-in design's own summary (model/nix/designs/). */
import { BUILTIN_DESIGNS, RECOMMENDED } from '../model/nix/index.js';

/** Every named variant with its line: upstream, recommended, then each design. */
export function variantDocs(): readonly (readonly [string, string])[] {
  return [
    ['upstream', 'Nix 2.34.8 as it is'],
    ['recommended', `the series the model shows necessary and sufficient: ${RECOMMENDED.join(' + ')}`],
    ...BUILTIN_DESIGNS.map((d) => [d.name, d.summary] as const),
  ];
}
