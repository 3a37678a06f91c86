/**
 * Mode bits and their `ls -l` rendering. Linux include/uapi/linux/stat.h; the permission masks
 * (MAY_*) are include/linux/fs.h.
 */
import type { FileKind } from './types.js';

export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;
export const S_IRWXUGO = 0o777;
export const S_IALLUGO = 0o7777;
export const S_IXUGO = 0o111;
export const S_IXGRP = 0o010;
export const S_IWOTH = 0o002;
export const S_IWGRP = 0o020;

/** inode_permission() masks. */
export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

const TYPE_CHAR: Record<FileKind, string> = { file: '-', dir: 'd', symlink: 'l' };

function triple(bits: number, special: boolean, setChar: string): string {
  const r = bits & 4 ? 'r' : '-';
  const w = bits & 2 ? 'w' : '-';
  const x = bits & 1;
  const last = special ? (x ? setChar : setChar.toUpperCase()) : x ? 'x' : '-';
  return r + w + last;
}

/** `ls -l` mode column: `drwxrwxr-t`, `-rwsr-xr-x`, `lrwxrwxrwx` (coreutils filemodestring). */
export function formatMode(kind: FileKind, mode: number): string {
  return (
    TYPE_CHAR[kind] +
    triple(mode >> 6, (mode & S_ISUID) !== 0, 's') +
    triple(mode >> 3, (mode & S_ISGID) !== 0, 's') +
    triple(mode, (mode & S_ISVTX) !== 0, 't')
  );
}

/** Octal rendering used in traces and error reports: `0755`, `01775`. */
export function formatOctal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}
