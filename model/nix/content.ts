/**
 * What a store path holds, as Nix hashes it (a NAR: names, kinds, the executable bit, contents,
 * link targets; not owners, other mode bits or times), and the final path of a floating CA output.
 */
import type { FsKernel, TreeEntry } from '../fs/index.js';
import { digest } from './hash.js';
import { hashPartOf, makeStorePath } from './store-path.js';

/** A canonical, order-independent text of the tree at `root`, with `root` itself as ''. */
export function narText(fs: FsKernel, root: string): string {
  return narOf(fs.tree(root), root);
}

export function narOf(entries: readonly TreeEntry[], root: string): string {
  return entries
    .map((e) => {
      const rel = e.path === root ? '' : e.path.slice(root.length + 1);
      const x = e.kind === 'file' && (e.mode & 0o100) !== 0 ? 'x' : '';
      return `${rel}\t${e.kind}${x}\t${e.content ?? ''}`;
    })
    .sort()
    .join('\n');
}

/**
 * The final path of a floating CA output: makeFromCA over the content hashed modulo the scratch
 * hash part (HashModuloSink, derivation-builder.cc newInfoFromCA l.1710), so self-references do not
 * change it.
 */
export function caFinalPath(nar: string, scratch: string, outputName: string): string {
  const modulo = nar.split(hashPartOf(scratch)).join('');
  return makeStorePath(`ca:fixed:out:r:sha256:${digest(modulo)}`, outputName);
}

/** RewritingSink: replaces every occurrence of one hash part with another. */
export function rewriteHash(text: string, from: string, to: string): string {
  return text.split(from).join(to);
}
