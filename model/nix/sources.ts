/**
 * The upstream code each model step mirrors, at the pinned commit. Paths are under src/ of
 * NixOS/nix 2.34.8 (f3f1c3c5b8ad91850e0f7c590cf177f7ab022024); line numbers at that tag.
 */
export const NIX_REV = 'f3f1c3c5b8ad91850e0f7c590cf177f7ab022024';
export const NIX_TAG = '2.34.8';

export const SRC = {
  goalCtor: 'libstore/build/derivation-building-goal.cc DerivationBuildingGoal::DerivationBuildingGoal (l.43, addTempRoot(drvPath))',
  acquireResources: 'libstore/build/derivation-building-goal.cc tryToBuild/acquireResources (l.368)',
  checkPathValidity: 'libstore/build/derivation-building-goal.cc checkPathValidity (l.1256)',
  removeInvalid: 'libstore/build/derivation-building-goal.cc acquireResources "removing invalid path" (l.440)',
  deletePath: 'libutil/unix/file-system.cc _deletePath (l.134)',
  getBuildUser: 'libstore/unix/user-lock.cc SimpleUserLock::acquire (l.67); derivation-builder.cc prepareUser (l.306)',
  startBuild: 'libstore/unix/build/derivation-builder.cc DerivationBuilderImpl::startBuild (l.736)',
  createTempDir: 'libstore/unix/build/derivation-builder.cc startBuild createTempDir(buildDir, "nix", 0700) (l.760)',
  chownToBuilder: 'libstore/unix/build/derivation-builder.cc startBuild chownToBuilder (l.770)',
  scratchPaths: 'libstore/unix/build/derivation-builder.cc startBuild scratch-path ternary (l.784-824)',
  prepareSandbox: 'libstore/unix/build/chroot-derivation-builder.cc prepareSandbox (l.55)',
  runChild: 'libstore/unix/build/derivation-builder.cc runChild/setUser (l.1385): the builder runs as the build user',
  unprepareBuild: 'libstore/unix/build/derivation-builder.cc unprepareBuild (l.545)',
  registerOutputs: 'libstore/unix/build/derivation-builder.cc registerOutputs (l.1417)',
  suspiciousOwnership: 'libstore/unix/build/derivation-builder.cc registerOutputs "suspicious ownership" (l.1501-1505)',
  canonicalise: 'libstore/posix-fs-canonicalise.cc canonicalisePathMetaData_ (l.44)',
  rewriteOutput: 'libstore/unix/build/derivation-builder.cc registerOutputs rewriteOutput (l.1631)',
  lockFinal: 'libstore/unix/build/derivation-builder.cc registerOutputs dynamicOutputLock (l.1845)',
  moveOutput: 'libstore/unix/build/derivation-builder.cc registerOutputs move (l.1853-1872)',
  registerValidPaths: 'libstore/unix/build/derivation-builder.cc registerOutputs registerValidPaths/registerDrvOutput (l.1928-1997)',
  killChild: 'libstore/unix/build/derivation-builder.cc killChild (l.525) / cleanupOnDestruction (l.140)',
  cleanupBuild: 'libstore/unix/build/derivation-builder.cc cleanupBuild (l.2002)',
  unlockOutputs: 'libstore/unix/pathlocks.cc PathLocks::unlock (l.133); derivation-building-goal.cc setDeletion(true) on success (l.1001)',
  interrupt: 'libutil/unix/include/nix/util/signals-impl.hh checkInterrupt (l.90); libstore/daemon.cc processConnection MonitorFdHup (l.1016) -> triggerInterrupt; libstore/build/worker.cc ~Worker destroys goals (l.42)',
  crash: 'kernel: SIGKILL of the daemon worker; flocks dropped; libutil/unix/processes.cc startProcess PR_SET_PDEATHSIG on Linux only (l.228)',
  builderFailure: 'libstore/unix/build/derivation-builder.cc unprepareBuild (l.587-594: cleanupBuild(false), then BuilderFailureError)',
  collectGarbage: 'libstore/gc.cc LocalStore::collectGarbage gcDeleteDead, the store scan (l.727)',
  storeDelete: 'nix/store-delete.cc CmdStoreDelete; libcmd/installables.cc build2 printMissing (l.628); libstore/gc.cc gcDeleteSpecific (l.698)',
  nixStoreDelete: 'nix/nix-store/nix-store.cc opDelete (l.718); libstore/gc.cc gcDeleteSpecific (l.698)',
  pathInfo: 'nix/path-info.cc CmdPathInfo::run (l.179); libstore/store-api.cc Store::queryPathInfo (l.587)',
  holdUser: 'another build holding libstore/unix/user-lock.cc userpool/<uid> (SimpleUserLock::acquire, l.96), after its prepareUser (derivation-builder.cc l.306)',
  flag: 'scenario: a file outside the store the builder reads (test harness)',
} as const;
