# ---- nix-outpath-lab repro harness (sim/repro/harness.lib.sh, inlined by renderScript) --------
# Expects from the rendered preamble: SCENARIO VARIANT PLATFORM BUILD_USERS KEEP_FAILED BUILD_DIR_MODE HAS_CA CA_DERIVATIONS
# USER_PREFIX AUTO_UIDS NDRV DRV_ID_<n> DRV_KIND_<n> DRV_NAME_<n> and the functions write_files / run_steps.
# Written for bash >= 3.2 (darwin's /bin/bash): no associative arrays, no mapfile, no wait -n,
# empty arrays expanded as ${a[@]+"${a[@]}"}.
# Rules it keeps: every wait is bounded; every process it starts is an unreaped child stopped by
# its PID (never by name); the nix-daemon is not ours and is never touched.

set -uo pipefail

OBS=${OBS:-}
WORK=${WORK:-}
KEEP_WORK=${KEEP_WORK:-1}
STEP_TIMEOUT=${NOL_STEP_TIMEOUT:-180}    # one nix-build / nix command
GATE_TIMEOUT=${NOL_GATE_TIMEOUT:-120}    # until a builder reaches its gate or a blocker its user
SETTLE_TIMEOUT=${NOL_SETTLE_TIMEOUT:-60} # until an interrupted builder is gone and its user free
BUILD_TIMEOUT=${NOL_BUILD_TIMEOUT:-2}    # `timeout` of a build that times out at its gate (seconds from the builder's start)
# auto-allocate-uids keeps its locks in userpool2/slot-<i>, named users in userpool/<uid>
if [ "${AUTO_UIDS:-0}" = 1 ]; then USERPOOL_DIR=${NOL_USERPOOL_DIR:-/nix/var/nix/userpool2}; else USERPOOL_DIR=${NOL_USERPOOL_DIR:-/nix/var/nix/userpool}; fi
SOCKET=/nix/var/nix/daemon-socket/socket
# A diverted store (DIVERTED=1, plan settings.divertedStore): its paths are still named /nix/store/...
# (the daemon, the builders, path-info and delete use those names), but they live under
# $DIVERTED_ROOT/nix/store, and its state (db, gc.lock) under $DIVERTED_ROOT/nix/var/nix. The build
# users' locks and the socket stay under /nix/var/nix (libstore/unix/user-lock.cc takes
# settings.nixStateDir, not the store's). Whatever looks at a path on disk asks real_path.
if [ "${DIVERTED:-0}" = 1 ]; then REAL_STORE=${DIVERTED_ROOT:?}/nix/store; STATE_DIR=$DIVERTED_ROOT/nix/var/nix; else REAL_STORE=/nix/store; STATE_DIR=/nix/var/nix; fi
export NOL_REAL_STORE=$REAL_STORE   # oracle.py lists a successful attempt's output files there
real_path() { case "$1" in /nix/store/*) printf '%s' "$REAL_STORE/${1#/nix/store/}" ;; *) printf '%s' "$1" ;; esac; }

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --obs) OBS=${2:?--obs needs a file}; shift 2 ;;
        --work) WORK=${2:?--work needs a directory}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

CHILDREN=()   # PIDs of our unreaped children (clients, blockers): safe to signal, never reused
HOLD_PIDS=(); HOLD_UIDS=(); HOLD_BPIDS=()
T0_MS=0

now_ms() {
    if [ -n "${EPOCHREALTIME:-}" ]; then local t=${EPOCHREALTIME/[.,]/}; echo $(( t / 1000 )); else echo $(( $(date +%s) * 1000 )); fi
}
secs_since() { # ms -> "1.234"
    local d=$(( $(now_ms) - $1 )); printf '%d.%03d' $(( d / 1000 )) $(( d % 1000 ))
}
say() { printf '[%7ss] %s\n' "$(secs_since "$T0_MS")" "$*" >&2; }
die() { say "HARNESS ERROR: $*"; exit 2; }

track() { CHILDREN+=("$1"); }
untrack() {
    local keep=() p
    for p in ${CHILDREN[@]+"${CHILDREN[@]}"}; do [ "$p" != "$1" ] && keep+=("$p"); done
    CHILDREN=(${keep[@]+"${keep[@]}"})
}
# Has our child $1 exited (zombie) or gone? ps works the same on linux and darwin.
child_done() {
    local st; st=$(ps -o stat= -p "$1" 2>/dev/null | tr -d ' ')
    [ -z "$st" ] || [ "${st#Z}" != "$st" ]
}
# Wait up to $2 s for our child $1; sets CHILD_RC (124 on timeout, child left running).
wait_child() {
    local pid=$1 limit=$(( $2 * 20 )) n=0
    while ! child_done "$pid"; do
        n=$((n + 1)); [ "$n" -ge "$limit" ] && { CHILD_RC=124; return 1; }
        sleep 0.05
    done
    wait "$pid" 2>/dev/null; CHILD_RC=$?
    untrack "$pid"
    return 0
}
# Stop our child: $2 (INT/TERM) first, then TERM, then KILL, each bounded; sets CHILD_RC.
stop_child() {
    local pid=$1 sig=${2:-TERM}
    kill -"$sig" "$pid" 2>/dev/null
    wait_child "$pid" 15 && return 0
    say "child $pid ignored SIG$sig; sending SIGTERM"
    kill -TERM "$pid" 2>/dev/null
    wait_child "$pid" 5 && return 0
    kill -KILL "$pid" 2>/dev/null
    wait_child "$pid" 5 || say "child $pid survives SIGKILL?"
}
# Run a command bounded by $1 seconds, stdout to $2, stderr to $3; returns its status (124 = timeout).
bounded() {
    local secs=$1 out=$2 err=$3; shift 3
    "$@" > "$out" 2> "$err" < /dev/null &
    local pid=$!; track "$pid"
    if ! wait_child "$pid" "$secs"; then
        say "timeout after ${secs}s: $*"; stop_child "$pid" TERM; return 124
    fi
    return "$CHILD_RC"
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p
    # Clients first (SIGINT: nix then tells the daemon, which kills the builder and frees the user).
    for p in ${CHILDREN[@]+"${CHILDREN[@]}"}; do say "stopping client PID $p"; stop_child "$p" INT; done
    if [ "$KEEP_WORK" = 0 ] && [ -n "$WORK" ]; then rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------------------ set-up ---
T0_MS=$(now_ms)
[ "$(id -u)" = 0 ] || die "run as root (the script inspects build-user-owned store paths and runs GC)"
command -v python3 > /dev/null || die "python3 is required"
for c in nix nix-build nix-store nix-instantiate; do command -v "$c" > /dev/null || die "$c not found in PATH"; done
if [ -z "$WORK" ]; then WORK=$(mktemp -d "${TMPDIR:-/tmp}/nol-repro-$SCENARIO.XXXXXX") || die "mktemp failed"; fi
mkdir -p "$WORK" || die "cannot create $WORK"
chmod 755 "$WORK"   # build users must traverse it to reach the control dir
WORK=$(cd "$WORK" && pwd -P)
[ -n "$OBS" ] || OBS=$WORK/observation.json
case "$OBS" in /*) ;; *) OBS=$PWD/$OBS ;; esac
NONCE=$(date +%s)-$$
CTL=$WORK/ctl
PY=$WORK/oracle.py
FACTS=$WORK/facts.jsonl
mkdir -p "$CTL"/log "$CTL"/gate "$CTL"/arm "$CTL"/flags "$CTL"/blk "$CTL"/attempt || die "cannot create $CTL"
chmod 777 "$CTL" "$CTL"/log "$CTL"/gate "$CTL"/arm "$CTL"/flags "$CTL"/blk
chmod 755 "$CTL"/attempt
rm -f "$CTL"/hold.fifo; mkfifo -m 666 "$CTL"/hold.fifo || die "mkfifo failed"
: > "$FACTS"
write_files   # rendered: oracle.py, drv.nix, the specs and expect.json
mkdir -p "$CTL"/scratch && chmod 755 "$CTL"/scratch

# Clients talk to the daemon. A trusted (root) client sends every setting its own config sets,
# and the daemon's worker applies them to that connection (seen on 2.8: a client with
# `build-users-group =` makes a multi-user daemon build as root). So pin what a run depends on:
# no substituters (nothing to fetch, no network waits), the sandbox as planned, keep-failed as planned.
# With the sandbox on, the builder still needs the control dir and coreutils: both are bound into
# it (sandbox-paths; /lib and /lib64, if present, for the ELF interpreter), and its /bin/sh is this
# machine's, as without a sandbox (Debian's 2.34.8 would give bash-static, its 2.8 nothing).
# sandbox-fallback is off so a daemon that cannot sandbox fails instead of building without one,
# except in a plan about such a daemon (NO_NAMESPACES=1: the fault injector keeps it from mount
# namespaces), where it is as the plan says (SANDBOX_FALLBACK).
# SANDBOX_MODE=relaxed: every derivation of the plan has __noChroot, so its builds run unsandboxed;
# the same bindings are set for the probe that checks the daemon still sandboxes the others.
# build-users-group is not pinned (the group name is the daemon's business): the probe checks
# who builds. experimental-features is ignored by the daemon, so the probe checks that too.
export NIX_REMOTE=daemon
# A client of the daemon reads store files itself (a daemon store is a local-fs store, at /nix/store
# unless told otherwise: Nix 2.34.8's nix-build reads the .drv it built from disk): give it the root.
if [ "${DIVERTED:-0}" = 1 ]; then export NIX_REMOTE="daemon?root=$DIVERTED_ROOT"; fi
SANDBOX_MODE=${SANDBOX_MODE:-$([ "$SANDBOX" = 1 ] && echo true || echo false)}
# A diverted store chroots every build with sandbox = false too: the same bindings, fallback off.
if [ "$SANDBOX_MODE" != false ] || [ "${DIVERTED:-0}" = 1 ]; then
    SANDBOX_CONF="sandbox = $SANDBOX_MODE
sandbox-fallback = $([ "${SANDBOX_FALLBACK:-0}" = 1 ] && echo true || echo false)
sandbox-paths = /bin/sh=$(readlink -f /bin/sh) $CTL /usr /lib? /lib64?"
else
    SANDBOX_CONF="sandbox = false"
fi
export NIX_CONFIG="experimental-features = nix-command$([ "${CA_DERIVATIONS:-1}" = 1 ] && echo ' ca-derivations')
substituters =
$SANDBOX_CONF
keep-failed = $KEEP_FAILED"

# A plan's own build-dir (settings.buildDirMode): a fresh dir of that mode, passed to the steps'
# builds only (the probe and the blockers build in the daemon's own, which the check accepts).
BUILD_DIR_OPT=()
if [ -n "${BUILD_DIR_MODE:-}" ]; then
    mkdir -p "$WORK/build-dir" && chmod "$BUILD_DIR_MODE" "$WORK/build-dir" || die "cannot make $WORK/build-dir $BUILD_DIR_MODE"
    BUILD_DIR_OPT=(--option build-dir "$WORK/build-dir")
fi

# The daemon is NOT started here: this script assumes one runs (validate-real starts its own).
[ -S "$SOCKET" ] || die "no daemon socket at $SOCKET: start a multi-user nix-daemon first"
bounded 20 "$WORK/ping.out" "$WORK/ping.err" nix store ping || die "nix store ping failed: $(tail -3 "$WORK/ping.err")"
NIX_VERSION=$(nix --version 2>/dev/null | head -1)
say "scenario $SCENARIO, variant $VARIANT, $NIX_VERSION, nonce $NONCE, work $WORK"

# ------------------------------------------------------------------------------ helpers ---
drv_var() { eval "printf '%s' \"\${$1_$2-}\""; }        # drv_var DRV_ID 0 (empty if unset)
# NBA = the nix-build/nix-instantiate arguments for spec $1 (a drv index, probe or hold)
set_nix_args() {
    NBA=("$WORK/drv.nix" --argstr spec "$WORK/spec-$1.json" --argstr nonce "$NONCE" --argstr ctl "$CTL")
}
# Wait until the builder with PID $1 is gone (a zombie counts as gone).
wait_builder_gone() {
    local pid=$1 n=0 st
    [ -n "$pid" ] || return 0
    while :; do
        st=$(ps -o stat= -p "$pid" 2>/dev/null | tr -d ' ')
        [ -z "$st" ] || [ "${st#Z}" != "$st" ] && return 0
        n=$((n + 1)); [ "$n" -ge $(( SETTLE_TIMEOUT * 20 )) ] && die "builder PID $pid still alive after ${SETTLE_TIMEOUT}s"
        sleep 0.05
    done
}
# Wait until build user uid $1's lock in the daemon's user pool is free, so the next build's
# first-free allocation sees it free. Only called between steps, when nothing else can take it.
wait_user_free() {
    local uid=$1 n=0
    [ -n "$uid" ] && [ "$uid" != 0 ] && [ -d "$USERPOOL_DIR" ] || return 0
    local lock=$USERPOOL_DIR/$uid
    # AutoUserLock: slot i is uid start-id + 65536 i (default start-id 872415232)
    if [ "${AUTO_UIDS:-0}" = 1 ]; then lock=$USERPOOL_DIR/slot-$(( (uid - 872415232) / 65536 )); fi
    while ! python3 "$PY" lockfree "$lock"; do
        n=$((n + 1)); [ "$n" -ge $(( SETTLE_TIMEOUT * 10 )) ] && die "build user uid $uid still locked after ${SETTLE_TIMEOUT}s"
        sleep 0.1
    done
}
# "U uid user out pid" line of a builder log -> BL_UID BL_USER BL_OUT BL_PID (empty if none).
# A sandboxed builder reports its real uid (its sandbox's passwd names every build user
# "nixbld", so the name is looked up here), and its PID
# is one of the sandbox's PID namespace: useless outside, so BL_PID stays empty (the build user's
# lock, freed only once the sandbox is gone, is what the harness waits for then).
read_builder_log() {
    BL_UID=""; BL_USER=""; BL_OUT=""; BL_PID=""
    local line
    line=$(grep '^U ' "$1" 2>/dev/null | tail -1)
    [ -n "$line" ] || return 0
    set -- $line
    BL_UID=$2; BL_USER=$3; BL_OUT=$4; BL_PID=$5
    # a uid with no passwd entry (auto-allocate-uids) is named uid<N>, as the model names it
    if [ "$BL_USER" = - ] || [ "$SANDBOX" = 1 ]; then BL_USER=$(python3 -c 'import pwd,sys; print(pwd.getpwuid(int(sys.argv[1])).pw_name)' "$BL_UID" 2>/dev/null || echo "uid$BL_UID"); fi
    if [ "$SANDBOX" = 1 ]; then BL_PID=""; fi
}
# Path of a derivation's scratch/final output, as far as this run knows it; IA paths are known up front.
resolve() { # $1 drv index, $2 scratch|final (or final:<output>) -> RESOLVED
    local o=${2#*:}
    if [ "$o" != "$2" ] && [ "$o" != out ] && [ "${2%%:*}" = scratch ] && [ "$(drv_var DRV_KIND "$1")" = ca-floating ]; then
        # another output's scratch path of a floating CA derivation: makeFallbackPath(<output>) of its .drv, known before it builds
        RESOLVED=""
        set_nix_args "$1"
        bounded "$STEP_TIMEOUT" "$WORK/inst.out" "$WORK/inst.err" nix-instantiate "${NBA[@]}" \
            && RESOLVED=$(python3 "$PY" fallback "$(tail -1 "$WORK/inst.out")" "$(drv_var DRV_NAME "$1")-$NONCE-$o" "$o")
        return 0
    fi
    if [ "$o" != "$2" ] && [ "$o" != out ]; then
        # another output of a multi-output input-addressed derivation: its .drv names its path (<name>-<output>)
        RESOLVED=""
        set_nix_args "$1"
        bounded "$STEP_TIMEOUT" "$WORK/inst.out" "$WORK/inst.err" nix-instantiate "${NBA[@]}" \
            && bounded "$STEP_TIMEOUT" "$WORK/outs.out" "$WORK/outs.err" nix-store -q --outputs "$(tail -1 "$WORK/inst.out")" \
            && RESOLVED=$(grep -- "-$o\$" "$WORK/outs.out" | tail -1)
        return 0
    fi
    set -- "$1" "${2%%:*}"
    RESOLVED=$(drv_var "$(echo "$2" | tr a-z A-Z)" "$1")
    if [ -z "$RESOLVED" ] && [ "$(drv_var DRV_KIND "$1")" = input-addressed ]; then
        set_nix_args "$1"
        bounded "$STEP_TIMEOUT" "$WORK/inst.out" "$WORK/inst.err" nix-instantiate "${NBA[@]}" \
            && bounded "$STEP_TIMEOUT" "$WORK/outs.out" "$WORK/outs.err" nix-store -q --outputs "$(tail -1 "$WORK/inst.out")" \
            && RESOLVED=$(tail -1 "$WORK/outs.out")
    fi
}
fact() { printf '%s\n' "$1" >> "$FACTS"; }
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# What makeDerivationBuilder (derivation-builder.cc) throws for a sandboxed build when the
# daemon's namespace probe says no and sandbox-fallback is off.
NO_NAMESPACES_MSG="this system does not support the kernel namespaces that are required for sandboxing"
# ... and what it says (at debug level) when sandbox-fallback is on instead
FALLBACK_MSG="auto-disabling sandboxing because the prerequisite namespaces are not available"
# A daemon kept from mount namespaces (NO_NAMESPACES=1, sandbox = true) refuses the probe with
# upstream's message when this client turns sandbox-fallback off, before any builder runs: the
# sandbox is on and the namespaces are gone. Returns 1 if the plan's own daemon refuses every build.
probe_no_namespaces() {
    bounded "$STEP_TIMEOUT" "$WORK/probe.out" "$WORK/probe.err" nix-build "${NBA[@]}" --no-out-link --option sandbox-fallback false \
        && die "plan needs a daemon without mount namespaces, but with sandbox-fallback = false it built the probe (is the injector's no-namespaces mode in effect?)"
    grep -q "$NO_NAMESPACES_MSG" "$WORK/probe.err" || die "with sandbox-fallback = false the probe failed otherwise than for the namespaces: $(grep -i error "$WORK/probe.err" | tail -3)"
    [ ! -s "$CTL/log/nolprobe" ] || die "the refused probe ran its builder"
    say "probe: with sandbox-fallback = false the daemon refuses a build: '$NO_NAMESPACES_MSG'"
    [ "${SANDBOX_FALLBACK:-0}" = 1 ]
}

# Probe: one tiny build of the plan's kind, to check the daemon runs builders the way the plan
# assumes (build users or root; sandboxed or not, as planned; ca-derivations).
probe() {
    : > "$CTL/log/nolprobe"; chmod 666 "$CTL/log/nolprobe"
    set_nix_args probe
    local seen
    if [ "${NO_NAMESPACES:-0}" = 1 ] && [ "$SANDBOX_MODE" = true ] && ! probe_no_namespaces; then
        seen=refused; BL_USER="<none: refused>"
    else
        # without namespaces, --debug shows makeDerivationBuilder's fallback (checked below)
        local dbg=(); [ "${NO_NAMESPACES:-0}" = 1 ] && dbg=(--debug)
        bounded "$STEP_TIMEOUT" "$WORK/probe.out" "$WORK/probe.err" nix-build "${NBA[@]}" --no-out-link ${dbg[@]+"${dbg[@]}"} \
            || die "probe build failed: $(grep -i error "$WORK/probe.err" | tail -3)$([ "${DIVERTED:-0}" = 1 ] && echo " (a diverted-store plan: is the daemon's store local?root=$DIVERTED_ROOT?)")"
        if [ "${NO_NAMESPACES:-0}" = 1 ] && [ "$SANDBOX_MODE" = true ] && ! grep -q "$FALLBACK_MSG" "$WORK/probe.err"; then
            die "plan needs a daemon that falls back for want of namespaces, but the probe's --debug output lacks '$FALLBACK_MSG'"
        fi
        read_builder_log "$CTL/log/nolprobe"
        [ -n "$BL_USER" ] || die "probe builder could not write to $CTL (sandbox = $SANDBOX planned; a sandbox without $CTL in sandbox-paths hides it)"
        # the probe builder logs 'S on' when it cannot see the daemon's database (inside a sandbox)
        seen=$(grep '^S ' "$CTL/log/nolprobe" | tail -1 | cut -d' ' -f2)
        if [ "$SANDBOX" = 1 ] && [ "$seen" != on ]; then die "plan needs the sandbox but the probe builder ran outside one (sees /nix/var/nix/db)"; fi
        if [ "${NO_NAMESPACES:-0}" = 1 ] && [ "$seen" != off ]; then die "plan needs a daemon without mount namespaces (sandbox-fallback builds unsandboxed) but the probe builder ran inside a sandbox"; fi
        if [ "$SANDBOX" = 0 ] && [ "$seen" != off ]; then die "plan needs unsandboxed builds (sandbox = $SANDBOX_MODE) but the probe builder ran inside a sandbox"; fi
        if [ "${DIVERTED:-0}" = 1 ]; then
            # the diversion is real: the probe's output is under the real store dir, not at its name
            local pout; pout=$(grep '^/' "$WORK/probe.out" | tail -1)
            [ -n "$pout" ] && [ -e "$(real_path "$pout")" ] || die "plan needs a diverted store but the probe's output ${pout:-?} is not under $REAL_STORE (is the daemon's store local?root=$DIVERTED_ROOT?)"
            { [ -e "$pout" ] || [ -L "$pout" ]; } && die "plan needs a diverted store but the probe's output is at $pout itself (the daemon's store is not diverted)"
            say "probe: diverted store, output $pout is $(real_path "$pout"); builder chrooted with sandbox = $SANDBOX_MODE"
        fi
        if [ "$BUILD_USERS" -gt 0 ]; then
            case "$BL_USER" in "$USER_PREFIX"*) ;; *) die "plan needs build users ($USER_PREFIX*) but the daemon ran the builder as $BL_USER (build-users-group empty?)" ;; esac
        else
            [ "$BL_UID" = 0 ] || die "plan is single-user (build-users-group empty) but the daemon ran the builder as $BL_USER"
        fi
        wait_builder_gone "$BL_PID"; wait_user_free "$BL_UID"
    fi
    if [ "$SANDBOX_MODE" = relaxed ]; then
        # the same probe without __noChroot: under relaxed the daemon must sandbox it
        : > "$CTL/log/nolprobe"
        set_nix_args probeboxed
        bounded "$STEP_TIMEOUT" "$WORK/probe.out" "$WORK/probe.err" nix-build "${NBA[@]}" --no-out-link \
            || die "probe build without __noChroot failed: $(grep -i error "$WORK/probe.err" | tail -3)"
        local boxed; boxed=$(grep '^S ' "$CTL/log/nolprobe" | tail -1 | cut -d' ' -f2)
        [ "$boxed" = on ] || die "plan needs sandbox = relaxed but a probe without __noChroot ran outside a sandbox (is the daemon's sandbox off?)"
        # its PID is one of its PID namespace (useless here): wait for its build user's lock instead
        read_builder_log "$CTL/log/nolprobe"; wait_user_free "$BL_UID"
        say "probe: sandbox = relaxed sandboxes a derivation without __noChroot, not one with it"
    fi
    if [ "${CA_DERIVATIONS:-1}" = 0 ]; then
        # the daemon ignores a client's experimental-features, so only a build shows it runs without
        # ca-derivations: this client allows a floating CA derivation, the daemon must refuse it
        set_nix_args probeca
        if bounded "$STEP_TIMEOUT" "$WORK/probe.out" "$WORK/probe.err" nix-build "${NBA[@]}" --no-out-link --extra-experimental-features ca-derivations; then
            die "plan needs a daemon without ca-derivations but it built a floating CA derivation"
        fi
        grep -q "ca-derivations.*is disabled" "$WORK/probe.err" || die "probe of a daemon without ca-derivations failed otherwise: $(grep -i error "$WORK/probe.err" | tail -3)"
        say "probe: the daemon refuses a floating CA derivation (ca-derivations off)"
    fi
    if [ "$NEEDS_INJECTOR" = 1 ]; then
        # the injector notes every worker's hang-up monitor thread: none noted = not loaded
        ls "${FAULT_DIR:-/nonexistent}"/monitor.* > /dev/null 2>&1 || die "the plan holds the daemon at its own file operations, but its workers do not have the fault injector loaded (NOL_FAULT_DIR=${FAULT_DIR:-unset})"
    fi
    # a co-tenant that plants at a floating CA output's scratch path reads it here (makeFallbackPath of its .drv)
    local d p
    for d in $(seq 0 $((NDRV - 1))); do
        [ "$(drv_var DRV_KIND "$d")" = ca-floating ] || continue
        set_nix_args "$d"
        bounded "$STEP_TIMEOUT" "$WORK/inst-$d.out" "$WORK/inst-$d.err" nix-instantiate "${NBA[@]}" || die "nix-instantiate of $(drv_var DRV_ID "$d") failed: $(tail -2 "$WORK/inst-$d.err")"
        p=$(python3 "$PY" fallback "$(tail -1 "$WORK/inst-$d.out")" "$(drv_var DRV_NAME "$d")-$NONCE")
        printf '%s\n' "$p" > "$CTL/scratch/$(drv_var DRV_ID "$d")"; chmod 644 "$CTL/scratch/$(drv_var DRV_ID "$d")"
    done
    say "probe: daemon builds as $BL_USER, sandbox $seen$([ "$HAS_CA" = 1 ] && echo ', ca-derivations on')$([ "${CA_DERIVATIONS:-1}" = 0 ] && echo ', ca-derivations off')"
}

# ------------------------------------------------------------------------------- steps ---
# Background attempts (holdAt / waitsForLock), until their resume: parallel arrays, no
# associative arrays in bash 3.2.
BG_ATT=(); BG_PID=(); BG_D=(); BG_GATE=(); BG_T0=(); BG_STEP=()

# ---- the daemon's own file operations (the fault injector, sim/repro/fault-inject.c) -----------
# The daemon runs with LD_PRELOAD=<the injector> and NOL_FAULT_DIR=<its control dir>; so does this
# script's environment (the same dir). A rule "<id> <op> <before|after> <nth> <glob>" in
# $FAULT_DIR/rules holds the worker at that call: it writes hit.<id> ("pid tid ...") and blocks
# reading the fifo release.<id> until we write "go", or "kill" (it SIGKILLs itself there).
FAULT_DIR=${NOL_FAULT_DIR:-}
arm_rule() { # $1 rule id, $2 "op when nth glob" (@N@ = -<nonce>)
    [ -n "$FAULT_DIR" ] && [ -d "$FAULT_DIR" ] || die "this plan holds the daemon at its own file operations: run the daemon with the fault injector (LD_PRELOAD) and set NOL_FAULT_DIR (validate-real --faults does both)"
    rm -f "$FAULT_DIR/hit.$1" "$FAULT_DIR/count.$1" "$FAULT_DIR/release.$1"
    mkfifo -m 600 "$FAULT_DIR/release.$1" || die "mkfifo $FAULT_DIR/release.$1 failed"
    { grep -v "^$1 " "$FAULT_DIR/rules" 2>/dev/null; printf '%s %s\n' "$1" "${2//@N@/-$NONCE}"; } > "$FAULT_DIR/rules.tmp"
    mv "$FAULT_DIR/rules.tmp" "$FAULT_DIR/rules"
}
disarm_rule() { # $1 rule id
    { grep -v "^$1 " "$FAULT_DIR/rules" 2>/dev/null; true; } > "$FAULT_DIR/rules.tmp"
    mv "$FAULT_DIR/rules.tmp" "$FAULT_DIR/rules"
}
# Wait until rule $1 holds a worker (HIT_PID, HIT_TID) or client $2 ends first (returns 1).
wait_hit() {
    local n=0
    while [ ! -s "$FAULT_DIR/hit.$1" ]; do
        if child_done "$2"; then [ -s "$FAULT_DIR/hit.$1" ] && break; return 1; fi
        n=$((n + 1)); [ "$n" -ge $(( GATE_TIMEOUT * 20 )) ] && die "rule $1 ($(grep "^$1 " "$FAULT_DIR/rules")) never held the daemon in ${GATE_TIMEOUT}s"
        sleep 0.05
    done
    read -r HIT_PID HIT_TID HIT_REST < "$FAULT_DIR/hit.$1"
    disarm_rule "$1"
}
release_rule() { # $1 rule id, $2 go|kill
    bounded 10 /dev/null "$WORK/release-$1.err" sh -c 'echo "$2" > "$1"' sh "$FAULT_DIR/release.$1" "$2" \
        || say "rule $1: nothing read $FAULT_DIR/release.$1 (worker gone?)"
    rm -f "$FAULT_DIR/release.$1"
}
# Wait until process $1 (not our child: a daemon worker) is gone; $2 says what it is.
wait_pid_gone() {
    local n=0
    while [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; do
        n=$((n + 1)); [ "$n" -ge $(( SETTLE_TIMEOUT * 20 )) ] && die "$2 PID $1 still alive after ${SETTLE_TIMEOUT}s"
        sleep 0.05
    done
}
# The worker is held: interrupt its client there. Its hang-up monitor thread (noted by the
# injector) ends right after it has set the interrupt flag, so once it is gone the flag is set, and
# the released worker stops at its next checkInterrupt(), where the interrupt would have.
daemon_interrupt() { # $1 rule id, $2 client PID
    local mon n=0; mon=$(cat "$FAULT_DIR/monitor.$HIT_PID" 2>/dev/null)
    [ -n "$mon" ] || die "the injector noted no hang-up monitor thread for worker $HIT_PID"
    stop_child "$2" INT
    while [ -d "/proc/$HIT_PID/task/$mon" ]; do
        n=$((n + 1)); [ "$n" -ge $(( SETTLE_TIMEOUT * 20 )) ] && die "worker $HIT_PID never saw its client hang up"
        sleep 0.05
    done
    release_rule "$1" go
    wait_pid_gone "$HIT_PID" "daemon worker"
}
daemon_crash() { # $1 rule id, $2 client PID
    release_rule "$1" kill
    wait_child "$2" "$STEP_TIMEOUT" || die "client $2 still running after its worker was killed"
    wait_pid_gone "$HIT_PID" "daemon worker"
}
# A sandboxed builder writes $$ as its own PID namespace numbers it (1: it is that namespace's
# init), which names another process here. Find it here: its NSpid ends in that number, and its
# environment names the gate's derivation. Its parent is the worker (CLONE_PARENT).
builder_pid_here() { # $1 PID as the builder wrote it, $2 gate file ($CTL/gate/<drv>.<gate>)
    local base st p ns d
    base=$(basename "$2")
    for st in /proc/[0-9]*/status; do
        ns=$(sed -n 's/^NSpid:[[:space:]]*//p' "$st" 2>/dev/null)
        case "$ns" in *[[:space:]]*) ;; *) continue ;; esac
        [ "${ns##*[[:space:]]}" = "$1" ] || continue
        p=${st#/proc/}; p=${p%/status}
        d=$(tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | sed -n 's/^nolDrv=//p')
        case "$base" in "$d".*) [ -n "$d" ] && { echo "$p"; return 0; } ;; esac
    done
    return 1
}
# Whether a builder runs in its own PID namespace: with sandbox = true, unless sandbox-fallback
# built it without namespaces (NO_NAMESPACES=1), and always in a diverted store, which forces a chroot.
builder_in_pid_namespace() {
    { [ "$SANDBOX_MODE" = true ] && [ "${NO_NAMESPACES:-0}" != 1 ]; } || [ "${DIVERTED:-0}" = 1 ]
}
# The builder waits at a gate (its PID in the gate file): kill the daemon worker that runs it.
gate_crash() { # $1 gate file, $2 client PID
    local bpid wpid; bpid=$(cat "$1")
    if builder_in_pid_namespace; then bpid=$(builder_pid_here "$bpid" "$1") || die "no sandboxed builder here for gate $1"; fi
    wpid=$(ps -o ppid= -p "$bpid" 2>/dev/null | tr -d ' ')
    # never 0 or 1: kill -KILL 0 would kill this script's own process group
    [ -n "$wpid" ] && [ "$wpid" != 0 ] && [ "$wpid" != 1 ] || die "no daemon worker above builder PID $bpid"
    kill -KILL "$wpid"
    wait_child "$2" "$STEP_TIMEOUT" || die "client $2 still running after its worker was killed"
    wait_pid_gone "$wpid" "daemon worker"
}
gate_write() { # $1 fifo, $2 word
    bounded 10 /dev/null "$WORK/gate-write.err" sh -c 'echo "$2" > "$1"' sh "$1" "$2" || say "gate $1 had no reader (builder gone?)"
    rm -f "$1"
}

h_build() { # $1 step, $2 attempt, $3 drv index, $4 mode, $5 gate or daemon rule, $6 flags: nodebug (interrupted at its resume), check (nix-build --check), repair (nix-build --repair), joined by +
    # modes: run | interrupt | hold | crash | fail | timeout (at a builder gate) | lockwait | dinterrupt | dcrash | dhold (at a daemon rule)
    local step=$1 att=$2 d=$3 mode=$4 gate=$5 flags=${6:-} id; id=$(drv_var DRV_ID "$d")
    local rule=""
    case "$mode" in d*) rule=$gate; gate="" ;; esac
    local t0; t0=$(now_ms)
    local blog="$CTL/log/$id.$att" out="$WORK/attempt-$att.out" err="$WORK/attempt-$att.err"
    : > "$blog"; chmod 666 "$blog"
    # the builder reads its attempt name here at start, so attempts of one .drv log apart
    printf '%s' "$att" > "$CTL/attempt/$id"; chmod 644 "$CTL/attempt/$id"
    if [ -n "$gate" ]; then
        rm -f "$CTL/gate/$id.$gate" "$CTL/arm/$id.$gate"
        mkfifo -m 666 "$CTL/arm/$id.$gate" || die "mkfifo failed"
    fi
    set_nix_args "$d"
    # --debug shows "removing invalid path". Not for an attempt we interrupt: Nix 2.34.8's worker
    # writes debug lines to the gone client while it unwinds, gets EPIPE in a destructor and
    # aborts ("Nix crashed"), so none of its cleanup runs (build dir, the build user's processes).
    local debug=1; case "$mode" in interrupt|dinterrupt) debug=0 ;; esac; case "$flags" in *nodebug*) debug=0 ;; esac
    local check=0; case "$flags" in *check*) check=1 ;; esac
    local repair=0; case "$flags" in *repair*) repair=1 ;; esac
    [ -n "$rule" ] && arm_rule "r$step" "$rule"
    # timeout: the builder blocks at its gate (nobody writes its fifo) until the daemon's build timeout kills it
    local deadline=(); [ "$mode" = timeout ] && deadline=(--option timeout "$BUILD_TIMEOUT")
    nix-build "${NBA[@]}" --no-out-link "${deadline[@]}" "${BUILD_DIR_OPT[@]}" $([ "$check" = 1 ] && echo --check) $([ "$repair" = 1 ] && echo --repair) $([ "$debug" = 1 ] && echo --debug) > "$out" 2> "$err" < /dev/null &
    local pid=$!; track "$pid"
    local interrupted=0 rc n=0
    case "$mode" in
        dinterrupt|dcrash|dhold)
            if ! wait_hit "r$step" "$pid"; then
                disarm_rule "r$step"; wait_child "$pid" 1; rc=$CHILD_RC
                say "attempt $att: client exited (rc=$rc) before the daemon reached $rule"
            elif [ "$mode" = dinterrupt ]; then
                say "attempt $att: worker $HIT_PID held at $HIT_REST; interrupting"
                daemon_interrupt "r$step" "$pid"; rc=$CHILD_RC; interrupted=1
            elif [ "$mode" = dcrash ]; then
                say "attempt $att: worker $HIT_PID held at $HIT_REST; killing it"
                daemon_crash "r$step" "$pid"; rc=$CHILD_RC
            else
                read_builder_log "$blog"; [ -n "$BL_OUT" ] && printf -v "SCRATCH_$d" '%s' "$BL_OUT"
                BG_ATT+=("$att"); BG_PID+=("$pid"); BG_D+=("$d"); BG_GATE+=("D:r$step:$HIT_PID"); BG_T0+=("$t0"); BG_STEP+=("$step")
                say "step $step build $att ($id): daemon worker $HIT_PID held at $HIT_REST (client PID $pid)"
                return 0
            fi ;;
        interrupt|hold|crash|fail|timeout)
            while [ ! -s "$CTL/gate/$id.$gate" ] && ! child_done "$pid"; do
                n=$((n + 1)); [ "$n" -ge $(( GATE_TIMEOUT * 20 )) ] && die "attempt $att: builder never reached gate $gate"
                sleep 0.05
            done
            if [ ! -s "$CTL/gate/$id.$gate" ]; then
                wait_child "$pid" 1; rc=$CHILD_RC
                say "attempt $att: client exited (rc=$rc) before the builder reached gate $gate"
            elif [ "$mode" = interrupt ]; then
                stop_child "$pid" INT; rc=$CHILD_RC; interrupted=1
            elif [ "$mode" = crash ]; then
                gate_crash "$CTL/gate/$id.$gate" "$pid"; rc=$CHILD_RC
            elif [ "$mode" = fail ]; then
                gate_write "$CTL/arm/$id.$gate" fail
                wait_child "$pid" "$STEP_TIMEOUT" || die "attempt $att: nix-build did not finish in ${STEP_TIMEOUT}s after its builder failed"
                rc=$CHILD_RC
            elif [ "$mode" = timeout ]; then
                wait_child "$pid" "$STEP_TIMEOUT" || die "attempt $att: nix-build did not time out in ${STEP_TIMEOUT}s (timeout ${BUILD_TIMEOUT}s)"
                rc=$CHILD_RC
                grep -q 'timed out after' "$err" || say "attempt $att: rc=$rc, and no 'timed out after' on its stderr"
            else
                # the held builder's $out is this attempt's scratch path for the steps meanwhile
                read_builder_log "$blog"; [ -n "$BL_OUT" ] && printf -v "SCRATCH_$d" '%s' "$BL_OUT"
                BG_ATT+=("$att"); BG_PID+=("$pid"); BG_D+=("$d"); BG_GATE+=("$gate"); BG_T0+=("$t0"); BG_STEP+=("$step")
                say "step $step build $att ($id): builder held at gate $gate (client PID $pid)"
                return 0
            fi ;;
        lockwait)
            # until the client says it waits for the output lock, or it ends, or its builder starts
            while ! grep -q 'waiting for lock on' "$err" 2>/dev/null && ! child_done "$pid" && ! grep -q '^U ' "$blog"; do
                n=$((n + 1)); [ "$n" -ge $(( GATE_TIMEOUT * 20 )) ] && die "attempt $att: neither waited for a lock nor ran in ${GATE_TIMEOUT}s"
                sleep 0.05
            done
            if ! child_done "$pid"; then
                BG_ATT+=("$att"); BG_PID+=("$pid"); BG_D+=("$d"); BG_GATE+=(""); BG_T0+=("$t0"); BG_STEP+=("$step")
                say "step $step build $att ($id): $(grep -q 'waiting for lock on' "$err" && echo 'waiting for the output lock' || echo 'running its builder') (client PID $pid)"
                return 0
            fi
            wait_child "$pid" 1; rc=$CHILD_RC ;;
        *)
            wait_child "$pid" "$STEP_TIMEOUT" || { stop_child "$pid" INT; die "attempt $att: nix-build did not finish in ${STEP_TIMEOUT}s"; }
            rc=$CHILD_RC ;;
    esac
    end_attempt "$step" "$att" "$d" "$gate" "$rc" "$interrupted" "$t0" "$debug"
}

# The attempt is over (its client exited): let its builder and build user go, record the fact.
end_attempt() { # $1 step, $2 attempt, $3 drv index, $4 gate, $5 rc, $6 interrupted, $7 t0, $8 debug (1/0)
    local step=$1 att=$2 d=$3 gate=$4 rc=$5 interrupted=$6 t0=$7 debug=$8 id; id=$(drv_var DRV_ID "$d")
    local blog="$CTL/log/$id.$att" out="$WORK/attempt-$att.out" err="$WORK/attempt-$att.err"
    read_builder_log "$blog"
    # The next step must find the builder dead and its build user free, as the model assumes.
    wait_builder_gone "$BL_PID"; wait_user_free "$BL_UID"
    [ -n "$gate" ] && rm -f "$CTL/arm/$id.$gate"
    [ -n "$BL_OUT" ] && printf -v "SCRATCH_$d" '%s' "$BL_OUT"
    local final="" others=""
    if [ "$rc" = 0 ] && [ "$interrupted" = 0 ]; then
        final=$(grep '^/' "$out" | tail -1)
        # a multi-output spec: nix-build printed the other outputs first, out last (render.ts DRV_NIX)
        others=$(grep '^/' "$out" | sed '$d' | paste -sd: -)
        printf -v "FINAL_$d" '%s' "$final"
    fi
    cp "$blog" "$WORK/attempt-$att.builder.log"
    # why a failed attempt failed, for the log (the observation keeps the outcome only)
    if [ "$rc" != 0 ] && [ "$interrupted" = 0 ]; then say "attempt $att: $(grep '^error:' "$err" | tail -1)"; fi
    # a daemon without mount namespaces and without sandbox-fallback refuses builds for that reason only
    if [ "$rc" != 0 ] && [ "$interrupted" = 0 ] && [ "${NO_NAMESPACES:-0}" = 1 ] && [ "$SANDBOX_MODE" = true ] && [ "${SANDBOX_FALLBACK:-0}" = 0 ] && ! grep -q "$NO_NAMESPACES_MSG" "$err"; then
        die "attempt $att failed otherwise than for the missing namespaces: $(grep -i error "$err" | tail -2)"
    fi
    fact "$(python3 "$PY" attempt "$att" "$id" "$(drv_var DRV_NAME "$d")-$NONCE" "$rc" "$interrupted" \
        "$blog" "$err" "$final" "$(secs_since "$t0")" "$SANDBOX" "$debug" "$others")"
    say "step $step build $att ($id): $([ "$interrupted" = 1 ] && echo "interrupted at $gate" || echo "rc=$rc") as ${BL_USER:-<no builder>}, \$out=${BL_OUT:-?}${final:+ -> $final} ($(secs_since "$t0")s)"
}

# One client, several goals (plan step `invocation`): `nix-build a.drv b.drv` with keep-going =
# false (the default; no --keep-going). Every goal's builder is held at its gate; once all are
# there, the builder of $2 exits 1 at its gate. The others are never let go: the daemon must cancel
# their goals and kill their builders, or the client never ends (a harness error, after
# STEP_TIMEOUT). Each goal is recorded as an attempt, the held ones with interrupted=2 ("held,
# never released": oracle.py calls it cancelled only on the client's own evidence).
h_invocation() { # $1 step, $2 the failing attempt, then triples: attempt, drv index, gate
    local step=$1 fails=$2; shift 2
    local atts=() ds=() gates=() drvs=() id d t0 n=0 i
    t0=$(now_ms)
    while [ $# -ge 3 ]; do atts+=("$1"); ds+=("$2"); gates+=("$3"); shift 3; done
    for i in "${!atts[@]}"; do
        d=${ds[$i]}; id=$(drv_var DRV_ID "$d")
        : > "$CTL/log/$id.${atts[$i]}"; chmod 666 "$CTL/log/$id.${atts[$i]}"
        printf '%s' "${atts[$i]}" > "$CTL/attempt/$id"; chmod 644 "$CTL/attempt/$id"
        rm -f "$CTL/gate/$id.${gates[$i]}" "$CTL/arm/$id.${gates[$i]}"
        mkfifo -m 666 "$CTL/arm/$id.${gates[$i]}" || die "mkfifo failed"
        set_nix_args "$d"
        bounded "$STEP_TIMEOUT" "$WORK/inst-inv-$i.out" "$WORK/inst-inv-$i.err" nix-instantiate "${NBA[@]}" || die "nix-instantiate of $id failed: $(tail -2 "$WORK/inst-inv-$i.err")"
        drvs+=("$(tail -1 "$WORK/inst-inv-$i.out")")
    done
    local out="$WORK/invocation-$step.out" err="$WORK/invocation-$step.err"
    # max-jobs (default 1) would keep the second goal from building while the first's builder is
    # held; the model has no such limit, so every goal gets a job slot
    nix-build "${drvs[@]}" --no-out-link --max-jobs "${#atts[@]}" "${BUILD_DIR_OPT[@]}" --debug > "$out" 2> "$err" < /dev/null &
    local pid=$!; track "$pid"
    local all=0
    while [ "$all" = 0 ] && ! child_done "$pid"; do
        all=1
        for i in "${!atts[@]}"; do [ -s "$CTL/gate/$(drv_var DRV_ID "${ds[$i]}").${gates[$i]}" ] || all=0; done
        [ "$all" = 1 ] && break
        n=$((n + 1)); [ "$n" -ge $(( GATE_TIMEOUT * 20 )) ] && { stop_child "$pid" INT; die "invocation: not every builder reached its gate in ${GATE_TIMEOUT}s"; }
        sleep 0.05
    done
    if [ "$all" = 1 ]; then
        for i in "${!atts[@]}"; do
            [ "${atts[$i]}" = "$fails" ] && gate_write "$CTL/arm/$(drv_var DRV_ID "${ds[$i]}").${gates[$i]}" fail
        done
        say "step $step invocation: every builder at its gate; $fails's builder made to fail, the others left held"
    else
        say "step $step invocation: the client exited before every builder reached its gate"
    fi
    wait_child "$pid" "$STEP_TIMEOUT" || { stop_child "$pid" INT; die "invocation: nix-build did not finish in ${STEP_TIMEOUT}s after $fails's builder failed (were the held goals not cancelled?)"; }
    local rc=$CHILD_RC
    say "step $step invocation: client rc=$rc: $(grep '^error:' "$err" | tail -1)"
    for i in "${!atts[@]}"; do
        cp "$out" "$WORK/attempt-${atts[$i]}.out"; cp "$err" "$WORK/attempt-${atts[$i]}.err"
        local how=2; [ "${atts[$i]}" = "$fails" ] && how=0
        end_attempt "$step" "${atts[$i]}" "${ds[$i]}" "${gates[$i]}" "$rc" "$how" "$t0" 1
    done
}

h_resume() { # $1 step, $2 attempt, $3 fault where it is held (interrupt|crash|builderFailure; none = go on),
    #           $4 gate|daemon, $5 the next point (gate name or rule), $6 the fault that lands there (none: no next point)
    local step=$1 att=$2 fault=${3:-} nkind=${4:-} npoint=${5:-} nfault=${6:-} i k="" id interrupted=0
    for i in ${BG_ATT[@]+"${!BG_ATT[@]}"}; do [ "${BG_ATT[$i]}" = "$att" ] && k=$i; done
    [ -n "$k" ] || die "step $step: attempt $att is not running in the background"
    local pid=${BG_PID[$k]} d=${BG_D[$k]} gate=${BG_GATE[$k]} t0=${BG_T0[$k]}
    id=$(drv_var DRV_ID "$d")
    # a next point is armed before the build goes on, so it counts from here
    case "$nkind" in
        gate) rm -f "$CTL/gate/$id.$npoint"; mkfifo -m 666 "$CTL/arm/$id.$npoint" || die "mkfifo failed" ;;
        daemon) arm_rule "r$step" "$npoint" ;;
    esac
    case "$gate:$fault" in
        D:*:interrupt) HIT_PID=${gate##*:}; daemon_interrupt "$(echo "$gate" | cut -d: -f2)" "$pid"; interrupted=1 ;;
        D:*:crash) HIT_PID=${gate##*:}; daemon_crash "$(echo "$gate" | cut -d: -f2)" "$pid" ;;
        D:*:) HIT_PID=${gate##*:}; release_rule "$(echo "$gate" | cut -d: -f2)" go ;;
        *:interrupt) stop_child "$pid" INT; interrupted=1; rm -f "$CTL/arm/$id.$gate" ;;
        *:crash) gate_crash "$CTL/gate/$id.$gate" "$pid"; rm -f "$CTL/arm/$id.$gate" ;;
        *:builderFailure) gate_write "$CTL/arm/$id.$gate" fail ;;
        :) ;;
        # unblock the builder's read; bounded, in case nothing reads the fifo any more
        *) gate_write "$CTL/arm/$id.$gate" go ;;
    esac
    local n=0
    if [ "$nkind" = gate ]; then
        while [ ! -s "$CTL/gate/$id.$npoint" ] && ! child_done "$pid"; do
            n=$((n + 1)); [ "$n" -ge $(( GATE_TIMEOUT * 20 )) ] && die "attempt $att: builder never reached gate $npoint"
            sleep 0.05
        done
        if [ -s "$CTL/gate/$id.$npoint" ]; then
            case "$nfault" in
                interrupt) stop_child "$pid" INT; interrupted=1 ;;
                crash) gate_crash "$CTL/gate/$id.$npoint" "$pid" ;;
                builderFailure) gate_write "$CTL/arm/$id.$npoint" fail ;;
            esac
        else
            say "attempt $att: client exited before the builder reached gate $npoint"
        fi
        rm -f "$CTL/arm/$id.$npoint"
    elif [ "$nkind" = daemon ]; then
        if wait_hit "r$step" "$pid"; then
            say "attempt $att: worker $HIT_PID held at $HIT_REST; $nfault"
            case "$nfault" in
                interrupt) daemon_interrupt "r$step" "$pid"; interrupted=1 ;;
                crash) daemon_crash "r$step" "$pid" ;;
            esac
        else
            disarm_rule "r$step"; say "attempt $att: client exited before the daemon reached $npoint"
        fi
    fi
    # always reap it here: a client that already exited still has its status to collect, and
    # CHILD_RC would otherwise be the previous step's (a failed build read as rc=0)
    if [ "$interrupted" = 0 ]; then
        wait_child "$pid" "$STEP_TIMEOUT" || { stop_child "$pid" INT; die "attempt $att: nix-build did not finish in ${STEP_TIMEOUT}s after resume"; }
    fi
    local rc=$CHILD_RC
    case "$gate" in D:*) wait_pid_gone "${gate##*:}" "daemon worker" ;; esac
    local keep=() j
    for j in ${BG_ATT[@]+"${!BG_ATT[@]}"}; do [ "$j" != "$k" ] && keep+=("$j"); done
    local a=() p=() dd=() g=() t=() st=()
    for j in ${keep[@]+"${keep[@]}"}; do a+=("${BG_ATT[$j]}"); p+=("${BG_PID[$j]}"); dd+=("${BG_D[$j]}"); g+=("${BG_GATE[$j]}"); t+=("${BG_T0[$j]}"); st+=("${BG_STEP[$j]}"); done
    BG_ATT=(${a[@]+"${a[@]}"}); BG_PID=(${p[@]+"${p[@]}"}); BG_D=(${dd[@]+"${dd[@]}"}); BG_GATE=(${g[@]+"${g[@]}"}); BG_T0=(${t[@]+"${t[@]}"}); BG_STEP=(${st[@]+"${st[@]}"})
    local debug=1; [ "$interrupted" = 1 ] && debug=0
    end_attempt "$step" "$att" "$d" "" "$rc" "$interrupted" "$t0" "$debug"
}

h_hold() { # $1 step, $2 count
    local step=$1 k tag blog pid n
    for k in $(seq 1 "$2"); do
        tag=s${step}k$k
        blog="$CTL/blk/$tag"; : > "$blog"; chmod 666 "$blog"
        set_nix_args hold
        nix-build "${NBA[@]}" --argstr tag "$tag" --no-out-link > "$WORK/hold-$tag.out" 2> "$WORK/hold-$tag.err" < /dev/null &
        pid=$!; track "$pid"
        n=0
        while ! grep -q '^U ' "$blog" 2>/dev/null; do
            child_done "$pid" && die "blocker $tag exited before taking a build user: $(grep -i error "$WORK/hold-$tag.err" | tail -2)"
            n=$((n + 1)); [ "$n" -ge $(( GATE_TIMEOUT * 20 )) ] && die "blocker $tag got no build user in ${GATE_TIMEOUT}s"
            sleep 0.05
        done
        read_builder_log "$blog"
        HOLD_PIDS+=("$pid"); HOLD_UIDS+=("$BL_UID"); HOLD_BPIDS+=("$BL_PID")
        fact "{\"t\":\"hold\",\"step\":$step,\"tag\":\"$tag\",\"user\":\"$BL_USER\"}"
        say "step $step hold: blocker $tag (client PID $pid) holds $BL_USER"
    done
}

h_release() { # $1 step
    local i
    for i in ${HOLD_PIDS[@]+"${!HOLD_PIDS[@]}"}; do
        stop_child "${HOLD_PIDS[$i]}" INT
        wait_builder_gone "${HOLD_BPIDS[$i]}"; wait_user_free "${HOLD_UIDS[$i]}"
    done
    say "step $1 release: ${#HOLD_PIDS[@]} blocker(s) stopped"
    HOLD_PIDS=(); HOLD_UIDS=(); HOLD_BPIDS=()
}

h_flag() { # $1 step, $2 set|clear, $3 flag
    if [ "$2" = set ]; then : > "$CTL/flags/$3"; else rm -f "$CTL/flags/$3"; fi
    say "step $1 ${2}Flag $3"
}

path_exists() { local r; r=$(real_path "$1"); [ -e "$r" ] || [ -L "$r" ]; }

h_corrupt() { # $1 step, $2 drv index: as root, damage the valid output on disk (its registration stays)
    resolve "$2" final
    local p=$RESOLVED
    [ -n "$p" ] && p=$(real_path "$p")
    [ -n "$p" ] && [ -d "$p" ] || die "step $1: the final path of $(drv_var DRV_ID "$2") is not a directory to corrupt (${p:-unknown})"
    printf 'corrupted\n' > "$p/corrupted" || die "step $1: cannot write into $p"
    say "step $1 corrupt: wrote $p/corrupted"
}

h_path() { # $1 step, $2 key, $3 drv index, $4 scratch|final, $5 pathInfo|inspect
    local step=$1 key=$2 kind=$5
    resolve "$3" "$4"
    local p=$RESOLVED exists=false valid=false ins='{}'
    if [ -n "$p" ]; then
        path_exists "$p" && exists=true
        # a diverted store's path must never appear at its name (the builder wrote it in its chroot)
        if [ "${DIVERTED:-0}" = 1 ] && { [ -e "$p" ] || [ -L "$p" ]; }; then die "step $step: $p exists at its name, outside the diverted store $REAL_STORE"; fi
        bounded "$STEP_TIMEOUT" "$WORK/pathinfo-$key.out" "$WORK/pathinfo-$key.err" nix path-info "$p" && valid=true
        [ "$kind" = inspect ] && ins=$(python3 "$PY" inspect "$(real_path "$p")")
    else
        say "step $step: $(drv_var DRV_ID "$3") has no known $4 path yet (recorded as absent)"
    fi
    fact "$(python3 -c 'import json,sys
a=sys.argv; ins=json.loads(a[7])
d={"t":"path","step":int(a[1]),"key":a[2],"kind":a[3],"path":a[4] or None,"exists":a[5]=="true","valid":a[6]=="true"}
d.update({k:ins[k] for k in ("owner","mode","files") if k in ins})
print(json.dumps(d))' "$step" "$key" "$kind" "$p" "$exists" "$valid" "$ins")"
    say "step $step $kind $key: ${p:-<unknown>} exists=$exists valid=$valid $( [ "$kind" = inspect ] && echo "$ins")"
}

# The daemon's own GC (plan settings.autoGc), run as a step's command: the fake free space
# (_NIX_TEST_FREE_SPACE_FILE, read by gc.cc LocalStore::autoGC instead of statvfs) drops below
# min-free; within 10 s the held build's worker loop wakes (waitForInput, min-free set) and starts
# the auto-GC. It deletes a garbage sentinel made here, and holds the GC lock until it is done.
# The file is replaced by rename: the daemon must never read it empty (stoll would throw).
nol_auto_gc() {
    local f=${_NIX_TEST_FREE_SPACE_FILE:-} plenty i sentinel=$REAL_STORE/nol-autogc-sentinel-$NONCE
    [ -n "$f" ] && [ -f "$f" ] || { echo "nol_auto_gc: no free-space file (plan settings.autoGc: the daemon needs _NIX_TEST_FREE_SPACE_FILE)" >&2; return 2; }
    command -v flock > /dev/null || { echo "nol_auto_gc: flock(1) is required" >&2; return 2; }
    plenty=$(cat "$f")
    mkdir "$sentinel" || return 2
    echo 0 > "$f.new" && mv "$f.new" "$f"
    for i in $(seq 1 300); do [ -e "$sentinel" ] || break; sleep 0.1; done
    echo "$plenty" > "$f.new" && mv "$f.new" "$f"
    if [ -e "$sentinel" ]; then echo "nol_auto_gc: the daemon started no auto-GC within 30 s" >&2; rmdir "$sentinel"; return 1; fi
    flock -x "$STATE_DIR/gc.lock" true
    echo "auto-GC ran (sentinel collected, GC lock free again)"
}

h_delete() { # $1 step, $2 key, $3 drv index, $4 scratch|final, $5.. command words
    local step=$1 key=$2 d=$3 which=$4; shift 4
    resolve "$d" "$which"
    local p=$RESOLVED before=false after=false rc dontknow=false
    [ -n "$p" ] && path_exists "$p" && before=true
    case "$*" in
        *delete*) [ -n "$p" ] || die "step $step: nothing to delete ($which path of $(drv_var DRV_ID "$d") unknown)"
                  bounded "$STEP_TIMEOUT" "$WORK/cmd-$key.out" "$WORK/cmd-$key.err" "$@" "$p" ;;
        *)        bounded "$STEP_TIMEOUT" "$WORK/cmd-$key.out" "$WORK/cmd-$key.err" "$@" ;;
    esac
    rc=$?
    [ "$rc" = 124 ] && die "step $step: '$*' timed out"
    [ -n "$p" ] && path_exists "$p" && after=true
    grep -q "don't know how to build these paths" "$WORK/cmd-$key.out" "$WORK/cmd-$key.err" && dontknow=true
    fact "{\"t\":\"command\",\"step\":$step,\"key\":\"$key\",\"command\":\"$*\",\"path\":$(json_str "$p"),\"existedBefore\":$before,\"existsAfter\":$after,\"rc\":$rc,\"dontKnow\":$dontknow}"
    say "step $step '$*' ${p:-}: rc=$rc existed=$before exists=$after dontknow=$dontknow"
}

h_finish() {
    [ ${#HOLD_PIDS[@]} -gt 0 ] && h_release end
    local secs; secs=$(secs_since "$T0_MS")
    say "steps done in ${secs}s; comparing with expectation '$VARIANT'"
    python3 "$PY" finish "$FACTS" "$WORK/expect.json" "$OBS" "scenario=$SCENARIO" "variant=$VARIANT" \
        "platform=$PLATFORM" "nix=$NIX_VERSION" "nonce=$NONCE" "seconds=$secs"
    local rc=$?
    say "observation written to $OBS"
    [ "$rc" -le 1 ] || die "oracle.py finish failed (rc=$rc)"
    return "$rc"
}
