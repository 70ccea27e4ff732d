#!/usr/bin/env bash
# The README's first command, ./run.sh, on a truly fresh Debian 12 system.
#
# What it proves: on a minimal Debian 12 (bookworm) root -- debootstrap --variant=minbase,
# so no compiler, no cmake, no -dev package -- `./run.sh` run as root installs what it
# needs through scripts/deps.sh build (apt-get update and install inside that root),
# builds, runs the live demo (gantryd + gantry-agent + the CLI on loopback) and the
# simulator replays, and exits 0 with the demo's and the simulator's key lines.
# Why: CI machines and developers' ones already have most packages, so a package missing
# from deps.sh's build list stays invisible there (test_quickstart_deps.sh checks
# pkg-config modules only; this runs the whole thing from nothing).
#
# How: a temporary root from debootstrap (or from its cached tarball), the checkout's
# tracked and untracked-but-not-ignored files copied to /src in it, /proc, /sys (with
# /sys/fs/cgroup, which the agent uses for its per-unit cgroups), /dev and /dev/pts
# mounted, /etc/resolv.conf and this machine's apt network settings (proxy, date checks)
# copied, then `chroot ROOT /bin/bash -c 'cd /src && ./run.sh'` with a clean environment.
# Everything is undone on exit, failure or interrupt: processes left in the root are
# killed, mounts unmounted (lazily as a fallback), the temporary folder removed.
#
# Cost (measured on a 2-core VM with a nearby mirror): the first run makes the root with
# debootstrap (35-65 s, about 200 MB) and takes about 2 minutes in all; a cached run unpacks
# the tarball (5 s) and takes about 1.3 minutes, nearly all of it run.sh itself (apt-get
# install of the build packages, the build, the demo, the replays: 55-75 s); cleanup 2-5 s.
# A slow mirror or machine makes both longer. Needs about 1.5 GB of disk.
#
# Cache: /var/cache/gantry-test/bookworm-minbase-ARCH-KEY.tar, KEY a hash of the
# debootstrap arguments (suite, variant, arch, mirror); rebuilt when older than
# GANTRY_TEST_CACHE_DAYS days (30). The log of the last run.sh goes next to it
# (last-run.log).
#
# Usage (as root): tests/system/fresh_debian.sh
# Exit: 0 all checks passed, 1 a check failed, 77 skipped (not root, no debootstrap, no
# mirror). Environment: GT_SRC (the checkout; default: this script's), GANTRY_TEST_CACHE
# (the cache folder), GANTRY_TEST_CACHE_DAYS, GANTRY_TEST_REFRESH=1 (rebuild the tarball),
# GANTRY_TEST_MIRROR and GANTRY_TEST_SECURITY_MIRROR (default: this machine's apt sources
# for bookworm, else deb.debian.org), GANTRY_TEST_TIMEOUT (seconds for run.sh, 1800).
# SC2015: `check && pass .. || fail ..` is meant (pass and fail always succeed);
# SC2016: '${Status}' is dpkg-query's format, not the shell's.
# shellcheck disable=SC2015,SC2016
set -uo pipefail

suite=bookworm variant=minbase
src=${GT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
cache_dir=${GANTRY_TEST_CACHE:-/var/cache/gantry-test}
cache_days=${GANTRY_TEST_CACHE_DAYS:-30}
limit=${GANTRY_TEST_TIMEOUT:-1800}

skip() { echo "SKIP: $*"; exit 77; }
fails=0 passes=0
pass() { echo "PASS $*"; passes=$((passes + 1)); }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
info() { echo "  -- $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot and mounts)"
command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "not a Debian system (no dpkg/apt-get)"
[ -x "$src/run.sh" ] || { echo "FAIL no executable run.sh in $src"; exit 1; }
arch=$(dpkg --print-architecture)

# --- Cleanup: always, on exit, failure or interrupt ----------------------------------
tmp="" root="" bg=""
# Processes whose root directory is inside the chroot (the demo's daemons, jobs, apt).
chroot_pids() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$root" ] || [ "${r#"$root"/}" != "$r" ] && echo "${p#/proc/}"
  done
}
# Mount points at or below the root, deepest first (mountinfo field 5, octal escapes kept:
# the temporary path has no spaces).
chroot_mounts() {
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}
cleanup() {
  local rc=$? i p m stray t=$SECONDS
  trap - EXIT INT TERM HUP
  [ -n "$bg" ] && { kill -9 "$bg" && wait "$bg"; } 2>/dev/null
  if [ -n "$root" ] && [ -d "$root" ]; then
    for i in 1 2 3 4 5; do
      mapfile -t stray < <(chroot_pids)
      [ ${#stray[@]} -eq 0 ] && break
      [ "$i" -eq 1 ] && echo "cleanup: killing ${#stray[@]} process(es) left in the chroot: ${stray[*]}"
      for p in "${stray[@]}"; do kill -9 "$p" 2>/dev/null; done
      sleep 0.5
    done
    for m in $(chroot_mounts); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "cleanup: cannot unmount $m"
    done
  fi
  if [ -n "$tmp" ] && [ -d "$tmp" ]; then
    if [ -n "$root" ] && [ -n "$(chroot_mounts)" ]; then
      echo "cleanup: mounts left under $root, NOT removing $tmp:"; chroot_mounts
    else
      rm -rf --one-file-system "$tmp"
    fi
    echo "== cleaned up in $((SECONDS - t))s (exit $rc)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM HUP

# run_bg LOG CMD...: run CMD in the background with its output in LOG and wait for it, so
# that an interrupt reaches the trap at once instead of after CMD ends.
run_bg() {
  local log=$1 rc
  shift
  "$@" >"$log" 2>&1 &
  bg=$!
  wait "$bg"
  rc=$?
  bg=""
  return "$rc"
}

# --- Mirror and proxy, as this machine's apt reaches Debian ---------------------------
# The first URI of the apt sources (deb822 .sources or one-line .list) serving SUITE.
apt_uri() {
  local want=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed 's/\[[^]]*\]//' "$f" | awk -v s="$want" '$1 == "deb" && $3 == s { print $2; exit }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$want" '
      function flush() { if (ok && uri != "" && en != "no") print uri; ok = 0; uri = ""; en = "" }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "enabled:" { en = tolower($2) }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
      END { flush() }' "$f"
  done
}
mirror=${GANTRY_TEST_MIRROR:-$(apt_uri "$suite" | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
security=${GANTRY_TEST_SECURITY_MIRROR:-$(apt_uri "$suite-security" | head -1)}
security=${security:-http://deb.debian.org/debian-security}
security=${security%/}
# A proxy in apt's configuration is also what debootstrap (wget) and the check below need.
hp="" hsp=""
eval "$(apt-config shell hp Acquire::http::Proxy hsp Acquire::https::Proxy 2>/dev/null)"
case "$hp" in "" | DIRECT | false) ;; *) export http_proxy=${http_proxy:-$hp} ;; esac
case "$hsp" in "" | DIRECT | false) ;; *) export https_proxy=${https_proxy:-$hsp} ;; esac
echo "== fresh Debian $suite ($variant, $arch) from $mirror${http_proxy:+ via proxy $http_proxy}"

fetch() { # URL: succeeds when the URL answers
  if command -v curl >/dev/null; then
    curl -fsS --max-time 30 -o /dev/null "$1"
  elif command -v wget >/dev/null; then
    wget -q -T 30 -t 1 -O /dev/null "$1"
  else
    return 2 # no client yet: debootstrap (which brings wget) or apt will tell
  fi
}
fetch "$mirror/dists/$suite/Release"
case $? in 0 | 2) ;; *) skip "the Debian mirror $mirror is unreachable ($mirror/dists/$suite/Release)" ;; esac

# --- The fresh root: from the cached tarball, or debootstrap then cache it ------------
key=$(printf '%s\n' "$suite" "$variant" "$arch" "$mirror" | sha256sum | cut -c1-12)
tarball=$cache_dir/$suite-$variant-$arch-$key.tar
mkdir -p "$cache_dir" || skip "cannot create the cache folder $cache_dir"
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/gantry-fresh.XXXXXX") || { echo "FAIL mktemp"; exit 1; }
root=$tmp/root
mkdir -m 755 "$root"

t0=$SECONDS
fresh_tar=0
if [ "${GANTRY_TEST_REFRESH:-0}" != 1 ] && [ -s "$tarball" ] &&
  [ -z "$(find "$tarball" -mtime +"$cache_days" 2>/dev/null)" ]; then
  echo "== root from the cached $tarball"
  tar -C "$root" --numeric-owner -xpf "$tarball" || { echo "FAIL unpacking $tarball"; exit 1; }
else
  if ! command -v debootstrap >/dev/null; then
    echo "== installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
      >"$tmp/apt.log" 2>&1 || { tail -5 "$tmp/apt.log"; skip "debootstrap cannot be installed"; }
  fi
  fetch "$mirror/dists/$suite/Release" || skip "the Debian mirror $mirror is unreachable"
  keyring=()
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
    keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  echo "== debootstrap --variant=$variant --arch=$arch $suite (a few minutes; cached after)"
  if ! run_bg "$tmp/debootstrap.log" debootstrap --variant="$variant" --arch="$arch" \
    "${keyring[@]}" "$suite" "$root" "$mirror"; then
    echo "FAIL debootstrap; the end of its log:"
    tail -20 "$tmp/debootstrap.log"
    tail -20 "$root/debootstrap/debootstrap.log" 2>/dev/null
    exit 1
  fi
  # debootstrap unmounts what it mounted; make sure, before the root is archived.
  for m in $(chroot_mounts); do [ "$m" != "$root" ] && umount -l "$m"; done
  tar -C "$root" --numeric-owner -cpf "$tarball.tmp.$$" . && mv "$tarball.tmp.$$" "$tarball" ||
    { rm -f "$tarball.tmp.$$"; echo "warning: could not cache the root in $tarball"; }
  printf 'debootstrap --variant=%s --arch=%s %s ROOT %s\ncreated %s\n' \
    "$variant" "$arch" "$suite" "$mirror" "$(date -u +%FT%TZ)" >"$tarball.args"
  fresh_tar=1
fi
chmod 755 "$root" # the demo's jobs run as nobody, who must traverse /
t_root=$((SECONDS - t0))
info "root ready in ${t_root}s ($([ $fresh_tar = 1 ] && echo debootstrap || echo cached tarball))"

# --- Configure it as a freshly installed Debian 12 on this network --------------------
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
EOF
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# This machine's apt network settings (a proxy; Check-Valid-Until/Check-Date where its
# mirror or clock need them): they change how apt reaches a mirror, not what it installs.
for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && grep -qiE 'proxy|Check-Valid-Until|Check-Date' "$f" &&
    cp "$f" "$root$f" && info "apt setting copied: $f"
done

# The checkout: tracked and untracked-but-not-ignored files (no build/ nor out/).
mkdir -p "$root/src"
if git -c safe.directory='*' -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -c safe.directory='*' -C "$src" ls-files -z -co --exclude-standard |
    (cd "$src" && while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done) |
    tar -C "$src" --null -T - -cf - | tar -C "$root/src" -xpf -
else
  tar -C "$src" --exclude='./build*' --exclude=./out --exclude-vcs -cf - . | tar -C "$root/src" -xpf -
fi
[ -x "$root/src/run.sh" ] && pass "checkout copied to /src ($(find "$root/src" -type f | wc -l) files)" ||
  { fail "the checkout was not copied to $root/src"; exit 1; }

# Fresh indeed: the build packages of scripts/deps.sh are (mostly) not there.
mapfile -t build_pkgs < <(bash "$src/scripts/deps.sh" --list build)
missing=0
for p in "${build_pkgs[@]}"; do
  chroot "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing=$((missing + 1))
done
if [ "$missing" -gt 0 ]; then
  pass "the fresh root lacks $missing of the ${#build_pkgs[@]} packages of 'deps.sh build'"
else
  fail "the root already has every build package: it proves nothing"
fi

# --- Mounts the build and the demo need -------------------------------------------------
# /proc: a fresh one. /sys and /dev: recursive binds (with /sys/fs/cgroup's hierarchies,
# which the agent's per-unit cgroups use, and /dev/pts, /dev/shm), made slaves so that
# unmounting them never propagates back to this machine's own mounts.
mount -t proc proc "$root/proc" || { fail "mount /proc"; exit 1; }
for d in sys dev; do
  mount --rbind "/$d" "$root/$d" && mount --make-rslave "$root/$d" || { fail "mount /$d"; exit 1; }
done
[ -d /dev/pts ] && ! mountpoint -q "$root/dev/pts" && mount -t devpts devpts "$root/dev/pts"
if [ -d /sys/fs/cgroup ]; then
  mountpoint -q "$root/sys/fs/cgroup" || mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
  info "cgroups: $(stat -f -c %T /sys/fs/cgroup) at /sys/fs/cgroup"
fi
info "$(chroot_mounts | wc -l) mounts under the root"

# --- ./run.sh, as root, in a clean environment -------------------------------------------
echo "== chroot ROOT /bin/bash -c 'cd /src && ./run.sh'  (limit ${limit}s)"
log=$tmp/run.log
# GANTRY_NODE: the demo's node is "local" whatever the host is called (it takes the host's name).
env_in=(GANTRY_NODE=local HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
[ -n "${http_proxy:-}" ] && env_in+=("http_proxy=$http_proxy")
[ -n "${https_proxy:-}" ] && env_in+=("https_proxy=$https_proxy")
t1=$SECONDS
run_bg "$log" timeout -k 30 "$limit" env -i "${env_in[@]}" chroot "$root" /bin/bash -c 'cd /src && ./run.sh'
rc=$?
t_run=$((SECONDS - t1))
cp "$log" "$cache_dir/last-run.log" 2>/dev/null
sed 's/^/  | /' "$log"
info "run.sh took ${t_run}s (log: $cache_dir/last-run.log)"

# --- Checks -------------------------------------------------------------------------------
if [ "$rc" -eq 0 ]; then pass "./run.sh exited 0"
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then fail "./run.sh timed out after ${limit}s"
else fail "./run.sh exited $rc"
fi
grep -q '^deps: installing ' "$log" && pass "deps.sh installed packages in the fresh root" ||
  fail "no 'deps: installing' line: deps.sh did not install anything"
still=()
for p in "${build_pkgs[@]}"; do
  chroot "$root" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || still+=("$p")
done
[ ${#still[@]} -eq 0 ] && pass "every package of 'deps.sh build' is installed" ||
  fail "not installed after run.sh: ${still[*]}"
want=(
  # scripts/demo.sh: the daemons, the node, the jobs, the summary, the clean shutdown
  "== gantryd on http://127.0.0.1:"
  "local  up "
  "== submitted: train (job "
  "train: completed"
  "tasks: completed (12 done, 0 running of 12)"
  "rank 3/4 on GPU 3: step 6"
  "jobs: pending 0, running 0, completed 2, failed 0, cancelled 1"
  "== stopped gantryd and gantry-agent"
  # run.sh: the two simulator replays and their one-line explanations
  "== replay of examples/traces/itp-cluster04-1500.csv"
  "why: FIFO lets a big gang at the head block everyone"
  "== synthetic mixed workload"
  "why: gantry starts high-priority jobs first"
  "charts (one line per policy):"
)
for w in "${want[@]}"; do
  grep -qF -- "$w" "$log" && pass "line '$w'" || fail "no line '$w' in run.sh's output"
done
# "nan" or empty figures in the why: lines would mean the table rows were not found.
whys=$(grep '^why:' "$log")
if [ "$(grep -c '[0-9]\.[0-9]* h' <<<"$whys")" -ge 2 ] && ! grep -qiw -e nan -e inf <<<"$whys"; then
  pass "both why: lines carry figures"
else
  fail "the why: lines lack figures: ${whys:-none}"
fi
grep -q 'gantryd: stopped' "$root/src/out/demo/gantryd.log" 2>/dev/null &&
  pass "gantryd stopped cleanly (out/demo/gantryd.log)" || fail "gantryd.log has no 'gantryd: stopped'"
sed -n 's/^gantry-agent: \(isolation: .*\)/\1/p' "$root/src/out/demo/agent.log" 2>/dev/null |
  head -1 | while IFS= read -r l; do info "agent in the chroot: $l"; done
for f in out/itp/utilisation.svg out/itp/jct-cdf.svg out/synth/utilisation.svg out/synth/jct-cdf.svg; do
  [ -s "$root/src/$f" ] && pass "chart $f" || fail "no chart $f"
done
left=$(chroot_pids | wc -l)
[ "$left" -eq 0 ] && pass "no process left running in the chroot" ||
  fail "$left process(es) left running in the chroot after run.sh: $(chroot_pids | tr '\n' ' ')"

echo
echo "== timings: root ${t_root}s ($([ $fresh_tar = 1 ] && echo "debootstrap, now cached in $tarball" || echo "cached $tarball")), run.sh ${t_run}s, total $((SECONDS))s"
echo "== fresh_debian: $passes passed, $fails failed"
[ "$fails" -eq 0 ] && exit 0 || exit 1
