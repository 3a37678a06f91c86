/**
 * The upstream code behind each citation, structured so a program can check it: the file (under
 * src/ of NixOS/nix at NIX_TAG), a function whose definition holds the line(s), the line(s), and the
 * code quoted from them. `npm run check:citations -- --nix-src DIR` checks every entry against a
 * NixOS/nix clone or git dir; test/nix/citations.spec.ts checks, without Nix, that every SRC key
 * has an entry here and that every `l.N` in SRC, in model comments and in docs/model.md is one of
 * these lines.
 *
 * To cite a new step: add its SRC string (sources.ts), then an entry under the same key here
 * (the lines the SRC string names, and any others the step follows), then run the checker.
 */
import type { SRC } from './sources.js';

/** One place in upstream code: `line` (to `to.line` for a range) holds `quote` (whitespace-insensitive). */
export interface Citation {
  /** Path under src/ at the pinned tag, as SRC strings write it: `libstore/gc.cc`. */
  readonly file: string;
  /**
   * A function (or named lambda, struct, class) whose definition holds the line(s): `name`,
   * `Scope::name`, or a lambda's variable name. The innermost named one, where there is one.
   */
  readonly fn: string;
  readonly line: number;
  /** Code on `line`, verbatim up to whitespace. */
  readonly quote: string;
  /** The range's last line and code on it. */
  readonly to?: { readonly line: number; readonly quote: string };
}

/** A step that models no upstream code says why instead. */
export interface NotUpstream {
  readonly none: string;
}

export type SrcKey = keyof typeof SRC;

const DB = 'libstore/unix/build/derivation-builder.cc';
const DBG = 'libstore/build/derivation-building-goal.cc';
const CHROOT = 'libstore/unix/build/chroot-derivation-builder.cc';
const GC = 'libstore/gc.cc';
const TOPO = 'libutil/include/nix/util/topo-sort.hh';
const LDB = 'libstore/unix/build/linux-derivation-builder.cc';

/**
 * Structured citations of the SRC keys. Optional per key only so that a key added to SRC in its
 * string form does not break the build; the unit test requires an entry for every key.
 */
export const CITATIONS: { readonly [K in SrcKey]?: readonly Citation[] | NotUpstream } = {
  goalCtor: [{ file: DBG, fn: 'DerivationBuildingGoal::DerivationBuildingGoal', line: 43, quote: 'worker.store.addTempRoot(this->drvPath);' }],
  acquireResources: [
    { file: DBG, fn: 'DerivationBuildingGoal::tryToBuild', line: 368, quote: 'auto acquireResources = [&](bool & done, PathLocks & outputLocks) -> Goal::Co {' },
    { file: DBG, fn: 'acquireResources', line: 390, quote: 'for (auto & i : drv->outputsAndOptPaths(worker.store)) {', to: { line: 398, quote: '}' } },
    { file: DBG, fn: 'acquireResources', line: 401, quote: 'if (!outputLocks.lockPaths(lockFiles, "", false)) {' },
    { file: DBG, fn: 'acquireResources', line: 423, quote: 'auto [allValid, validOutputs] = checkPathValidity(initialOutputs);' },
  ],
  checkPathValidity: [{ file: DBG, fn: 'DerivationBuildingGoal::checkPathValidity', line: 1256, quote: 'DerivationBuildingGoal::checkPathValidity(std::map<std::string, InitialOutput> & initialOutputs)' }],
  removeInvalid: [
    { file: DBG, fn: 'acquireResources', line: 440, quote: `debug("removing invalid path '%s'", worker.store.printStorePath(status.known->path));` },
    { file: DBG, fn: 'acquireResources', line: 441, quote: 'deletePath(localStore->toRealPath(storePath));' },
  ],
  deletePath: [{ file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 134, quote: 'static void _deletePath(' }],
  getBuildUser: [
    { file: 'libstore/unix/user-lock.cc', fn: 'SimpleUserLock::acquire', line: 67, quote: 'static std::unique_ptr<UserLock>' },
    { file: 'libstore/unix/user-lock.cc', fn: 'SimpleUserLock::acquire', line: 89, quote: 'for (auto & i : users) {' },
    { file: 'libstore/unix/user-lock.cc', fn: 'SimpleUserLock::acquire', line: 102, quote: 'if (lockFile(fd.get(), ltWrite, false)) {' },
    { file: DB, fn: 'DerivationBuilderImpl::prepareUser', line: 306, quote: 'virtual void prepareUser()' },
    // auto-allocate-uids: userpool2/slot-<i>, first free slot, uid start-id + 65536 i, group by sandbox
    { file: 'libstore/unix/user-lock.cc', fn: 'acquireUserLock', line: 220, quote: 'if (auto * uidSettings = localSettings.getAutoAllocateUidSettings()) {' },
    { file: 'libstore/unix/user-lock.cc', fn: 'AutoUserLock::acquire', line: 180, quote: 'for (size_t i = 0; i < nrSlots; i++) {' },
    { file: 'libstore/unix/user-lock.cc', fn: 'AutoUserLock::acquire', line: 191, quote: 'auto firstUid = uidSettings.startId + i * maxIdsPerBuild;' },
    { file: 'libstore/unix/user-lock.cc', fn: 'AutoUserLock::acquire', line: 193, quote: 'auto pw = getpwuid(firstUid);', to: { line: 195, quote: 'throw Error("auto-allocated UID %d clashes with existing user account \'%s\'", firstUid, pw->pw_name);' } },
    { file: 'libstore/unix/user-lock.cc', fn: 'AutoUserLock::acquire', line: 200, quote: 'if (useUserNamespace)', to: { line: 201, quote: 'lock->firstGid = firstUid;' } },
    { file: 'libstore/unix/user-lock.cc', fn: 'AutoUserLock::acquire', line: 202, quote: 'else {', to: { line: 206, quote: 'lock->firstGid = gr->gr_gid;' } },
    { file: DB, fn: 'DerivationBuilderImpl::getBuildUser', line: 274, quote: 'return acquireUserLock(settings.nixStateDir, localSettings, 1, false);' },
    { file: 'libstore/unix/build/linux-derivation-builder.cc', fn: 'ChrootLinuxDerivationBuilder::getBuildUser', line: 326, quote: 'return acquireUserLock(', to: { line: 327, quote: 'settings.nixStateDir, store.config->getLocalSettings(), drvOptions.useUidRange(drv) ? 65536 : 1, true);' } },
  ],
  startBuild: [{ file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 736, quote: 'std::optional<Descriptor> DerivationBuilderImpl::startBuild()' }],
  makeBuilder: [
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 913, quote: ': makeDerivationBuilder(' },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 919, quote: 'if (auto builderOutOpt = builder->startBuild()) {' },
  ],
  sandboxEnabled: [
    { file: DB, fn: 'makeDerivationBuilder', line: 2090, quote: 'if (localSettings.sandboxMode == smEnabled) {' },
    { file: DB, fn: 'makeDerivationBuilder', line: 2103, quote: 'useSandbox = true;' },
  ],
  noChrootRefused: [
    { file: DB, fn: 'makeDerivationBuilder', line: 2091, quote: 'if (params.drvOptions.noChroot)', to: { line: 2095, quote: 'store.printStorePath(params.drvPath));' } },
    { file: DB, fn: 'makeDerivationBuilder', line: 2093, quote: `"derivation '%s' has '__noChroot' set, "` },
    { file: DB, fn: 'makeDerivationBuilder', line: 2094, quote: `"but that's not allowed when 'sandbox' is 'true'",` },
  ],
  sandboxDisabled: [{ file: DB, fn: 'makeDerivationBuilder', line: 2104, quote: '} else if (localSettings.sandboxMode == smDisabled)', to: { line: 2105, quote: 'useSandbox = false;' } }],
  sandboxRelaxed: [
    { file: DB, fn: 'makeDerivationBuilder', line: 2106, quote: 'else if (localSettings.sandboxMode == smRelaxed)', to: { line: 2108, quote: 'useSandbox = params.drv.type().isSandboxed() && !params.drvOptions.noChroot;' } },
    { file: 'libstore/derivations.cc', fn: 'DerivationType::isSandboxed', line: 86, quote: '[](const InputAddressed & ia) { return true; },', to: { line: 88, quote: '[](const Impure &) { return false; },' } },
  ],
  divertedStore: [{ file: DB, fn: 'makeDerivationBuilder', line: 2111, quote: 'if (store.storeDir != store.config->realStoreDir.get()) {', to: { line: 2113, quote: 'useSandbox = true;' } }],
  divertedStoreUnsupported: [{ file: DB, fn: 'makeDerivationBuilder', line: 2115, quote: 'throw Error("building using a diverted store is not supported on this platform");' }],
  sandboxFallback: [
    { file: DB, fn: 'makeDerivationBuilder', line: 2120, quote: 'if (useSandbox && !mountAndPidNamespacesSupported()) {' },
    { file: DB, fn: 'makeDerivationBuilder', line: 2124, quote: 'debug("auto-disabling sandboxing because the prerequisite namespaces are not available");', to: { line: 2125, quote: 'useSandbox = false;' } },
  ],
  namespacesRequired: [
    { file: DB, fn: 'makeDerivationBuilder', line: 2120, quote: 'if (useSandbox && !mountAndPidNamespacesSupported()) {', to: { line: 2123, quote: `"this system does not support the kernel namespaces that are required for sandboxing; use '--no-sandbox' to disable sandboxing");` } },
    { file: DB, fn: 'makeDerivationBuilder', line: 2121, quote: 'if (!localSettings.sandboxFallback)' },
    { file: 'libutil/linux/linux-namespaces.cc', fn: 'mountAndPidNamespacesSupported', line: 68, quote: 'if (mount("none", "/proc", "proc", 0, 0) == -1)' },
    { file: 'libutil/linux/linux-namespaces.cc', fn: 'mountAndPidNamespacesSupported', line: 73, quote: '{.cloneFlags = CLONE_NEWNS | CLONE_NEWPID | (userNamespacesSupported() ? CLONE_NEWUSER : 0)});' },
  ],
  darwinBuilder: [{ file: DB, fn: 'makeDerivationBuilder', line: 2133, quote: '#ifdef __APPLE__', to: { line: 2135, quote: 'new DarwinDerivationBuilder(store, std::move(miscMethods), std::move(params), useSandbox));' } }],
  chrootBuilder: [{ file: DB, fn: 'makeDerivationBuilder', line: 2137, quote: 'if (useSandbox)', to: { line: 2139, quote: 'new ChrootLinuxDerivationBuilder(store, std::move(miscMethods), std::move(params)));' } }],
  linuxBuilder: [{ file: DB, fn: 'makeDerivationBuilder', line: 2141, quote: 'return DerivationBuilderUnique(new LinuxDerivationBuilder(store, std::move(miscMethods), std::move(params)));' }],
  checkNotWorldWritable: [
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 755, quote: 'if (buildUser)', to: { line: 756, quote: 'checkNotWorldWritable(buildDir);' } },
    { file: DB, fn: 'checkNotWorldWritable', line: 723, quote: 'static void checkNotWorldWritable(std::filesystem::path path)', to: { line: 734, quote: '}' } },
    { file: DB, fn: 'checkNotWorldWritable', line: 727, quote: 'if (st.st_mode & S_IWOTH)' },
    { file: DB, fn: 'checkNotWorldWritable', line: 728, quote: 'throw Error("Path %s is world-writable or a symlink. That\'s not allowed for security.", PathFmt(path));' },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 749, quote: 'prepareUser();' },
  ],
  createTempDir: [{ file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 760, quote: 'topTmpDir = createTempDir(buildDir, "nix", 0700);' }],
  chownToBuilder: [
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 770, quote: 'chownToBuilder(tmpDirFd.get(), tmpDir);' },
    { file: DB, fn: 'DerivationBuilderImpl::chownToBuilder', line: 1266, quote: 'if (fchown(fd, buildUser->getUID(), buildUser->getGID()) == -1)' },
  ],
  scratchPaths: [
    {
      file: DB,
      fn: 'DerivationBuilderImpl::startBuild',
      line: 784,
      quote: 'auto scratchPath = !status.known ? makeFallbackPath(outputName)',
      to: { line: 824, quote: 'redirectedOutputs.insert_or_assign(std::move(fixedFinalPath), std::move(scratchPath));' },
    },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 805, quote: 'if (!status.known)', to: { line: 806, quote: 'continue;' } },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 814, quote: '/* Ensure scratch path is ours to use. */', to: { line: 815, quote: 'deletePath(store.printStorePath(scratchPath));' } },
  ],
  prepareSandbox: [
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 55, quote: 'void prepareSandbox() override' },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 61, quote: 'auto chrootParentDir = store.toRealPath(drvPath);', to: { line: 63, quote: 'deletePath(chrootParentDir);' } },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 70, quote: 'if (mkdir(chrootParentDir.c_str(), 0700) == -1)' },
  ],
  runChild: [
    { file: DB, fn: 'DerivationBuilderImpl::runChild', line: 1285, quote: 'void DerivationBuilderImpl::runChild(RunChildArgs args)' },
    { file: DB, fn: 'DerivationBuilderImpl::setUser', line: 1385, quote: 'void DerivationBuilderImpl::setUser()' },
    { file: DB, fn: 'DerivationBuilderImpl::setUser', line: 1405, quote: 'if (setuid(buildUser->getUID()) == -1 || getuid() != buildUser->getUID()' },
    { file: 'libmain/shared.cc', fn: 'initNix', line: 218, quote: 'umask(0022);' },
  ],
  unprepareBuild: [{ file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 545, quote: 'SingleDrvOutputs DerivationBuilderImpl::unprepareBuild()' }],
  registerOutputs: [{ file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1417, quote: 'SingleDrvOutputs DerivationBuilderImpl::registerOutputs()' }],
  suspiciousOwnership: [
    {
      file: DB,
      fn: 'DerivationBuilderImpl::registerOutputs',
      line: 1501,
      quote: 'if ((!S_ISLNK(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)))',
      to: { line: 1505, quote: `"suspicious ownership or permission on %s for output '%s'; rejecting this build output",` },
    },
  ],
  canonicalise: [
    { file: 'libstore/posix-fs-canonicalise.cc', fn: 'canonicalisePathMetaData_', line: 44, quote: 'static void canonicalisePathMetaData_(' },
    { file: 'libstore/posix-fs-canonicalise.cc', fn: 'canonicalisePathMetaData_', line: 96, quote: 'throw BuildError(BuildResult::Failure::OutputRejected, "invalid ownership on file %1%", PathFmt(path));' },
    { file: 'libstore/posix-fs-canonicalise.cc', fn: 'canonicalisePathMetaData_', line: 111, quote: 'if (st.st_uid != geteuid()) {', to: { line: 112, quote: 'if (lchown(path.c_str(), geteuid(), getegid()) == -1)' } },
  ],
  rewriteOutput: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1631, quote: 'auto rewriteOutput = [&](const StringMap & rewrites) {' },
    { file: DB, fn: 'rewriteOutput', line: 1642, quote: 'std::filesystem::path tmpPath = actualPath.native() + ".tmp";', to: { line: 1645, quote: 'movePath(tmpPath, actualPath);' } },
  ],
  lockFinal: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1845, quote: 'PathLocks dynamicOutputLock;', to: { line: 1846, quote: 'dynamicOutputLock.setDeletion(true);' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1850, quote: 'dynamicOutputLock.lockPaths({store.toRealPath(newInfo.path)});' },
  ],
  moveOutput: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1853, quote: '/* Move files, if needed */', to: { line: 1872, quote: '}' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1861, quote: '} else if (store.isValidPath(newInfo.path)) {', to: { line: 1866, quote: 'deletePath(actualPath);' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1869, quote: 'deletePath(destPath);', to: { line: 1870, quote: 'movePath(actualPath, destPath);' } },
  ],
  registerValidPaths: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1928, quote: 'if (!store.isValidPath(newInfo.path))', to: { line: 1997, quote: '}' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1947, quote: 'if (newInfo.ca)', to: { line: 1948, quote: 'store.registerValidPaths({{newInfo.path, newInfo}});' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1973, quote: 'store.registerValidPaths(infos2);' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1994, quote: 'store.registerDrvOutput(thisRealisation);' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1992, quote: 'if (experimentalFeatureSettings.isEnabled(Xp::CaDerivations) && !drv.type().isImpure()) {' },
  ],
  cgroupPrepareUser: [
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 332, quote: 'if ((buildUser && buildUser->getUIDCount() != 1) || store.config->getLocalSettings().useCgroups) {' },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 347, quote: 'cgroup = rootCgroupPath', to: { line: 349, quote: ': fmt("nix-build-pid-%d-%d", getpid(), counter++));' } },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 356, quote: 'if (buildUser) {', to: { line: 368, quote: '}' } },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 357, quote: 'auto cgroupsDir = std::filesystem::path{settings.nixStateDir} / "cgroups";', to: { line: 360, quote: 'auto cgroupFile = cgroupsDir / std::to_string(buildUser->getUID());' } },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 362, quote: 'if (pathExists(cgroupFile)) {', to: { line: 364, quote: 'destroyCgroup(prevCgroup);' } },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 367, quote: 'writeFile(cgroupFile, cgroup->native());' },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 372, quote: 'DerivationBuilderImpl::prepareUser();' },
  ],
  cgroupCreate: [
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareSandbox', line: 380, quote: 'if (mkdir(cgroup->c_str(), 0755) != 0)', to: { line: 381, quote: 'throw SysError("creating cgroup %s", PathFmt(*cgroup));' } },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareSandbox', line: 382, quote: 'chownToBuilder(*cgroup);', to: { line: 384, quote: 'chownToBuilder(*cgroup / "cgroup.threads");' } },
  ],
  cgroupDestroy: [
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::killSandbox', line: 824, quote: 'if (cgroup) {', to: { line: 830, quote: 'return;' } },
    { file: 'libutil/linux/cgroup.cc', fn: 'destroyCgroup', line: 79, quote: 'static CgroupStats destroyCgroup(const std::filesystem::path & cgroup, bool returnStats)', to: { line: 151, quote: '}' } },
  ],
  killChild: [
    { file: DB, fn: 'DerivationBuilderImpl::killChild', line: 525, quote: 'bool DerivationBuilderImpl::killChild()' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 140, quote: 'void cleanupOnDestruction() noexcept' },
  ],
  cleanupBuild: [
    { file: DB, fn: 'DerivationBuilderImpl::cleanupBuild', line: 2002, quote: 'void DerivationBuilderImpl::cleanupBuild(bool force)' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupBuild', line: 2018, quote: 'chmod(topTmpDir, 0000);' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupBuild', line: 2022, quote: 'if (settings.keepFailed && !force && !drv.isBuiltin()) {', to: { line: 2027, quote: 'deletePath(topTmpDir);' } },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 155, quote: 'cleanupBuild(false);' },
  ],
  unlockOutputs: [
    { file: 'libstore/unix/pathlocks.cc', fn: 'PathLocks::unlock', line: 133, quote: 'void PathLocks::unlock()' },
    { file: 'libstore/unix/pathlocks.cc', fn: 'PathLocks::unlock', line: 136, quote: 'if (deletePaths)', to: { line: 137, quote: 'deleteLockFile(i.second, i.first);' } },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 1001, quote: 'outputLocks.setDeletion(true);' },
  ],
  interrupt: [
    { file: 'libutil/unix/include/nix/util/signals-impl.hh', fn: 'checkInterrupt', line: 90, quote: 'inline void checkInterrupt()' },
    { file: 'libutil/unix/signals.cc', fn: 'unix::_interrupted', line: 23, quote: 'if (!std::uncaught_exceptions()) {', to: { line: 24, quote: 'throw Interrupted("interrupted by the user");' } },
    { file: 'libstore/daemon.cc', fn: 'processConnection', line: 1016, quote: 'auto monitor = !recursive ? std::make_unique<MonitorFdHup>(from.fd) : nullptr;' },
    { file: 'libutil/unix/include/nix/util/monitor-fd.hh', fn: 'MonitorFdHup::runThread', line: 119, quote: 'if (fds[0].revents & POLLHUP) {', to: { line: 120, quote: 'unix::triggerInterrupt();' } },
    { file: 'libstore/build/worker.cc', fn: 'Worker::~Worker', line: 42, quote: 'Worker::~Worker()' },
    { file: 'libstore/build/worker.cc', fn: 'Worker::~Worker', line: 48, quote: 'topGoals.clear();' },
  ],
  crash: [{ file: 'libutil/unix/processes.cc', fn: 'startProcess', line: 228, quote: 'if (options.dieWithParent && prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)' }],
  builderFailure: [
    { file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 587, quote: 'if (!statusOk(status)) {' },
    { file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 592, quote: 'cleanupBuild(false);' },
    { file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 594, quote: 'throw BuilderFailureError{' },
  ],
  cancel: [
    { file: 'libstore/build/worker.cc', fn: 'Worker::removeGoal', line: 195, quote: '/* If a top-level goal failed, then kill all other goals' },
    { file: 'libstore/build/worker.cc', fn: 'Worker::removeGoal', line: 197, quote: 'if (goal->exitCode == Goal::ecFailed && !settings.keepGoing)', to: { line: 198, quote: 'topGoals.clear();' } },
    { file: 'libstore/build/worker.cc', fn: 'Worker::run', line: 365, quote: 'if (topGoals.empty())', to: { line: 366, quote: 'break; // stuff may have been cancelled' } },
    { file: 'libstore/build/worker.cc', fn: 'Worker::run', line: 370, quote: 'if (topGoals.empty())' },
    { file: 'libstore/build/entry-points.cc', fn: 'Store::buildPaths', line: 14, quote: 'Goals goals;' },
    { file: 'libstore/build/entry-points.cc', fn: 'Store::buildPaths', line: 29, quote: 'if (i->exitCode != Goal::ecSuccess) {' },
    { file: 'libstore/build/entry-points.cc', fn: 'Store::buildPaths', line: 44, quote: 'throw Error(exitStatus, "build of %s failed", concatStringsSep(", ", quoteStrings(failed)));' },
    { file: 'libstore/build/entry-points.cc', fn: 'Store::buildPathsWithResults', line: 68, quote: '/* Goals that were never started or were cancelled have exitCode', to: { line: 71, quote: 'if (goalPtr->exitCode == Goal::ecBusy)' } },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 140, quote: 'void cleanupOnDestruction() noexcept' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 145, quote: 'killChild();' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 155, quote: 'cleanupBuild(false);' },
  ],
  suspendLockOutputs: [
    { file: DBG, fn: 'DerivationBuildingGoal::gaveUpOnSubstitution', line: 174, quote: 'co_await yield();' },
    { file: DBG, fn: 'acquireResources', line: 412, quote: 'co_await waitForAWhile();' },
  ],
  suspendBuildUser: [
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 785, quote: 'co_await yield();' },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 928, quote: 'co_await waitForAWhile();' },
  ],
  suspendChildEvent: [{ file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 944, quote: 'auto event = co_await WaitForChildEvent{};' }],
  timedOut: [
    { file: 'libstore/build/worker.cc', fn: 'Worker::waitForInput', line: 499, quote: 'if (goal->exitCode == Goal::ecBusy && 0 != settings.maxSilentTime && j->respectTimeouts', to: { line: 508, quote: '}' } },
    { file: 'libstore/build/worker.cc', fn: 'Worker::waitForInput', line: 501, quote: 'goal->timedOut(TimedOut(settings.maxSilentTime));' },
    { file: 'libstore/build/worker.cc', fn: 'Worker::waitForInput', line: 507, quote: 'goal->timedOut(TimedOut(settings.buildTimeout));' },
    { file: 'libstore/build/goal.cc', fn: 'ChildEvents::pushChildEvent', line: 32, quote: 'void ChildEvents::pushChildEvent(TimedOut event)', to: { line: 37, quote: 'childTimeout = std::move(event);' } },
    { file: 'libstore/build/goal.cc', fn: 'ChildEvents::pushChildEvent', line: 36, quote: 'childEOF.reset();' },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 959, quote: '} else if (auto * timeout = std::get_if<TimedOut>(&event)) {', to: { line: 961, quote: 'co_return doneFailure(std::move(*timeout));' } },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 960, quote: 'builder->killChild();' },
    { file: DB, fn: 'DerivationBuilderImpl::killChild', line: 525, quote: 'bool DerivationBuilderImpl::killChild()', to: { line: 536, quote: 'killSandbox(true);' } },
    { file: DB, fn: 'DerivationBuilderImpl::killChild', line: 534, quote: '::kill(-pid, SIGKILL); /* ignore the result */' },
    { file: DB, fn: 'DerivationBuilderDeleter::operator()', line: 2077, quote: 'builderImpl->cleanupOnDestruction();' },
  ],
  collectGarbage: [
    { file: GC, fn: 'LocalStore::collectGarbage', line: 727, quote: 'while (errno = 0, dirent = readdir(dir.get())) {', to: { line: 737, quote: '}' } },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 488, quote: 'while (shared->pending == hashPart) {' },
    { file: GC, fn: 'deleteReferrersClosure', line: 642, quote: 'if (shared->tempRoots.count(hashPart)) {' },
    { file: GC, fn: 'deleteReferrersClosure', line: 646, quote: 'shared->pending = hashPart;' },
  ],
  collectorTempRootCheck: [
    { file: GC, fn: 'deleteReferrersClosure', line: 642, quote: 'if (shared->tempRoots.count(hashPart)) {', to: { line: 646, quote: 'shared->pending = hashPart;' } },
  ],
  storeDelete: [
    { file: 'nix/store-delete.cc', fn: 'CmdStoreDelete::run', line: 44, quote: 'gcStore.collectGarbage(options, results);' },
    { file: 'libcmd/installables.cc', fn: 'Installable::build2', line: 628, quote: 'printMissing(store, pathsToBuild, lvlError);' },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 698, quote: 'if (options.action == GCOptions::gcDeleteSpecific) {' },
  ],
  nixStoreDelete: [
    { file: 'nix/nix-store/nix-store.cc', fn: 'opDelete', line: 718, quote: 'static void opDelete(Strings opFlags, Strings opArgs)' },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 698, quote: 'if (options.action == GCOptions::gcDeleteSpecific) {' },
  ],
  pathInfo: [
    { file: 'nix/path-info.cc', fn: 'CmdPathInfo::run', line: 179, quote: 'void run(ref<Store> store, StorePaths && storePaths) override' },
    { file: 'libstore/store-api.cc', fn: 'Store::queryPathInfo', line: 587, quote: 'ref<const ValidPathInfo> Store::queryPathInfo(const StorePath & storePath)' },
  ],
  holdUser: [
    { file: 'libstore/unix/user-lock.cc', fn: 'SimpleUserLock::acquire', line: 96, quote: 'auto fnUserLock = userPoolDir / std::to_string(pw->pw_uid);' },
    { file: DB, fn: 'DerivationBuilderImpl::prepareUser', line: 306, quote: 'virtual void prepareUser()' },
  ],
  checkNotSkipped: [
    { file: DBG, fn: 'acquireResources', line: 425, quote: 'if (buildMode != bmCheck && allValid) {' },
    { file: DBG, fn: 'acquireResources', line: 437, quote: 'if (!status.known || status.known->isValid())' },
  ],
  enterChroot: [
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::enterChroot', line: 567, quote: 'void enterChroot() override' },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::enterChroot', line: 786, quote: 'if (pivot_root(".", "real-root") == -1)', to: { line: 789, quote: 'if (chroot(".") == -1)' } },
  ],
  chrootCleanup: [
    { file: CHROOT, fn: 'ChrootDerivationBuilder::cleanupBuild', line: 157, quote: 'void cleanupBuild(bool force) override', to: { line: 176, quote: '}' } },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::cleanupBuild', line: 163, quote: 'if (!force && buildMode == bmNormal)' },
  ],
  chrootCleanupDiverted: [
    { file: CHROOT, fn: 'ChrootDerivationBuilder::cleanupBuild', line: 169, quote: 'std::filesystem::path p = store.toRealPath(status.known->path);', to: { line: 170, quote: 'std::filesystem::path chrootPath = chrootRootDir / p.relative_path();' } },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::cleanupBuild', line: 171, quote: 'if (pathExists(chrootPath))' },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 114, quote: 'std::filesystem::path chrootStoreDir = chrootRootDir / std::filesystem::path(store.storeDir).relative_path();' },
  ],
  lockAllOutputs: [
    { file: DBG, fn: 'acquireResources', line: 390, quote: 'for (auto & i : drv->outputsAndOptPaths(worker.store)) {', to: { line: 397, quote: '}' } },
    { file: DBG, fn: 'acquireResources', line: 401, quote: 'if (!outputLocks.lockPaths(lockFiles, "", false)) {' },
    { file: DBG, fn: 'acquireResources', line: 423, quote: 'auto [allValid, validOutputs] = checkPathValidity(initialOutputs);', to: { line: 425, quote: 'if (buildMode != bmCheck && allValid) {' } },
    { file: DBG, fn: 'acquireResources', line: 436, quote: 'for (auto & [_, status] : initialOutputs) {', to: { line: 441, quote: 'deletePath(localStore->toRealPath(storePath));' } },
  ],
  scratchLoop: [
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 772, quote: 'for (auto & [outputName, status] : initialOutputs) {' },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 802, quote: 'inputRewrites[hashPlaceholder(outputName)] = store.printStorePath(scratchPath);' },
  ],
  registerFirstLoop: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1466, quote: 'for (auto & [outputName, _] : drv.outputs) {' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1479, quote: 'bool wanted = buildMode == bmCheck || !(initialInfo.known && initialInfo.known->isValid());', to: { line: 1482, quote: 'outputName, AlreadyRegistered{.path = initialInfo.known->path});' } },
  ],
  registerSecondLoop: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1554, quote: 'auto topoSortResult = topoSort(outputsToSort, [&](const std::string & name) -> const StringSet & {' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1587, quote: 'std::reverse(sortedOutputNames.begin(), sortedOutputNames.end());', to: { line: 1591, quote: 'for (auto & outputName : sortedOutputNames) {' } },
    { file: DB, fn: 'finish', line: 1604, quote: 'auto finish = [&](StorePath finalStorePath) {', to: { line: 1611, quote: 'outputRewrites[std::string{scratchPath->hashPart()}] = std::string{finalStorePath.hashPart()};' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1620, quote: 'finish(skippedFinalPath.path);' },
    { file: DB, fn: 'newInfoFromCA', line: 1702, quote: 'rewriteOutput(outputRewrites);' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1778, quote: 'if (*scratchPath != requiredFinalPath)', to: { line: 1781, quote: 'rewriteOutput(outputRewrites);' } },
  ],
  outputTopoSort: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1433, quote: 'referenceablePaths.insert(i.second);' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1535, quote: 'references = scanForReferences(blank, actualPath, referenceablePaths);', to: { line: 1541, quote: 'referencedOutputs.insert(*o);' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1554, quote: 'auto topoSortResult = topoSort(outputsToSort, [&](const std::string & name) -> const StringSet & {' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1567, quote: '[&](const AlreadyRegistered &) -> const StringSet & { return emptySet; },', to: { line: 1568, quote: '[&](const PerhapsNeedToRegister & refs) -> const StringSet & { return refs.otherOutputs; },' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1579, quote: '"cycle detected in build of \'%s\' in the references of output \'%s\' from output \'%s\'",' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1587, quote: 'std::reverse(sortedOutputNames.begin(), sortedOutputNames.end());' },
    { file: TOPO, fn: 'topoSort', line: 31, quote: 'return Cycle{path, *parent};' },
    { file: TOPO, fn: 'topoSort', line: 43, quote: 'if (i != path && items.count(i)) {' },
    { file: TOPO, fn: 'topoSort', line: 50, quote: 'sorted.push_back(path);' },
    { file: TOPO, fn: 'topoSort', line: 56, quote: 'for (auto & i : items) {' },
    { file: TOPO, fn: 'topoSort', line: 63, quote: 'std::reverse(sorted.begin(), sorted.end());' },
  ],
  registerCaNow: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1947, quote: 'if (newInfo.ca)', to: { line: 1948, quote: 'store.registerValidPaths({{newInfo.path, newInfo}});' } },
  ],
  registerAllOutputs: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1970, quote: 'for (auto & [outputName, newInfo] : infos) {', to: { line: 1973, quote: 'store.registerValidPaths(infos2);' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1983, quote: 'for (auto & [outputName, newInfo] : infos) {', to: { line: 1994, quote: 'store.registerDrvOutput(thisRealisation);' } },
    { file: 'libstore/local-store.cc', fn: 'LocalStore::registerValidPaths', line: 910, quote: 'SQLiteTxn txn(state->db);', to: { line: 949, quote: 'txn.commit();' } },
  ],
  rewriteInputAddressed: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1774, quote: '/* input-addressed case */', to: { line: 1780, quote: 'std::string{scratchPath->hashPart()}, std::string{requiredFinalPath.hashPart()});' } },
  ],
  checkCompare: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1874, quote: 'if (buildMode == bmCheck) {', to: { line: 1913, quote: 'store.signPathInfo(oldInfo);' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1961, quote: 'if (buildMode == bmCheck) {', to: { line: 1962, quote: 'return {};' } },
  ],
  deleteRedirected: [
    { file: DB, fn: 'DerivationBuilderImpl::cleanupBuild', line: 2004, quote: 'if (force) {', to: { line: 2008, quote: '}' } },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupBuild', line: 2007, quote: 'deletePath(store.toRealPath(i.second));' },
  ],
  cleanupOnDestruction: [
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 140, quote: 'void cleanupOnDestruction() noexcept' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 145, quote: 'killChild();' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 155, quote: 'cleanupBuild(false);' },
  ],
  cleanupAfterBuilderFailure: [
    { file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 572, quote: 'killSandbox(true);' },
    { file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 592, quote: 'cleanupBuild(false);' },
  ],
  cleanupAfterSuccess: [{ file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 606, quote: 'cleanupBuild(true);' }],
  checkWorkerRun: [
    { file: 'libstore/build/worker.cc', fn: 'Worker::run', line: 346, quote: 'checkInterrupt();' },
    { file: 'libstore/build/worker.cc', fn: 'Worker::run', line: 363, quote: 'checkInterrupt();' },
  ],
  checkLockPaths: [{ file: 'libstore/unix/pathlocks.cc', fn: 'PathLocks::lockPaths', line: 84, quote: 'checkInterrupt();' }],
  checkDeletePath: [
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 140, quote: 'checkInterrupt();' },
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 204, quote: 'checkInterrupt();' },
  ],
  checkBuildLocally: [{ file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 785, quote: 'co_await yield();' }],
  checkCreateTempDir: [{ file: 'libutil/file-system.cc', fn: 'createTempDir', line: 524, quote: 'checkInterrupt();' }],
  checkPrepareSandbox: [{ file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 63, quote: 'deletePath(chrootParentDir);' }],
  checkWaitForInput: [{ file: 'libstore/build/worker.cc', fn: 'Worker::waitForInput', line: 482, quote: 'checkInterrupt();' }],
  checkCanonicalise: [
    { file: 'libstore/posix-fs-canonicalise.cc', fn: 'canonicalisePathMetaData_', line: 47, quote: 'checkInterrupt();' },
    { file: 'libstore/posix-fs-canonicalise.cc', fn: 'canonicalisePathMetaData_', line: 119, quote: 'checkInterrupt();' },
  ],
  checkDumpPath: [{ file: 'libutil/archive.cc', fn: 'SourceAccessor::dumpPath', line: 58, quote: 'checkInterrupt();' }],
  autoGcStart: [
    { file: 'libstore/build/worker.cc', fn: 'Worker::run', line: 346, quote: 'checkInterrupt();', to: { line: 350, quote: 'localStore->autoGC(false);' } },
    { file: 'libstore/build/worker.cc', fn: 'Worker::waitForInput', line: 419, quote: 'if (localStore && localStore->config->getLocalSettings().getGCSettings().minFree.get() != 0)', to: { line: 423, quote: 'nearest = before + std::chrono::seconds(10);' } },
    { file: GC, fn: 'LocalStore::autoGC', line: 848, quote: 'if (avail >= gcSettings.minFree || avail >= gcSettings.maxFree)', to: { line: 852, quote: 'return;' } },
    { file: GC, fn: 'LocalStore::autoGC', line: 854, quote: 'state->gcRunning = true;', to: { line: 886, quote: '}).detach();' } },
    { file: GC, fn: 'LocalStore::autoGC', line: 877, quote: 'collectGarbage(options, results);' },
    // one process, separate open file descriptions: flock keeps them apart (the GC lock, the temp-roots file)
    { file: 'libstore/unix/pathlocks.cc', fn: 'lockFile', line: 53, quote: 'while (flock(desc, type) != 0) {' },
    { file: 'libstore/unix/pathlocks.cc', fn: 'lockFile', line: 61, quote: 'while (flock(desc, type | LOCK_NB) != 0) {' },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 390, quote: '/* Acquire the global GC root. Note: we don\'t use fdGCLock', to: { line: 394, quote: 'FdLock gcLock(fdGCLock.get(), ltWrite, true, "waiting for the big garbage collector lock...");' } },
    { file: GC, fn: 'LocalStore::addTempRoot', line: 99, quote: 'FdLock gcLock(_fdGCLock.lock()->get(), ltRead, false, "");' },
    { file: GC, fn: 'LocalStore::findTempRoots', line: 174, quote: 'AutoCloseFD fd(toDescriptor(open(', to: { line: 191, quote: 'if (lockFile(fd.get(), ltWrite, false)) {' } },
  ],
  autoGcKilled: [{ file: GC, fn: 'LocalStore::autoGC', line: 886, quote: '}).detach();' }],
  autoGcInterrupted: [
    { file: 'libutil/unix/signals.cc', fn: 'unix::triggerInterrupt', line: 65, quote: '_isInterrupted = true;' },
    { file: GC, fn: 'deleteReferrersClosure', line: 599, quote: 'checkInterrupt();' },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 728, quote: 'checkInterrupt();' },
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 140, quote: 'checkInterrupt();' },
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 204, quote: 'checkInterrupt();' },
    { file: GC, fn: 'LocalStore::autoGC', line: 881, quote: '} catch (...) {', to: { line: 885, quote: '}' } },
  ],
  autoGcLimit: [
    { file: GC, fn: 'deleteFromStore', line: 567, quote: 'if (results.bytesFreed > options.maxFreed) {', to: { line: 570, quote: '}' } },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 738, quote: '} catch (GCLimitReached & e) {' },
    { file: GC, fn: 'LocalStore::autoGC', line: 871, quote: 'options.maxFreed = gcSettings.maxFree - avail;' },
  ],
  autoGcProcessExit: [{ file: GC, fn: 'LocalStore::autoGC', line: 886, quote: '}).detach();' }],
  gcDeleteGarbage: [{ file: GC, fn: 'LocalStore::collectGarbage', line: 736, quote: 'deleteFromStore(name, false);' }],
  gcDeleteStorePath: [{ file: 'libstore/local-store.cc', fn: 'LocalStore::deleteStorePath', line: 416, quote: 'throw;' }],
  pdeathsig: [
    { file: 'libutil/unix/processes.cc', fn: 'startProcess', line: 228, quote: 'if (options.dieWithParent && prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)' },
    { file: DB, fn: 'preserveDeathSignal', line: 68, quote: 'void preserveDeathSignal(fun<void()> setCredentials)', to: { line: 97, quote: '}' } },
  ],
  noDeathSignal: [{ file: 'libutil/unix/processes.cc', fn: 'startProcess', line: 227, quote: '#ifdef __linux__', to: { line: 230, quote: '#endif' } }],
  pidNamespace: [
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::startChild', line: 458, quote: 'options.cloneFlags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PARENT | SIGCHLD;' },
  ],
  orphan: [
    { file: 'libutil/unix/processes.cc', fn: 'killUser', line: 137, quote: 'void killUser(uid_t uid)' },
    { file: DB, fn: 'DerivationBuilderImpl::prepareUser', line: 306, quote: 'virtual void prepareUser()' },
    { file: DB, fn: 'DerivationBuilderImpl::killSandbox', line: 516, quote: 'void DerivationBuilderImpl::killSandbox(bool getStats)', to: { line: 522, quote: '}' } },
  ],
  flag: { none: 'a file outside the store that a test builder reads: scenario machinery, no upstream code' },
  corrupt: { none: 'damage to a valid output on disk (a disk fault, a stray write as root): scenario machinery, no upstream code' },
  repairHashCheck: [
    { file: DBG, fn: 'DerivationBuildingGoal::checkPathValidity', line: 1261, quote: 'bool checkHash = buildMode == bmRepair;' },
    {
      file: DBG,
      fn: 'DerivationBuildingGoal::checkPathValidity',
      line: 1274,
      quote: '.status = !worker.store.isValidPath(outputPath)               ? PathStatus::Absent',
      to: { line: 1276, quote: ': PathStatus::Corrupt,' },
    },
    { file: DBG, fn: 'DerivationBuildingGoal::checkPathValidity', line: 1281, quote: 'if (auto real = worker.store.queryRealisation(drvOutput)) {', to: { line: 1284, quote: '.status = PathStatus::Valid,' } },
    { file: 'libstore/build/worker.cc', fn: 'Worker::pathContentsGood', line: 522, quote: 'bool Worker::pathContentsGood(const StorePath & path)' },
  ],
  repairAllValid: [
    { file: 'libstore/build/derivation-goal.cc', fn: 'DerivationGoal::haveDerivation', line: 152, quote: 'if (buildMode == bmRepair && allValid) {', to: { line: 153, quote: 'co_return repairClosure();' } },
    { file: DBG, fn: 'acquireResources', line: 425, quote: 'if (buildMode != bmCheck && allValid) {' },
  ],
  repairRemoveCorrupt: [
    { file: DBG, fn: 'acquireResources', line: 437, quote: 'if (!status.known || status.known->isValid())' },
    { file: DBG, fn: 'acquireResources', line: 440, quote: `debug("removing invalid path '%s'", worker.store.printStorePath(status.known->path));`, to: { line: 441, quote: 'deletePath(localStore->toRealPath(storePath));' } },
  ],
  replaceValidPath: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1855, quote: 'if (buildMode == bmRepair) {', to: { line: 1857, quote: 'replaceValidPath(store.toRealPath(newInfo.path), actualPath);' } },
    { file: DB, fn: 'replaceValidPath', line: 629, quote: 'static void replaceValidPath(const std::filesystem::path & storePath, const std::filesystem::path & tmpPath)' },
    { file: DB, fn: 'replaceValidPath', line: 637, quote: 'if (pathExists(storePath)) {', to: { line: 647, quote: '}' } },
    { file: 'libutil/file-system.cc', fn: 'makeTempPath', line: 612, quote: 'std::filesystem::path makeTempPath(const std::filesystem::path & root, const std::string & suffix)', to: { line: 619, quote: '}' } },
    { file: DB, fn: 'replaceValidPath', line: 649, quote: 'movePath(tmpPath, storePath);' },
    { file: DB, fn: 'replaceValidPath', line: 653, quote: 'if (!oldPath.empty())', to: { line: 654, quote: 'movePath(oldPath, storePath);' } },
    { file: DB, fn: 'replaceValidPath', line: 660, quote: 'if (!oldPath.empty())', to: { line: 661, quote: 'deletePath(oldPath);' } },
  ],
};

/**
 * Citations made by comments and docs rather than by a step's SRC string, keyed by what they
 * support. Every `l.N` outside SRC (model comments, docs/model.md, docs/README.md) is one of these
 * or a line of CITATIONS.
 */
export const NOTE_CITATIONS: Readonly<Record<string, readonly Citation[]>> = {
  /** Any client, trusted or not, may set the build deadlines of its connection's builds. */
  clientDeadlines: [
    { file: 'libstore/daemon.cc', fn: 'ClientSettings::apply', line: 297, quote: 'trusted || name == settings.getWorkerSettings().buildTimeout.name', to: { line: 298, quote: '|| name == settings.getWorkerSettings().maxSilentTime.name' } },
    { file: 'libstore/daemon.cc', fn: 'ClientSettings::apply', line: 241, quote: 'settings.getWorkerSettings().maxSilentTime = maxSilentTime;' },
  ],
  /** What `--repair` would need modelling: which outputs it rebuilds, where, and how a floating CA realisation escapes the hash check. */
  repairReading: [
    { file: 'libstore/build/derivation-goal.cc', fn: 'DerivationGoal::checkPathValidity', line: 437, quote: 'bool checkHash = buildMode == bmRepair;', to: { line: 440, quote: ': PathStatus::Corrupt;' } },
    { file: 'libstore/build/derivation-goal.cc', fn: 'DerivationGoal::haveDerivation', line: 152, quote: 'if (buildMode == bmRepair && allValid) {' },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 791, quote: ': buildMode != bmRepair && !status.known->isValid()', to: { line: 797, quote: 'makeFallbackPath(status.known->path);' } },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 815, quote: 'deletePath(store.printStorePath(scratchPath));' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1855, quote: 'if (buildMode == bmRepair) {', to: { line: 1857, quote: 'replaceValidPath(store.toRealPath(newInfo.path), actualPath);' } },
    { file: DBG, fn: 'DerivationBuildingGoal::checkPathValidity', line: 1281, quote: 'if (auto real = worker.store.queryRealisation(drvOutput)) {', to: { line: 1284, quote: '.status = PathStatus::Valid,' } },
    { file: DBG, fn: 'acquireResources', line: 425, quote: 'if (buildMode != bmCheck && allValid) {' },
  ],
  /** keep-going = false: a failed top-level goal clears the others, and a waiter drops its other waitees; each dropped goal's builder is destroyed. */
  keepGoingCancels: [
    { file: 'libstore/build/worker.cc', fn: 'Worker::removeGoal', line: 197, quote: 'if (goal->exitCode == Goal::ecFailed && !settings.keepGoing)', to: { line: 198, quote: 'topGoals.clear();' } },
    { file: 'libstore/build/worker.cc', fn: 'Worker::removeGoal', line: 195, quote: '/* If a top-level goal failed, then kill all other goals' },
    { file: 'libstore/build/goal.cc', fn: 'Goal::amDone', line: 235, quote: '} else if (result == ecFailed && !worker.settings.keepGoing) {', to: { line: 243, quote: 'worker.wakeUp(goal);' } },
    { file: 'libstore/build/goal.cc', fn: 'Goal::amDone', line: 241, quote: 'goal->waitees.clear();' },
  ],
  /** Which builder a build gets: the sandbox decision, and the chroot only on Linux. */
  makeDerivationBuilder: [
    { file: DB, fn: 'makeDerivationBuilder', line: 2090, quote: 'if (localSettings.sandboxMode == smEnabled) {', to: { line: 2091, quote: 'if (params.drvOptions.noChroot)' } },
    { file: DB, fn: 'makeDerivationBuilder', line: 2106, quote: 'else if (localSettings.sandboxMode == smRelaxed)', to: { line: 2108, quote: 'useSandbox = params.drv.type().isSandboxed() && !params.drvOptions.noChroot;' } },
    { file: DB, fn: 'makeDerivationBuilder', line: 2111, quote: 'if (store.storeDir != store.config->realStoreDir.get()) {', to: { line: 2113, quote: 'useSandbox = true;' } },
    { file: DB, fn: 'makeDerivationBuilder', line: 2120, quote: 'if (useSandbox && !mountAndPidNamespacesSupported()) {', to: { line: 2125, quote: 'useSandbox = false;' } },
    { file: DB, fn: 'makeDerivationBuilder', line: 2133, quote: '#ifdef __APPLE__', to: { line: 2139, quote: 'new ChrootLinuxDerivationBuilder(store, std::move(miscMethods), std::move(params)));' } },
  ],
  makeFallbackPath: [
    { file: DB, fn: 'DerivationBuilderImpl::makeFallbackPath', line: 2033, quote: 'StorePath DerivationBuilderImpl::makeFallbackPath(OutputNameView outputName)' },
    { file: DB, fn: 'DerivationBuilderImpl::makeFallbackPath', line: 2047, quote: 'StorePath DerivationBuilderImpl::makeFallbackPath(const StorePath & path)' },
  ],
  /** Self-references of a floating CA output are hashed modulo the scratch hash part. */
  hashModuloSink: [{ file: DB, fn: 'newInfoFromCA', line: 1710, quote: 'HashModuloSink caSink{outputHash.hashAlgo, oldHashPart};' }],
  /** restorePath into an existing `<scratch>.tmp` fails. */
  restoreSinkExists: [{ file: 'libutil/fs-sink.cc', fn: 'RestoreSink::createDirectory', line: 121, quote: 'if (!std::filesystem::create_directory(p))', to: { line: 122, quote: `throw Error("path '%s' already exists", p.string());` } }],
  /** The chroot goes on success and failure alike; a failed known output is moved out first. */
  chrootCleanupBuild: [
    { file: CHROOT, fn: 'ChrootDerivationBuilder::cleanupBuild', line: 163, quote: 'if (!force && buildMode == bmNormal)' },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::cleanupBuild', line: 175, quote: 'autoDelChroot.reset(); /* this runs the destructor */' },
  ],
  /** An interrupt unwinds through Store::buildPaths, whose Worker destroys the goals on the way out. */
  workerUnwinds: [
    { file: 'libstore/build/entry-points.cc', fn: 'Store::buildPaths', line: 12, quote: 'Worker worker(*this, evalStore ? *evalStore : *this);' },
    { file: 'libstore/build/entry-points.cc', fn: 'Store::buildPaths', line: 18, quote: 'worker.run(goals);' },
    { file: 'libstore/include/nix/store/build/goal.hh', fn: 'unhandled_exception', line: 415, quote: 'throw;' },
  ],
  /** Cleanup that does not run while an exception unwinds, so checkInterrupt() in it can throw. */
  cleanupOutsideUnwinding: [
    { file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 592, quote: 'cleanupBuild(false);' },
    { file: DB, fn: 'DerivationBuilderImpl::unprepareBuild', line: 606, quote: 'cleanupBuild(true);' },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 970, quote: '} catch (BuilderFailureError & e) {', to: { line: 971, quote: 'builder.reset();' } },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 974, quote: '} catch (BuildError & e) {', to: { line: 975, quote: 'builder.reset();' } },
    { file: DBG, fn: 'DerivationBuildingGoal::buildLocally', line: 980, quote: 'builder.reset();' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupOnDestruction', line: 156, quote: '} catch (...) {', to: { line: 157, quote: 'ignoreExceptionInDestructor();' } },
  ],
  /** A fixed-output derivation at registration: copied to a store temp dir, hashed, registered at once, checked. */
  fixedOutputRegistration: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1795, quote: '[&](const DerivationOutput::CAFixed & dof) {', to: { line: 1798, quote: 'return newInfoFromCA(' } },
    { file: DB, fn: 'moveOutputToTempDir', line: 1753, quote: 'std::tie(tempDir, tempDirFd) = store.createTempDirInStore();' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1842, quote: '/* Lock final output path, if not already locked. This happens with', to: { line: 1844, quote: 'derivations. */' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1959, quote: 'checkOutputs(store, drvPath, drv.outputs, drvOptions.outputChecks, infos);' },
  ],
  /** The chroot a sandboxed build gets, and its teardown (chroot.ts, context.ts). */
  chrootLayout: [
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 55, quote: 'void prepareSandbox() override', to: { line: 119, quote: 'throw SysError("cannot change ownership of %1%", PathFmt(chrootStoreDir));' } },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 114, quote: 'std::filesystem::path chrootStoreDir = chrootRootDir / std::filesystem::path(store.storeDir).relative_path();', to: { line: 119, quote: 'throw SysError("cannot change ownership of %1%", PathFmt(chrootStoreDir));' } },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::cleanupBuild', line: 163, quote: 'if (!force && buildMode == bmNormal)', to: { line: 173, quote: '}' } },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 73, quote: 'chrootRootDir = chrootParentDir / "root";' },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::prepareSandbox', line: 75, quote: 'if (mkdir(chrootRootDir.c_str(), buildUser && buildUser->getUIDCount() != 1 ? 0755 : 0750) == -1)', to: { line: 82, quote: 'throw SysError("cannot change ownership of %1%", PathFmt(chrootRootDir));' } },
    { file: CHROOT, fn: 'ChrootDerivationBuilder::realPathInHost', line: 150, quote: 'std::filesystem::path realPathInHost(const std::filesystem::path & p) override' },
  ],
  /** _deletePath's walk: what throws at once and what is kept for the end (delete-path.ts). */
  deletePathWalk: [
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 134, quote: 'static void _deletePath(', to: { line: 227, quote: '}' } },
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 246, quote: 'if (ex)' },
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 186, quote: 'try {', to: { line: 193, quote: '}' } },
    { file: 'libutil/unix/file-system.cc', fn: '_deletePath', line: 215, quote: 'if (unlinkat(parentfd, name.rel_c_str(), flags) == -1) {', to: { line: 226, quote: '}' } },
  ],
  /** The collector's deletion of one path: pending marks, temp-root checks, tmp- dirs, errors (collector.ts, waits.ts). */
  collectorDeletion: [
    { file: GC, fn: 'deleteFromStore', line: 550, quote: 'if (baseName.find("tmp-", 0) == 0) {' },
    { file: GC, fn: 'deleteReferrersClosure', line: 585, quote: 'Finally releasePending([&]() {', to: { line: 589, quote: '});' } },
    { file: GC, fn: 'deleteReferrersClosure', line: 639, quote: '{', to: { line: 647, quote: '}' } },
    { file: GC, fn: 'deleteReferrersClosure', line: 684, quote: 'invalidatePathChecked(path);', to: { line: 685, quote: 'deleteFromStore(path.to_string(), true);' } },
    { file: GC, fn: 'deleteFromStore', line: 550, quote: 'if (baseName.find("tmp-", 0) == 0) {', to: { line: 556, quote: '}' } },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 698, quote: 'if (options.action == GCOptions::gcDeleteSpecific) {', to: { line: 708, quote: '}' } },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 717, quote: 'try {', to: { line: 737, quote: '}' } },
    { file: 'libstore/local-store.cc', fn: 'LocalStore::deleteStorePath', line: 399, quote: 'void LocalStore::deleteStorePath(const std::filesystem::path & path, uint64_t & bytesFreed, bool isKnownPath)', to: { line: 418, quote: '}' } },
  ],
  /** How an interrupt reaches the daemon worker: a flag set, or a failed write to the gone client (interrupt-points.ts). */
  interruptDelivery: [
    { file: 'libstore/daemon.cc', fn: 'TunnelLogger::enqueueMsg', line: 75, quote: 'try {', to: { line: 82, quote: 'throw;' } },
    { file: 'libutil/unix/signals.cc', fn: 'unix::triggerInterrupt', line: 63, quote: 'void unix::triggerInterrupt()', to: { line: 65, quote: '_isInterrupted = true;' } },
  ],
  /** Steps of registerOutputs and cleanupBuild that comments and docs name line by line (register-outputs.ts, interrupt-points.ts, unwind.ts, cleanup-build.ts). */
  registrationDetail: [
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1486, quote: 'auto optSt = maybeLstat(actualPath);' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1602, quote: 'AutoDelete delTempDir;' },
    { file: DB, fn: 'rewriteOutput', line: 1644, quote: 'deletePath(actualPath);', to: { line: 1645, quote: 'movePath(tmpPath, actualPath);' } },
    { file: DB, fn: 'rewriteOutput', line: 1649, quote: 'canonicalisePathMetaData(' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1827, quote: 'canonicalisePathMetaData(' },
    { file: DB, fn: 'DerivationBuilderImpl::cleanupBuild', line: 2010, quote: 'if (topTmpDir != "") {', to: { line: 2030, quote: '}' } },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1782, quote: 'HashResult narHashAndSize = hashPath(' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1858, quote: '} else if (buildMode == bmCheck) {' },
    { file: DB, fn: 'DerivationBuilderImpl::registerOutputs', line: 1882, quote: 'auto dst = store.toRealPath(newInfo.path);', to: { line: 1885, quote: 'movePath(actualPath, dst);' } },
  ],
  /** startBuild's scratch-path loop, its ternary and the prepareSandbox call after it (start-build.ts, scratch-path.ts). */
  scratchLoop: [
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 772, quote: 'for (auto & [outputName, status] : initialOutputs) {', to: { line: 825, quote: '}' } },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 784, quote: 'auto scratchPath = !status.known ? makeFallbackPath(outputName)', to: { line: 797, quote: 'makeFallbackPath(status.known->path);' } },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 830, quote: 'prepareSandbox();' },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 797, quote: 'makeFallbackPath(status.known->path);' },
    { file: DB, fn: 'DerivationBuilderImpl::startBuild', line: 772, quote: 'for (auto & [outputName, status] : initialOutputs) {', to: { line: 824, quote: 'redirectedOutputs.insert_or_assign(std::move(fixedFinalPath), std::move(scratchPath));' } },
  ],
  /** Temp roots the goals add and the lock files that go with an unwinding PathLocks (waits.ts, unwind.ts). */
  tempRootsAndLocks: [
    { file: 'libstore/build/derivation-goal.cc', fn: 'DerivationGoal::haveDerivation', line: 83, quote: 'worker.store.addTempRoot(*i.second.second);' },
    { file: GC, fn: 'LocalStore::collectGarbage', line: 488, quote: 'while (shared->pending == hashPart) {', to: { line: 491, quote: '}' } },
    { file: 'libstore/unix/pathlocks.cc', fn: 'deleteLockFile', line: 28, quote: 'void deleteLockFile(const std::filesystem::path & path, Descriptor desc)' },
  ],
  /** The cgroup-using Linux builder's own prepareUser and killSandbox. */
  cgroupBuilder: [
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 330, quote: 'void prepareUser() override', to: { line: 373, quote: '}' } },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareUser', line: 333, quote: 'experimentalFeatureSettings.require(Xp::Cgroups);' },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::prepareSandbox', line: 375, quote: 'void prepareSandbox() override', to: { line: 386, quote: '}' } },
    { file: LDB, fn: 'ChrootLinuxDerivationBuilder::killSandbox', line: 822, quote: 'void killSandbox(bool getStats) override', to: { line: 834, quote: '}' } },
    { file: 'libutil/linux/cgroup.cc', fn: 'destroyCgroup', line: 98, quote: 'checkInterrupt();' },
    { file: DB, fn: 'DerivationBuilderImpl::chownToBuilder', line: 1256, quote: 'if (!buildUser)', to: { line: 1257, quote: 'return;' } },
    { file: 'nix/unix/daemon.cc', fn: 'daemonLoop', line: 289, quote: 'auto daemonCgroupPath = rootCgroupPath + "/nix-daemon";', to: { line: 294, quote: 'writeFile(daemonCgroupPath + "/cgroup.procs", fmt("%d", getpid()));' } },
  ],
};
