/** The public surface of the filesystem kernel. model/nix and sim import model/fs only through this file. */
export * from './types.js';
export { ROOT, chroot, creds } from './creds.js';
export { Kernel, createKernel, openFlagsString, type KernelOptions } from './kernel.js';
export { formatMode, formatOctal, S_ISGID, S_ISUID, S_ISVTX } from './mode.js';
export { formatTree, diffTrees, type TreeChange } from './print.js';
export { populate, populateOrThrow } from './populate.js';
export { CGROUP_FILES, cgroupMkdir, cgroupRmdir, cgroupRootFiles } from './cgroupfs.js';
