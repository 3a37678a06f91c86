/**
 * Store paths as the model needs them. Nix: libstore/path.cc (name rules),
 * store-dir-config.cc makeStorePath, derivation-builder.cc makeFallbackPath @2.34.8.
 */
import { hashPart } from './hash.js';

export const STORE_DIR = '/nix/store';

/** `<storeDir>/<hash>-<name>`; the model's makeStorePath(type, hash, name). */
export function makeStorePath(fingerprint: string, name: string): string {
  return `${STORE_DIR}/${hashPart(fingerprint)}-${name}`;
}

/** The hash part of a store path, or of a store entry name (`<hash>-foo.drv.out.lock` included). */
export function hashPartOf(pathOrName: string): string {
  const base = pathOrName.slice(pathOrName.lastIndexOf('/') + 1);
  return base.slice(0, 32);
}

/** Nix: derivations.cc outputPathName: `name` for output `out`, else `name-<output>`. */
export function outputPathName(drvName: string, output: string): string {
  return output === 'out' ? drvName : `${drvName}-${output}`;
}

/**
 * Nix: derivation-builder.cc makeFallbackPath(OutputNameView) @2.34.8 (l.2033): the fingerprint is
 * "rewrite:<drvPath>:name:<output>" with an all-zero hash. No randomness: the scratch path of a
 * floating CA output is the same on every attempt, whatever the member comment says.
 */
export function makeFallbackPath(drvPath: string, drvName: string, output: string): string {
  return makeStorePath(`rewrite:${baseName(drvPath)}:name:${output}:sha256:0`, outputPathName(drvName, output));
}

/** Nix: derivation-builder.cc makeFallbackPath(const StorePath &) @2.34.8 (l.2047): for repair/valid known paths. */
export function makeFallbackPathOf(drvPath: string, path: string): string {
  return makeStorePath(`rewrite:${baseName(drvPath)}:${baseName(path)}:sha256:0`, baseName(path).slice(33));
}

/**
 * Nix: path.cc checkName: a store entry name parses as a store path when it is
 * `<32 base-32 chars>-<name>` with name characters [A-Za-z0-9+-._?=] and not starting with '.'.
 * Lock files (`….drv.out.lock`) parse too, which is why GC deletes stale ones (gc.cc gcDeleteDead).
 */
export function parsesAsStorePath(entryName: string): boolean {
  return /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-_?=][A-Za-z0-9+\-._?=]*$/.test(entryName);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
