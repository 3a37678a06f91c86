#!/usr/bin/env bash
# verify-by-hand.sh: the hand verification of issue #8 on a real nix-daemon, side by side:
# Debian's /usr/bin/nix-daemon (2.8.0) and the daemon built by scripts/build-patched-nix.sh.
# Same procedure as /work/shared/reference/real-nix-repro.sh (sandbox = false, build users from
# nixbld, a blocker build holding nixbld1 so that a retry runs as nixbld2), but:
#   - it never writes /etc/nix/nix.conf: daemon and clients get a private NIX_CONF_DIR;
#   - it runs no garbage collection (the store is shared): only `nix-store --delete <path>`;
#   - the whole run holds /var/lock/nix-outpath-lab-daemon.lock (flock), as every daemon use must;
#   - each daemon is started with `env -u NIX_REMOTE` and stopped by its PID.
#
# Phases, each run once per daemon (fresh nonce, so runs never see each other's paths):
#   A  floating CA, interrupted as nixbld1 (writes $out/stale), retry while a blocker holds
#      nixbld1 (so as nixbld2); A3 same-user retry if A2 failed; A4 control build (other .drv,
#      same name/output, never interrupted) to compare the CA path with
#   D  CA builder with plain `mkdir $out`, interrupted, same-user retry
#   E  two CA .drvs with the same output: is e2's scratch dir left behind (2.8 leak, diff 0003)?
#      then a root-owned 0555 dir at e2's scratch path (left by the build, or made by hand when
#      the daemon left none), output deleted, rebuild e2 as the same user
#   G  `nix-store --delete <scratch>` while the CA builder runs (diff 0002: temp root)
#   B  input-addressed control: interrupted, retry as nixbld2
#
# Usage:  bash verify-by-hand.sh [debian|patched|both]   (as root; default both)
# Env:    WORK=/tmp/nix-outpath-lab-verify  SLEEP=5  PATCHED_BIN=<bin dir> (default: the
#         last line of scripts/build-patched-nix.sh, which must have finished)
# Exit:   0 = Debian wedges and the patched daemon heals in every phase; 3 = some expectation
#         failed (see summary); 1 = harness error.
set -uo pipefail

LOCK=/var/lock/nix-outpath-lab-daemon.lock
if [ "${NIX_OUTPATH_LAB_LOCKED:-}" != 1 ]; then
    echo "waiting for $LOCK ..." >&2
    exec env NIX_OUTPATH_LAB_LOCKED=1 flock "$LOCK" bash "$0" "$@"
fi

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
WHICH=${1:-both}
WORK=${WORK:-/tmp/nix-outpath-lab-verify}
SLEEP=${SLEEP:-5}
SOCKET=/nix/var/nix/daemon-socket/socket
T0=$SECONDS
DAEMON_PID=""
BG_PIDS=()
FAILS=0

say()  { printf '[%4ss] %s\n' "$((SECONDS - T0))" "$*"; }
die()  { say "FATAL: $*"; exit 1; }
res()  { echo "$*" >> "$WORK/summary.txt"; say "RESULT $*"; }
expect() { # $1 description  $2 condition result (0 = holds)
    if [ "$2" = 0 ]; then res "  ok: $1"; else res "  UNEXPECTED: $1"; FAILS=$((FAILS + 1)); fi
}

cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${BG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    stop_daemon
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "run as root"
command -v /usr/bin/nix-daemon >/dev/null || die "Debian's nix-bin is not installed"
getent group nixbld | grep -q nixbld2 || die "group nixbld with nixbld1, nixbld2 needed (nix-setup-systemd creates them)"
if [ "$WHICH" != debian ]; then
    PATCHED_BIN=${PATCHED_BIN:-$(bash "$REPO/scripts/build-patched-nix.sh" 2>/dev/null | tail -1)}
    [ -x "$PATCHED_BIN/nix-daemon" ] || die "no patched bin dir (run scripts/build-patched-nix.sh first)"
fi
mkdir -p "$WORK"; chmod 755 "$WORK"
: > "$WORK/summary.txt"
cd "$WORK" || die "cd $WORK"

export NIX_CONF_DIR=$WORK/conf
mkdir -p "$NIX_CONF_DIR"
cat > "$NIX_CONF_DIR/nix.conf" <<'EOF'
build-users-group = nixbld
sandbox = false
experimental-features = nix-command ca-derivations
substituters =
EOF

start_daemon() { # $1 debian|patched
    if [ -S "$SOCKET" ] && NIX_REMOTE=daemon timeout 5 /usr/bin/nix store ping >/dev/null 2>&1; then
        die "a nix-daemon this script did not start answers on $SOCKET (while we hold $LOCK); not touching it"
    fi
    mkdir -p /nix/var/nix/daemon-socket
    if [ "$1" = patched ]; then
        env -u NIX_REMOTE NIX_BIN_DIR="$PATCHED_BIN" NIX_LIBEXEC_DIR="$(dirname "$PATCHED_BIN")/libexec" \
            "$PATCHED_BIN/nix-daemon" > "$WORK/daemon-$1.log" 2>&1 &
    else
        env -u NIX_REMOTE /usr/bin/nix-daemon > "$WORK/daemon-$1.log" 2>&1 &
    fi
    DAEMON_PID=$!
    local _
    for _ in $(seq 1 100); do NIX_REMOTE=daemon timeout 5 nix store ping >/dev/null 2>&1 && break; sleep 0.1; done
    NIX_REMOTE=daemon timeout 5 nix store ping >/dev/null 2>&1 || die "$1 daemon (PID $DAEMON_PID) does not answer"
    say "$1 nix-daemon PID $DAEMON_PID: $(readlink -f /proc/$DAEMON_PID/exe); libnixstore: $(grep -m1 -o '/[^ ]*libnixstore.so' /proc/$DAEMON_PID/maps)"
}
stop_daemon() {
    [ -n "$DAEMON_PID" ] || return 0
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID" 2>/dev/null
        local _; for _ in $(seq 1 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
        wait "$DAEMON_PID" 2>/dev/null
        say "stopped nix-daemon PID $DAEMON_PID"
    fi
    DAEMON_PID=""
}

# The builder writes $out/stale only while the flag file exists (the interrupted attempt), so a
# 'stale' entry in a final output can only come from attempt 1.
cat > ca.nix <<EOF
{ tag, sleepSecs ? "$SLEEP", variant ? "normal", mk ? "mkdir -p" }:
builtins.derivation {
  name = "wedge-\${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  inherit variant;
  __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256";
  args = [ "-c" ''
    echo "builder uid=\$(id -u) user=\$(id -un) out=\$out"
    \${mk} \$out
    echo "mkdir rc=\$?"
    ls -ld \$out
    echo a > \$out/a
    if [ -e $WORK/flag-\${tag} ]; then echo attempt1 > \$out/stale; fi
    echo "marker: wrote-a-now-sleeping"
    sleep \${sleepSecs}
    echo b > \$out/b
  '' ];
}
EOF
sed -e 's/__contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256";//' ca.nix > ia.nix
cat > blocker.nix <<'EOF'
{ tag }:
builtins.derivation {
  name = "wedge-blocker-${tag}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  args = [ "-c" ''echo "blocker uid=$(id -u) user=$(id -un)"; sleep 600; echo done > $out'' ];
}
EOF

wait_for() { local _; for _ in $(seq 1 $(( $3 * 10 ))); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
user_in() { grep -oE '(builder|blocker) uid=[0-9]+ user=[a-z0-9]+' "$1" | head -1 | sed 's/.*user=//'; }
out_in()  { grep -oE 'builder uid=.* out=[^ ]+' "$1" | head -1 | sed 's/.*out=//'; }
result_in() { grep -E '^/nix/store/[^ ]+$' "$1" | tail -1; }
listing() { [ -e "$1" ] && (cd "$1" && for f in *; do printf '%s=%s,' "$f" "$(cat "$f" 2>/dev/null)"; done) || echo MISSING; }
nb() { NIX_REMOTE=daemon nix-build "$@"; }
# A simple command put in the background, not a function: $! is then nix-build itself, which
# handles SIGINT even though a non-interactive shell starts it with SIGINT ignored (a function
# would run in a subshell that ignores SIGINT and waits for nix-build).
bg_build() { NIX_REMOTE=daemon nix-build "$1" "${@:3}" --no-out-link > "$2" 2>&1 & BG=$!; BG_PIDS+=("$BG"); }
interrupt() {
    kill -INT "$1" 2>/dev/null; wait "$1" 2>/dev/null; IRC=$?
    local keep=() p; for p in "${BG_PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done; BG_PIDS=("${keep[@]}")
}
start_blocker() {
    bg_build blocker.nix "$WORK/$1.log" --argstr tag "$1"; BLOCKER=$BG
    wait_for "$WORK/$1.log" 'blocker uid=' 60 || die "blocker did not start: $(cat "$WORK/$1.log")"
    say "blocker $1 holds $(user_in "$WORK/$1.log")"
}
stop_blocker() { interrupt "$BLOCKER"; }
# Interrupted attempt as the first free user, with the stale flag set.
strand() { # $1 expr $2 tag $3 log [extra args]
    touch "$WORK/flag-$2"
    bg_build "$1" "$3" --argstr tag "$2" "${@:4}"
    wait_for "$3" 'marker: wrote-a' 120 || die "$2 never reached the sleep: $(cat "$3")"
    SUSER=$(user_in "$3"); SPATH=$(out_in "$3")
    interrupt "$BG"
    rm -f "$WORK/flag-$2"
}

phase_A() { # $1 daemon
    local d=$1 tag="ca-$NONCE" t=$SECONDS
    strand ca.nix "$tag" "$WORK/$d-A1.log"
    local a1=$SPATH
    res "$d A1 interrupted CA as $SUSER: scratch $(stat -c '%U %a' "$a1" 2>/dev/null || echo MISSING) [$(listing "$a1")] valid=$(NIX_REMOTE=daemon nix-store --check-validity "$a1" >/dev/null 2>&1 && echo yes || echo no)"
    start_blocker "blkA-$d-$NONCE"
    nb ca.nix --argstr tag "$tag" --no-out-link --debug > "$WORK/$d-A2.log" 2>&1; local rc=$?
    stop_blocker
    local out2; out2=$(result_in "$WORK/$d-A2.log")
    res "$d A2 retry as $(user_in "$WORK/$d-A2.log"): rc=$rc; builder saw $(grep -m1 -E '^d[rwx-]{9}' "$WORK/$d-A2.log" | awk '{print $3, $1}'); EACCES lines $(grep -c 'Permission denied' "$WORK/$d-A2.log"); 'removing stale scratch path' logged: $(grep -q "removing stale scratch path '$a1'" "$WORK/$d-A2.log" && echo yes || echo no); output ${out2:-none} [$( [ -n "$out2" ] && listing "$out2")]; scratch after: $(stat -c '%U %a' "$a1" 2>/dev/null || echo gone)"
    local out3=""
    if [ "$rc" != 0 ]; then
        nb ca.nix --argstr tag "$tag" --no-out-link > "$WORK/$d-A3.log" 2>&1; local rc3=$?
        out3=$(result_in "$WORK/$d-A3.log")
        res "$d A3 same-user retry as $(user_in "$WORK/$d-A3.log"): rc=$rc3 output ${out3:-none} [$( [ -n "$out3" ] && listing "$out3")]"
    fi
    nb ca.nix --argstr tag "$tag" --argstr variant clean --no-out-link > "$WORK/$d-A4.log" 2>&1
    local out4; out4=$(result_in "$WORK/$d-A4.log")
    res "$d A4 control (never interrupted): ${out4:-none} [$(listing "$out4")] narHash $(NIX_REMOTE=daemon nix path-info --json "$out4" 2>/dev/null | grep -o '"narHash":"[^"]*"')"
    if [ "$d" = debian ]; then
        expect "debian A2 wedges: rc!=0 with EACCES as nixbld2" "$([ "$rc" != 0 ] && grep -q 'Permission denied' "$WORK/$d-A2.log"; echo $?)"
        expect "debian A3 output contaminated (differs from the clean build, has 'stale')" "$([ -n "$out3" ] && [ "$out3" != "$out4" ] && [ -e "$out3/stale" ]; echo $?)"
    else
        expect "patched A2 heals: rc=0 as nixbld2, fresh dir, debug line, no 'stale', scratch gone" \
            "$([ "$rc" = 0 ] && [ "$(user_in "$WORK/$d-A2.log")" = nixbld2 ] && grep -q "removing stale scratch path" "$WORK/$d-A2.log" && [ ! -e "$out2/stale" ] && [ ! -e "$a1" ]; echo $?)"
        expect "patched A2 output equals the clean build (same CA path)" "$([ -n "$out2" ] && [ "$out2" = "$out4" ]; echo $?)"
    fi
    res "$d phase A: $((SECONDS - t)) s"
}

phase_D() {
    local d=$1 tag="mk-$NONCE" t=$SECONDS
    strand ca.nix "$tag" "$WORK/$d-D1.log" --argstr mk mkdir
    nb ca.nix --argstr tag "$tag" --argstr mk mkdir --no-out-link > "$WORK/$d-D2.log" 2>&1; local rc=$?
    local out; out=$(result_in "$WORK/$d-D2.log")
    res "$d D plain mkdir, same-user retry as $(user_in "$WORK/$d-D2.log"): rc=$rc $(grep -m1 -o 'File exists' "$WORK/$d-D2.log") output ${out:-none} [$( [ -n "$out" ] && listing "$out")] ($((SECONDS - t)) s)"
    if [ "$d" = debian ]; then expect "debian D: 'File exists' and 'stale' in the output" "$(grep -q 'File exists' "$WORK/$d-D2.log" && [ -e "$out/stale" ]; echo $?)"
    else expect "patched D: rc=0, no 'File exists', no 'stale'" "$([ "$rc" = 0 ] && ! grep -q 'File exists' "$WORK/$d-D2.log" && [ ! -e "$out/stale" ]; echo $?)"; fi
}

phase_E() {
    local d=$1 tag="dup-$NONCE" t=$SECONDS
    nb ca.nix --argstr tag "$tag" --argstr variant e1 --argstr sleepSecs 0 --no-out-link > "$WORK/$d-E1.log" 2>&1
    nb ca.nix --argstr tag "$tag" --argstr variant e2 --argstr sleepSecs 0 --no-out-link > "$WORK/$d-E2.log" 2>&1
    local o1 o2 s2; o1=$(result_in "$WORK/$d-E1.log"); o2=$(result_in "$WORK/$d-E2.log"); s2=$(out_in "$WORK/$d-E2.log")
    local left; left=$(stat -c '%U:%G %a' "$s2" 2>/dev/null || echo gone)
    res "$d E e1 -> $o1, e2 -> $o2 (same: $([ "$o1" = "$o2" ] && echo yes || echo no)); e2's scratch $s2 after its build: $left"
    local made=""
    if [ ! -e "$s2" ]; then   # recreate what Debian's 2.8 leaves there, to test the heal on its own
        mkdir "$s2" && echo junk > "$s2/junk" && chmod 444 "$s2/junk" && chmod 555 "$s2" && touch -h -d @1 "$s2" && made=" (made by hand: root 0555)"
    fi
    NIX_REMOTE=daemon nix-store --delete "$o1" > "$WORK/$d-E3.log" 2>&1
    nb ca.nix --argstr tag "$tag" --argstr variant e2 --argstr sleepSecs 0 --no-out-link --debug > "$WORK/$d-E4.log" 2>&1; local rc=$?
    res "$d E rebuild e2 as $(user_in "$WORK/$d-E4.log") over a root 0555 scratch dir$made: rc=$rc EACCES lines $(grep -c 'Permission denied' "$WORK/$d-E4.log"); 'removing stale scratch path' logged: $(grep -q 'removing stale scratch path' "$WORK/$d-E4.log" && echo yes || echo no) ($((SECONDS - t)) s)"
    if [ "$d" = debian ]; then
        expect "debian E: e2's scratch left root:root 555 (2.8 leak)" "$([ "$left" = 'root:root 555' ]; echo $?)"
        expect "debian E: rebuild fails EACCES" "$([ "$rc" != 0 ] && grep -q 'Permission denied' "$WORK/$d-E4.log"; echo $?)"
    else
        expect "patched E: e2's scratch deleted at registration (diff 0003)" "$([ "$left" = gone ]; echo $?)"
        expect "patched E: rebuild over a root 0555 scratch dir succeeds" "$([ "$rc" = 0 ] && grep -q 'removing stale scratch path' "$WORK/$d-E4.log"; echo $?)"
    fi
}

phase_G() {
    local d=$1 tag="gc-$NONCE" t=$SECONDS
    bg_build ca.nix "$WORK/$d-G1.log" --argstr tag "$tag"
    local pid=$BG
    wait_for "$WORK/$d-G1.log" 'marker: wrote-a' 120 || die "G build never reached the sleep"
    local s; s=$(out_in "$WORK/$d-G1.log")
    NIX_REMOTE=daemon nix-store --delete "$s" > "$WORK/$d-G2.log" 2>&1; local drc=$?
    local during; during=$(stat -c '%U %a' "$s" 2>/dev/null || echo gone)
    wait "$pid"; local rc=$?
    local keep=() p; for p in "${BG_PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done; BG_PIDS=("${keep[@]}")
    res "$d G nix-store --delete <scratch> during the build: rc=$drc ($(tr '\n' ' ' < "$WORK/$d-G2.log" | cut -c1-120)); scratch then: $during; build rc=$rc ($(grep -m1 -oE 'Directory nonexistent|No such file or directory|failed to produce output path|exit code [0-9]+' "$WORK/$d-G1.log")) ($((SECONDS - t)) s)"
    if [ "$d" = debian ]; then expect "debian G: delete removes the running build's scratch, build fails" "$([ "$during" = gone ] && [ "$rc" != 0 ]; echo $?)"
    else expect "patched G: delete refused (temp root), build succeeds" "$([ "$drc" != 0 ] && [ "$during" != gone ] && [ "$rc" = 0 ]; echo $?)"; fi
}

phase_B() {
    local d=$1 tag="ia-$NONCE" t=$SECONDS
    strand ia.nix "$tag" "$WORK/$d-B1.log"
    start_blocker "blkB-$d-$NONCE"
    nb ia.nix --argstr tag "$tag" --no-out-link --debug > "$WORK/$d-B2.log" 2>&1; local rc=$?
    stop_blocker
    local out; out=$(result_in "$WORK/$d-B2.log")
    res "$d B IA retry as $(user_in "$WORK/$d-B2.log"): rc=$rc 'removing invalid path' $(grep -q 'removing invalid path' "$WORK/$d-B2.log" && echo yes || echo no) output [$(listing "$out")] ($((SECONDS - t)) s)"
    expect "$d B: IA retry succeeds without 'stale'" "$([ "$rc" = 0 ] && [ ! -e "$out/stale" ]; echo $?)"
}

for d in debian patched; do
    [ "$WHICH" = both ] || [ "$WHICH" = "$d" ] || continue
    NONCE=$(date +%s)-$$-$d
    TD=$SECONDS
    say "== $d daemon (nonce $NONCE)"
    start_daemon "$d"
    res "$d daemon: $(readlink -f /proc/$DAEMON_PID/exe) $(NIX_REMOTE=daemon nix store ping 2>&1 | tr '\n' ' ')"
    phase_A "$d"; phase_D "$d"; phase_E "$d"; phase_G "$d"; phase_B "$d"
    stop_daemon
    res "$d all phases: $((SECONDS - TD)) s"
done
res "total $((SECONDS - T0)) s; unexpected: $FAILS"
[ "$FAILS" = 0 ] && exit 0 || exit 3
