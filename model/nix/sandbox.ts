/**
 * Nix: derivation-builder.cc makeDerivationBuilder @2.34.8, which decides whether a build is
 * sandboxed (`useSandbox`) and which builder runs it. buildLocally calls it once, before startBuild
 * takes a build user (derivation-building-goal.cc l.913-919). On Linux a sandboxed build is a
 * ChrootLinuxDerivationBuilder (a chroot); on macOS it is a DarwinDerivationBuilder either way,
 * whose sandbox is a seatbelt profile and never a chroot. The errors it throws are plain Errors
 * (no BuildError): they leave the goal before any build user, temp dir or scratch path exists.
 *
 * A pure function of the settings and the derivation, so tests can enumerate every branch.
 */
import type { Ctx } from './context.js';
import { drvOf } from './context.js';
import type { BuildActor, DerivationSpec, SandboxSetting, Settings } from './types.js';
import { SRC } from './sources.js';

/** What makeDerivationBuilder returns for a build, or the Error it throws instead. */
export type SandboxDecision =
  | {
      readonly kind: 'builder';
      /** useSandbox as makeDerivationBuilder leaves it. */
      readonly useSandbox: boolean;
      /** ChrootLinuxDerivationBuilder: the build runs in `<drv>.chroot` (Linux with useSandbox only). */
      readonly chroot: boolean;
      /** The upstream branches taken, in order (SRC strings), for traces and docs. */
      readonly sources: readonly string[];
    }
  | { readonly kind: 'error'; readonly message: string; readonly sources: readonly string[] };

/** The inputs makeDerivationBuilder reads that the model has. */
export type SandboxInputs = Pick<Settings, 'platform' | 'sandbox' | 'sandboxFallback' | 'mountAndPidNamespaces' | 'divertedStore'>;

/** A scenario's `sandbox` as upstream parses it (globals.cc `BaseSetting<SandboxMode>::parse`): true, false or "relaxed". */
export function sandboxMode(s: SandboxSetting): 'enabled' | 'disabled' | 'relaxed' {
  return s === 'relaxed' ? 'relaxed' : s ? 'enabled' : 'disabled';
}

/**
 * makeDerivationBuilder's decision (derivation-builder.cc l.2090-2141) for derivation `spec` at
 * `drvPath`. Both derivation kinds the model has are sandboxed by type (DerivationType::isSandboxed:
 * input-addressed always, content-addressed unless impure), so under `relaxed` only __noChroot
 * turns the sandbox off.
 */
export function sandboxDecision(settings: SandboxInputs, spec: Pick<DerivationSpec, 'noChroot'>, drvPath: string): SandboxDecision {
  const noChroot = spec.noChroot === true;
  const sources: string[] = [];
  let useSandbox: boolean;
  switch (sandboxMode(settings.sandbox)) {
    case 'enabled':
      if (noChroot) {
        const message = `derivation '${drvPath}' has '__noChroot' set, but that's not allowed when 'sandbox' is 'true'`;
        return { kind: 'error', message, sources: [SRC.noChrootRefused] };
      }
      useSandbox = true;
      sources.push(SRC.sandboxEnabled);
      break;
    case 'disabled':
      useSandbox = false;
      sources.push(SRC.sandboxDisabled);
      break;
    case 'relaxed':
      useSandbox = !noChroot;
      sources.push(SRC.sandboxRelaxed);
      break;
  }
  if (settings.divertedStore === true) {
    if (settings.platform !== 'linux') {
      return { kind: 'error', message: 'building using a diverted store is not supported on this platform', sources: [...sources, SRC.divertedStoreUnsupported] };
    }
    useSandbox = true;
    sources.push(SRC.divertedStore);
  }
  if (settings.platform === 'linux' && useSandbox && settings.mountAndPidNamespaces === false) {
    if (settings.sandboxFallback === false) {
      const message = "this system does not support the kernel namespaces that are required for sandboxing; use '--no-sandbox' to disable sandboxing";
      return { kind: 'error', message, sources: [...sources, SRC.namespacesRequired] };
    }
    useSandbox = false;
    sources.push(SRC.sandboxFallback);
  }
  if (settings.platform === 'darwin') return { kind: 'builder', useSandbox, chroot: false, sources: [...sources, SRC.darwinBuilder] };
  return { kind: 'builder', useSandbox, chroot: useSandbox, sources: [...sources, useSandbox ? SRC.chrootBuilder : SRC.linuxBuilder] };
}

/** The Error makeDerivationBuilder throws for build `a`, if its settings make it throw. */
export function sandboxRefusal(ctx: Ctx, a: BuildActor): { readonly message: string; readonly sources: readonly string[] } | undefined {
  const d = drvOf(ctx, a.drv);
  const decision = sandboxDecision(ctx.scenario.settings, d.spec, d.drvPath);
  return decision.kind === 'error' ? decision : undefined;
}
