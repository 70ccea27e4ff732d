#!/usr/bin/env bash
# gantry installed as docs/operations.md says, without installing anything on this machine:
#  1. the Debian package: `dpkg-buildpackage -us -uc -b` in a clean copy of the tree (the
#     files git knows, tracked or not ignored); lintian reports no error (its warnings are
#     printed); Build-Depends names every package of `scripts/deps.sh build` but the
#     compiler's (build-essential);
#  2. its files, extracted with `dpkg-deb -x` into a temporary root: the programs, their
#     manual pages (compressed, as Debian has them; man renders each without a warning)
#     and gantry's bash and zsh completion, the units (systemd-analyze verify finds
#     nothing to say, where it is installed), the settings; lintian says no-manual-page
#     of none of the programs;
#  3. gantryd and gantry-agent run from there with the exact command lines of the installed
#     units (ExecStart with Environment= and EnvironmentFile= expanded, lib/unit_cmd.py; a
#     clean environment, cwd /, NOTIFY_SOCKET and JOURNAL_STREAM as systemd sets them; the
#     paths under the temporary root, the state directories in it), after the operator's
#     steps: the listen address in gantryd.yaml, the controller's URL in gantry-agent.env,
#     the node token copied from the controller's data directory to /etc/gantry/node.token.
#     gantryd is ready when /healthz answers; the agent when its node is up (the installed
#     gantry with the admin token from the data directory); a job runs to completion; both
#     stop on SIGTERM (STOPPING=1, exit 0);
#  4. `cmake --install` of GT_BIN into a DESTDIR: exactly the programs, the manual pages,
#     the completion scripts, the units and the settings, the units naming the installed
#     paths; a --prefix at install time is refused.
# Skipped (77), saying why: a sanitizer build (the package builds its own release), not
# root, packages missing (scripts/deps.sh test installs them), no git checkout.
# About a minute on 2 cores (42-80 s measured), nearly all of it dpkg-buildpackage and lintian.
source "$(dirname "$0")/lib/cluster.sh"
skip() {
  echo "SKIP: $*"
  exit 77
}
grep -q '^GT_SANITIZE:BOOL=ON' "$GT_BIN/CMakeCache.txt" 2>/dev/null &&
  skip "a sanitizer build (the package builds its own release build; the release suite runs this)"
[ "$(id -u)" = 0 ] || skip "not root (the agent runs jobs as root does: cgroups, the job's user)"
missing=()
for c in dpkg-buildpackage dpkg-checkbuilddeps dh lintian dpkg-deb git python3 curl; do
  command -v "$c" >/dev/null || missing+=("$c")
done
[ ${#missing[@]} -eq 0 ] || skip "missing ${missing[*]} (scripts/deps.sh test installs them)"
git -C "$GT_SRC" rev-parse --git-dir >/dev/null 2>&1 || skip "$GT_SRC is not a git checkout"
cluster_init package
t0=$SECONDS
lap() { # NAME: the seconds since the last lap
  echo "test_package: $1 took $((SECONDS - t0)) s"
  t0=$SECONDS
}

# ---- 1. the package, from a clean copy of the tree -----------------------------------------
mkdir -p "$T/src"
(cd "$GT_SRC" && git ls-files -co --exclude-standard -z |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf -) | tar -xf - -C "$T/src"
(cd "$T/src" && dpkg-checkbuilddeps) >"$T/builddeps.out" 2>&1 ||
  skip "build dependencies missing: $(cat "$T/builddeps.out") (scripts/deps.sh test installs them)"
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=$(nproc 2>/dev/null || echo 2)}
check "dpkg-buildpackage -us -uc -b succeeds" \
  "cd '$T/src' && dpkg-buildpackage -us -uc -b >'$T/build.out' 2>&1 || { tail -30 '$T/build.out'; false; }"
deb=$(ls "$T"/gantry_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "FAIL no gantry_*.deb"; fails=$((fails + 1)); finish; }
lap "dpkg-buildpackage"
lintian "$T"/gantry_*.changes >"$T/lintian.out" 2>&1
check "lintian reports no errors" "! grep '^E:' '$T/lintian.out'"
check "lintian finds a manual page for every program" "! grep -E 'no-manual-page|manpage-has' '$T/lintian.out'"
grep '^W:' "$T/lintian.out" | sed 's/^/test_package: lintian: /'
lap "lintian"
mapfile -t build_pkgs < <("$GT_SRC/scripts/deps.sh" --list build)
deps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$GT_SRC/debian/control" | tr ',' '\n' |
  sed 's/^Build-Depends://; s/(.*//; s/ //g')
for p in "${build_pkgs[@]}"; do
  case $p in gcc | libc6-dev | make) continue ;; esac # build-essential
  check "Build-Depends names $p (scripts/deps.sh build)" "grep -qx '$p' <<<'$deps'"
done
check "Build-Depends names debhelper-compat and libsystemd-dev" \
  "grep -qx debhelper-compat <<<'$deps' && grep -qx libsystemd-dev <<<'$deps'"

# ---- 2. its files --------------------------------------------------------------------------
R=$T/root
dpkg-deb -x "$deb" "$R"
for f in usr/bin/gantryd usr/bin/gantry-agent usr/bin/gantry-shim usr/bin/gantry \
  usr/bin/gantry-sim lib/systemd/system/gantryd.service lib/systemd/system/gantry-agent.service \
  etc/gantry/gantryd.yaml etc/gantry/gantry-agent.env usr/share/doc/gantry/copyright \
  usr/share/man/man1/gantry.1.gz usr/share/man/man1/gantry-sim.1.gz \
  usr/share/man/man8/gantryd.8.gz usr/share/man/man8/gantry-agent.8.gz \
  usr/share/man/man8/gantry-shim.8.gz \
  usr/share/bash-completion/completions/gantry usr/share/zsh/vendor-completions/_gantry; do
  check "the package holds /$f" "test -s '$R/$f'"
done
if command -v man >/dev/null; then
  for m in "$R"/usr/share/man/man*/*.gz; do
    check "man renders the packaged $(basename "$m") without a warning" \
      "out=\$(MANWIDTH=80 man --warnings -l '$m' 2>&1 >/dev/null) && [ -z \"\$out\" ]"
  done
fi
check "the packaged bash completion is the installed gantry's own" \
  "cmp -s <('$R/usr/bin/gantry' completion bash) '$R/usr/share/bash-completion/completions/gantry'"
check "the package holds nothing of the tests or benchmarks" \
  "! dpkg-deb -c '$deb' | grep -E 'test_|bench|fuzz|examples/traces'"
check "gantryd.yaml and gantry-agent.env are conffiles" \
  "dpkg-deb -I '$deb' conffiles | grep -qx /etc/gantry/gantryd.yaml && dpkg-deb -I '$deb' conffiles | grep -qx /etc/gantry/gantry-agent.env"
units=$R/lib/systemd/system
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$T/verify"
  for u in gantryd gantry-agent; do # the same units, naming the extracted programs
    sed "s|/usr/bin/|$R/usr/bin/|" "$units/$u.service" >"$T/verify/$u.service"
  done
  systemd-analyze verify "$T/verify/gantryd.service" "$T/verify/gantry-agent.service" \
    >"$T/verify.out" 2>&1
  check "systemd-analyze verify finds nothing to say about the units" "! grep . '$T/verify.out'"
fi

# ---- 3. the daemons, run as their units say ------------------------------------------------
# The operator's steps: where gantryd listens (a free port here), the agent's settings
# (and a cgroup folder of this test's own), then the node token once gantryd has made it.
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
sed -i "s|^  listen: 127.0.0.1:7070|  listen: 127.0.0.1:$PORT|" "$R/etc/gantry/gantryd.yaml"
check "the operator's edit of the listen address took" "grep -q '127.0.0.1:$PORT' '$R/etc/gantry/gantryd.yaml'"
sed -i "s|^GANTRY_SERVER=.*|GANTRY_SERVER=$URL|; s|^GANTRY_AGENT_OPTS=.*|& --cgroup-parent $CG_PARENT|" \
  "$R/etc/gantry/gantry-agent.env"
state_dirs() { # UNIT: make StateDirectory= with StateDirectoryMode=, as systemd does
  local d mode
  mode=$(python3 "$GT_SRC/tests/system/lib/unit_cmd.py" get "$1" StateDirectoryMode)
  for d in $(python3 "$GT_SRC/tests/system/lib/unit_cmd.py" get "$1" StateDirectory); do
    mkdir -p "$R/var/lib/$d" && chmod "${mode:-0755}" "$R/var/lib/$d"
  done
}
listen() { # NAME: a notification socket $T/NAME.sock, messages in $T/NAME.notify
  : >"$T/$1.notify"
  python3 "$GT_SRC/tests/system/lib/notify_listen.py" "$T/$1.sock" "$T/$1.notify" &
  PIDS+=("$!")
  wait_until 10 test -S "$T/$1.sock"
}
run_unit() { # NAME UNIT: start the unit's command as systemd would; sets PID
  local argv envs
  mapfile -d '' argv < <(python3 "$GT_SRC/tests/system/lib/unit_cmd.py" exec "$2" "$R")
  mapfile -d '' envs < <(python3 "$GT_SRC/tests/system/lib/unit_cmd.py" env "$2" "$R")
  printf '%q ' "${argv[@]}" >"$T/$1.cmd"
  : >"$T/$1.log"
  (cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "${envs[@]}" NOTIFY_SOCKET="$T/$1.sock" \
    JOURNAL_STREAM="$(stat -c '%d:%i' "$T/$1.log")" "${argv[@]}") >>"$T/$1.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
}
gantry() {
  "$R/usr/bin/gantry" --server "$URL" --token-file "$R/var/lib/gantry/admin.token" "$@"
}

state_dirs "$units/gantryd.service"
listen ctld
run_unit ctld "$units/gantryd.service"
ctld=$PID
check "gantryd's command is the unit's" \
  "grep -qF -- '$R/usr/bin/gantryd --config $R/etc/gantry/gantryd.yaml --data-dir $R/var/lib/gantry ' '$T/ctld.cmd'"
check "gantryd sends READY=1" "wait_until 20 grep -q READY=1 '$T/ctld.notify'"
check "gantryd answers /healthz" "curl -sf '$URL/healthz'"
check "gantryd made its tokens in its data directory" \
  "test -s '$R/var/lib/gantry/admin.token' && test -s '$R/var/lib/gantry/node.token' &&
   [ \$(stat -c %a '$R/var/lib/gantry/node.token') = 600 ]"
install -m 600 "$R/var/lib/gantry/node.token" "$R/etc/gantry/node.token"

state_dirs "$units/gantry-agent.service"
listen agent
run_unit agent "$units/gantry-agent.service"
agent=$PID
check "gantry-agent's command is the unit's" \
  "grep -qF -- '$R/usr/bin/gantry-agent --server $URL --node local --token-file $R/etc/gantry/node.token --state-dir $R/var/lib/gantry-agent --fake-gpus 0 --cgroup-parent $CG_PARENT' '$T/agent.cmd'"
check "gantry-agent sends READY=1 once registered" "wait_until 30 grep -q READY=1 '$T/agent.notify'"
check "gantry-agent runs the gantry-shim beside it" \
  "grep -q 'rank supervisor: $R/usr/bin/gantry-shim' '$T/agent.log'"
check "gantry nodes: node local is up" "gantry nodes | grep -E '^local +up '"
check "the daemons log for the journal" "grep -q '^<6>registered 1 node(s)' '$T/agent.log' &&
  grep -q '^<6>agent .* registered 1 node(s)' '$T/ctld.log'"
lap "starting the daemons"

cd "$T" || exit 1 # the job's working directory: it runs as nobody, who may enter $T
id=$(gantry submit --name packaged --gpus 0 --cpus 1 -- sh -c 'echo "packaged job ran as $(id -un)"')
check "the job was accepted" "[ -n '$id' ]"
check "the job runs to completion" "timeout 60 '$R/usr/bin/gantry' --server '$URL' \
  --token-file '$R/var/lib/gantry/admin.token' wait '$id'"
check "its output" "gantry logs '$id' | grep -q 'packaged job ran as nobody'"
check "gantry show says completed" "gantry show '$id' | grep -E '^state: +completed'"

for name in agent ctld; do # the agent first, as systemctl stop would (After=gantryd)
  pid=$([ $name = agent ] && echo "$agent" || echo "$ctld")
  kill -TERM "$pid"
  rc=0
  timeout 30 tail --pid="$pid" -f /dev/null || rc=124
  wait "$pid" || rc=$?
  check "$name exits 0 on SIGTERM" "[ $rc = 0 ]"
  check "$name sends STOPPING=1" "wait_until 5 grep -q STOPPING=1 '$T/$name.notify'"
done
lap "the job and the stop"

# ---- 4. cmake --install into a DESTDIR -----------------------------------------------------
cache() { sed -n "s/^$1:[A-Z]*=//p" "$GT_BIN/CMakeCache.txt"; }
prefix=$(cache CMAKE_INSTALL_PREFIX) bindir=$(cache CMAKE_INSTALL_BINDIR)
sysconf=$(cache CMAKE_INSTALL_SYSCONFDIR) unitdir=$(cache GT_SYSTEMD_UNITDIR)
case $sysconf in /*) ;; *) [ "$prefix" = /usr ] && sysconf=/etc || sysconf=$prefix/$sysconf ;; esac
case $unitdir in /*) ;; *) unitdir=$prefix/$unitdir ;; esac
case $bindir in /*) ;; *) bindir=$prefix/$bindir ;; esac
D=$T/destdir
check "DESTDIR=... cmake --install succeeds" \
  "DESTDIR='$D' cmake --install '$GT_BIN' >'$T/install.out' 2>&1 || { cat '$T/install.out'; false; }"
mandir=$(cache CMAKE_INSTALL_MANDIR) datadir=$(cache CMAKE_INSTALL_DATAROOTDIR)
zshdir=$(cache GT_ZSH_COMPLETIONDIR)
case $datadir in /*) ;; *) datadir=$prefix/$datadir ;; esac
case $mandir in '') mandir=$datadir/man ;; /*) ;; *) mandir=$prefix/$mandir ;; esac
case $zshdir in /*) ;; *) zshdir=$prefix/$zshdir ;; esac
printf '%s\n' "$bindir"/{gantry,gantry-agent,gantry-shim,gantry-sim,gantryd} \
  "$sysconf"/gantry/{gantry-agent.env,gantryd.yaml} "$unitdir"/{gantry-agent,gantryd}.service \
  "$mandir"/man1/{gantry,gantry-sim}.1 "$mandir"/man8/{gantryd,gantry-agent,gantry-shim}.8 \
  "$datadir"/bash-completion/completions/gantry "$zshdir"/_gantry |
  sort >"$T/install.want"
(cd "$D" && find . -type f | sed 's|^\.||' | sort) >"$T/install.got"
check "cmake --install puts in place exactly the programs, manual pages, completion, units and settings" \
  "diff '$T/install.want' '$T/install.got'"
check "the installed units name the installed paths" \
  "grep -qx 'ExecStart=$bindir/gantryd --config $sysconf/gantry/gantryd.yaml --data-dir /var/lib/gantry' '$D$unitdir/gantryd.service' &&
   grep -q '^ExecStart=$bindir/gantry-agent .*--token-file $sysconf/gantry/node.token' '$D$unitdir/gantry-agent.service'"
check "cmake --install --prefix OTHER is refused, installing nothing" \
  "! cmake --install '$GT_BIN' --prefix '$T/other' >'$T/prefix.out' 2>&1 &&
   grep -q 'configured for the prefix' '$T/prefix.out' && [ ! -e '$T/other' ]"
lap "cmake --install"
finish
