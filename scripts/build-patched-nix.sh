#!/usr/bin/env bash
# build-patched-nix.sh: build Debian's nix 2.8.0 source package with the
# project's backport diffs (patches/backport/nix-2.8/*.diff) for issue #8, and
# print the directory of the patched binaries on the last line of stdout.
#
# Nothing is installed: the binary runs from its build tree (its RUNPATH
# points at the in-tree libraries). Never `make install` this build: it is
# configured with --prefix=/usr and would overwrite Debian's nix-bin.
#
# What it does, each step skipped when already done:
#   1. adds a deb-src entry for bookworm main
#      (/etc/apt/sources.list.d/nix-outpath-lab-debsrc.sources) if no deb-src
#      for bookworm main is configured
#   2. `apt-get source --download-only nix` into $CACHE/src, and
#      `apt-get build-dep -y nix` if dpkg-checkbuilddeps reports unmet deps
#   3. key = sha256 over (the .dsc, every backport diff in name order, this
#      script); if $CACHE/build-<key>/ok exists it reuses that build
#   4. otherwise: dpkg-source -x (Debian's quilt patches), patch -p1 each diff,
#      autoreconf -vfi, ./configure with debian/rules' flags + --disable-doc-gen,
#      compiles the objects the diffs touch first (fail fast), then
#      `nice -n 10 make -j$(nproc) src/nix/nix` with a progress line every 30 s
#      (full log: $CACHE/build-<key>/build.log)
#   5. creates $CACHE/build-<key>/run/bin/{nix,nix-daemon,...} and
#      run/libexec/nix/build-remote, all symlinks to src/nix/nix (2.8 has one
#      binary that dispatches on argv[0]), writes ok and build-time.txt
#
# A build that stopped half way (same key) is resumed: make is incremental.
# Another run of this script waits on $CACHE/build.lock.
#
# Usage:  scripts/build-patched-nix.sh [--print-key]
# Env:    NIX_PATCHED_CACHE   cache folder (default /var/cache/nix-outpath-lab/nix-2.8)
#         NIX_PATCHED_JOBS    make -j (default: nproc)
# Output: progress on stderr; the last line of stdout is the bin dir
#         ($CACHE/build-<key>/run/bin). Exit 0 = bin dir usable.
# Run as root (apt-get, and the daemon later runs as root from this tree).

set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT")/.." && pwd)
PATCH_DIR=$REPO/patches/backport/nix-2.8
CACHE=${NIX_PATCHED_CACHE:-/var/cache/nix-outpath-lab/nix-2.8}
JOBS=${NIX_PATCHED_JOBS:-$(nproc)}
DEBSRC_FILE=/etc/apt/sources.list.d/nix-outpath-lab-debsrc.sources
T0=$SECONDS

log() { printf '[build-patched-nix %4ss] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }

shopt -s nullglob
DIFFS=("$PATCH_DIR"/*.diff)
shopt -u nullglob
[ "${#DIFFS[@]}" -gt 0 ] || die "no backport diffs in $PATCH_DIR"

dsc_file() { local f; for f in "$CACHE"/src/nix_*.dsc; do [ -f "$f" ] && { echo "$f"; return 0; }; done; return 1; }

compute_key() { # sha256 over a manifest: one "<sha256>  <role>/<name>" line per input
    {
        printf '%s  dsc/%s\n' "$(sha256sum < "$1" | cut -d' ' -f1)" "$(basename "$1")"
        local d
        for d in "${DIFFS[@]}"; do
            printf '%s  diff/%s\n' "$(sha256sum < "$d" | cut -d' ' -f1)" "$(basename "$d")"
        done
        printf '%s  script/%s\n' "$(sha256sum < "$SCRIPT" | cut -d' ' -f1)" "$(basename "$SCRIPT")"
    } | tee "$CACHE/.manifest.tmp" | sha256sum | cut -c1-16
}

# ------------------------------------------------------------ 1. deb-src ----
have_debsrc() {
    # a deb-src for bookworm main in any one-line .list or deb822 .sources file
    grep -hsE '^deb-src .*debian(/)? +bookworm +.*main' /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN{RS=""} /Types:[^\n]*deb-src/ && /Suites:[^\n]*bookworm( |\n|$)/ && /Components:[^\n]*main/ {found=1} END{exit !found}' "$f" && return 0
    done
    return 1
}

ensure_source() {
    mkdir -p "$CACHE/src"
    if dsc_file >/dev/null; then return 0; fi
    [ "$(id -u)" = 0 ] || die "run as root (apt-get source/build-dep)"
    if ! have_debsrc; then
        log "adding $DEBSRC_FILE (deb-src bookworm main)"
        cat > "$DEBSRC_FILE" <<'EOF'
# Added by nix-outpath-lab scripts/build-patched-nix.sh (issue #8): Debian source packages
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    log "apt-get update"
    apt_get update > "$CACHE/apt-update.log" 2>&1 || die "apt-get update failed ($CACHE/apt-update.log)"
    log "apt-get source --download-only nix -> $CACHE/src"
    (cd "$CACHE/src" && apt_get source --download-only nix) > "$CACHE/apt-source.log" 2>&1 \
        || die "apt-get source failed ($CACHE/apt-source.log)"
    dsc_file >/dev/null || die "no nix_*.dsc in $CACHE/src after apt-get source"
}

ensure_build_deps() { # $1 = extracted source tree (for debian/control)
    if (cd "$1" && dpkg-checkbuilddeps) > "$CACHE/checkbuilddeps.log" 2>&1; then return 0; fi
    [ "$(id -u)" = 0 ] || die "build dependencies missing and not root: $(cat "$CACHE/checkbuilddeps.log")"
    log "apt-get build-dep -y nix (unmet: $(sed 's/.*Unmet build dependencies: //' "$CACHE/checkbuilddeps.log" | head -c 200))"
    local t=$SECONDS
    apt_get build-dep -y nix > "$CACHE/build-dep.log" 2>&1 || die "apt-get build-dep failed ($CACHE/build-dep.log)"
    log "build-dep done in $((SECONDS - t)) s"
    (cd "$1" && dpkg-checkbuilddeps) || die "build dependencies still unmet after apt-get build-dep"
}

# ------------------------------------------------------------- main ---------
mkdir -p "$CACHE"
ensure_source
DSC=$(dsc_file)
KEY=$(compute_key "$DSC")
BUILD=$CACHE/build-$KEY
BIN=$BUILD/run/bin
if [ "${1:-}" = --print-key ]; then echo "$KEY"; rm -f "$CACHE/.manifest.tmp"; exit 0; fi

usable() { [ -f "$BUILD/ok" ] && [ -x "$BUILD/tree/src/nix/nix" ] && "$BIN/nix" --version >/dev/null 2>&1; }

if usable; then
    log "reusing $BUILD (key $KEY; $(cat "$BUILD/build-time.txt" 2>/dev/null | head -1))"
    rm -f "$CACHE/.manifest.tmp"
    echo "$BIN"
    exit 0
fi

exec 9> "$CACHE/build.lock"
if ! flock -n 9; then
    log "another build holds $CACHE/build.lock; waiting"
    flock 9
fi
if usable; then log "built meanwhile by another run"; rm -f "$CACHE/.manifest.tmp"; echo "$BIN"; exit 0; fi

mkdir -p "$BUILD"
mv "$CACHE/.manifest.tmp" "$BUILD/key-manifest.txt"
echo "$KEY" > "$BUILD/key"
TREE=$BUILD/tree
BLOG=$BUILD/build.log
log "key $KEY (sha256 of $BUILD/key-manifest.txt, first 16 hex digits)"

if [ ! -f "$BUILD/configured" ]; then
    rm -rf "$TREE"
    log "dpkg-source -x $(basename "$DSC") (applies Debian's quilt patches)"
    dpkg-source -x "$DSC" "$TREE" > "$BUILD/extract.log" 2>&1 || die "dpkg-source -x failed ($BUILD/extract.log)"
    for d in "${DIFFS[@]}"; do
        log "patch -p1 < $(basename "$d")"
        (cd "$TREE" && patch -p1 --forward --no-backup-if-mismatch < "$d") >> "$BUILD/patch.log" 2>&1 \
            || die "$(basename "$d") does not apply ($BUILD/patch.log)"
    done
    ensure_build_deps "$TREE"
    log "autoreconf -vfi"
    (cd "$TREE" && autoreconf -vfi) > "$BUILD/autoreconf.log" 2>&1 || die "autoreconf failed ($BUILD/autoreconf.log)"
    # As debian/rules: Debian has no libeditline; readline stands in.
    # (--with-coreutils-bin from debian/rules is dropped: 2.8's configure does not know it.)
    MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    export EDITLINE_CFLAGS="-DREADLINE"
    export EDITLINE_LIBS="/usr/lib/$MA/libhistory.so /usr/lib/$MA/libreadline.so"
    log "./configure (debian/rules flags + --disable-doc-gen)"
    (cd "$TREE" && ./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/nix/var \
        --libdir=/usr/lib/nix --enable-gc --disable-doc-gen) > "$BUILD/configure.log" 2>&1 \
        || die "configure failed ($BUILD/configure.log)"
    touch "$BUILD/configured"
else
    log "resuming the build in $TREE (configured earlier; make is incremental)"
    ensure_build_deps "$TREE"
fi

# Objects the diffs touch, compiled first so that a broken diff fails in
# about a minute rather than after the whole build.
FIRST=()
for d in "${DIFFS[@]}"; do
    while read -r f; do
        case "$f" in *.cc) FIRST+=("${f%.cc}.o") ;; esac
    done < <(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$d")
done
FIRST=($(printf '%s\n' "${FIRST[@]}" | sort -u))

TOTAL=$(cd "$TREE" && { find src -name '*.cc' ! -path '*/tests/*' ! -path '*/resolve-system-dependencies/*' ! -name '*-tab.cc'; \
    find src -name '*.y' -o -name '*.l'; } | wc -l)
count_objs() { find "$TREE/src" -name '*.o' ! -path '*/tests/*' 2>/dev/null | wc -l; }

MT0=$SECONDS
echo "== $(date -Is) make start (jobs $JOBS, key $KEY)" >> "$BLOG"
export V=1
set -m   # the make job gets its own process group, so that it can be stopped as a whole
(
    cd "$TREE"
    if [ "${#FIRST[@]}" -gt 0 ]; then nice -n 10 make -j"$JOBS" "${FIRST[@]}" || exit; fi
    nice -n 10 make -j"$JOBS" src/nix/nix
) >> "$BLOG" 2>&1 &
MAKE_PID=$!
set +m
trap 'kill -TERM -- "-$MAKE_PID" 2>/dev/null; exit 130' INT TERM
log "make ${FIRST[*]} then src/nix/nix (PID $MAKE_PID, log $BLOG)"
while kill -0 "$MAKE_PID" 2>/dev/null; do
    for _ in $(seq 1 30); do kill -0 "$MAKE_PID" 2>/dev/null || break; sleep 1; done
    kill -0 "$MAKE_PID" 2>/dev/null && log "progress: $(count_objs)/$TOTAL objects, make running $((SECONDS - MT0)) s"
done
set +e; wait "$MAKE_PID"; MRC=$?; set -e
trap - INT TERM
MAKE_SECS=$((SECONDS - MT0))
echo "== $(date -Is) make rc=$MRC after ${MAKE_SECS}s" >> "$BLOG"
[ "$MRC" = 0 ] || { tail -20 "$BLOG" >&2; die "make failed (rc $MRC), see $BLOG"; }
log "make done in $MAKE_SECS s ($(count_objs)/$TOTAL objects)"

rm -rf "$BUILD/run"
mkdir -p "$BIN" "$BUILD/run/libexec/nix"
for n in nix nix-daemon nix-build nix-store nix-instantiate nix-env nix-collect-garbage nix-channel nix-shell nix-copy-closure nix-hash nix-prefetch-url; do
    ln -sfn "$TREE/src/nix/nix" "$BIN/$n"
done
ln -sfn "$TREE/src/nix/nix" "$BUILD/run/libexec/nix/build-remote"

VERSION=$("$BIN/nix" --version) || die "$BIN/nix --version failed"
readelf -d "$TREE/src/nix/nix" | grep -q "RUNPATH.*$TREE/src/libstore" || die "src/nix/nix has no in-tree RUNPATH"
{
    echo "make src/nix/nix: ${MAKE_SECS}s wall (jobs $JOBS, this run; 0 s means resumed and up to date)"
    echo "script total: $((SECONDS - T0))s"
    echo "finished: $(date -Is)"
    echo "version: $VERSION"
    echo "diffs: $(for d in "${DIFFS[@]}"; do basename "$d"; done | tr '\n' ' ')"
} > "$BUILD/build-time.txt"
touch "$BUILD/ok"
log "ok: $VERSION; $(head -1 "$BUILD/build-time.txt")"
echo "$BIN"
