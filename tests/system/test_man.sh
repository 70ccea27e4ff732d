#!/usr/bin/env bash
# The manual pages and shell completion scripts that the build writes (tools/gendoc.c into
# GT_BIN/man and GT_BIN/completion), without a controller:
#  1. each page renders without a warning: groff -ww (warnings as errors), mandoc -Tlint
#     and man --warnings (what lintian runs) where they are installed;
#  2. gantry.1 holds every command that `gantry --help` lists, in a subsection of its own
#     with the usage line and every option of `gantry help CMD`; the global options, every
#     exit code of --help, and every GANTRY_* variable the CLI's source reads (ENVIRONMENT);
#     gantryd.8, gantry-agent.8 and gantry-sim.1 hold their program's synopsis and every
#     option of its --help; every program the build installs has a page;
#  3. `gantry completion bash|zsh` prints the installed scripts, refuses another shell;
#  4. the bash script, sourced in a plain bash (no bash-completion package) with
#     COMP_WORDS/COMP_CWORD set as bash sets them, completes commands, options, a choice's
#     values, job ids and node names (from a stand-in `gantry` that records how it was
#     called: with the --server and --token-file typed on the line);
#  5. the zsh script parses, and in an interactive zsh (zpty) completes `gantry sub` and
#     `gantry jobs --st` (skipped without zsh).
# groff is required (Debian's groff-base, in scripts/deps.sh test); mandoc and zsh are used
# when installed (also in scripts/deps.sh test).
#
# Environment (set by ctest): GT_SRC = source tree, GT_BIN = build tree.
set -uo pipefail
src=${GT_SRC:?} bin=${GT_BIN:?}
gantry=$bin/gantry
fails=0 passes=0
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }
ok() { # NAME COMMAND...: passes when the command exits 0
  local name=$1
  shift
  if "$@"; then pass; else fail "$name"; fi
}
command -v groff >/dev/null || { echo "SKIP: no groff (scripts/deps.sh test installs groff-base)"; exit 77; }
unset GANTRY_SERVER GANTRY_TOKEN GANTRY_TOKEN_FILE
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- 1. every page renders without a warning ----------------------------------------------
pages=(man/gantry.1 man/gantryd.8 man/gantry-agent.8 man/gantry-shim.8 man/gantry-sim.1)
for p in "${pages[@]}"; do
  [ -s "$bin/$p" ] || { fail "$p: not written by the build"; continue; }
  out=$(groff -man -Tutf8 -ww -z "$bin/$p" 2>&1)
  ok "$p: groff -ww says '$out'" test -z "$out"
  if command -v mandoc >/dev/null; then
    out=$(mandoc -Tlint "$bin/$p" 2>&1)
    ok "$p: mandoc -Tlint says '$out'" test -z "$out"
  fi
  if command -v man >/dev/null; then # as lintian checks a page
    out=$(MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$bin/$p" 2>&1 >/dev/null)
    ok "$p: man --warnings says '$out'" test -z "$out"
  fi
  # plain text, one line per paragraph (wide), for the checks below
  groff -man -Tutf8 -P-cbou -rLL=300n "$bin/$p" >"$tmp/$(basename "$p").txt" 2>/dev/null
done

# section TEXT NAME: the lines of section NAME (a heading at column 0)
section() { awk -v h="$2" '$0 == h {on = 1; next} on && /^[^ ]/ {exit} on' "$1"; }
# subsection TEXT NAME: the lines of subsection NAME (a heading at column 3)
subsection() {
  awk -v h="   $2" '$0 == h {on = 1; next} on && (/^   [^ ]/ || /^[^ ]/) {exit} on' "$1"
}
# options HELP_TEXT: the left column of its option lines ("-J, --name NAME")
options() { sed -n '/^options:$/,/^$/p' <<<"$1" | sed -n 's/^  \(-.*\)/\1/p' | sed 's/  .*//'; }
# has TEXT STRING: STRING is in TEXT as a whole line or on a line of its own with the
# indentation trimmed, or starts a line followed by a space (a short .TP tag)
has() { sed 's/^ *//' <<<"$1" | grep -qxF -- "$2" || sed 's/^ *//' <<<"$1" | grep -qF -- "$2 "; }

# ---- 2. gantry.1: every command, option, exit code, variable ------------------------------
page=$tmp/gantry.1.txt
help=$("$gantry" --help)
mapfile -t cmds < <(sed -n '/^commands:$/,/^$/p' <<<"$help" | awk 'NF > 1 {print $1}')
ok "gantry --help lists commands (${#cmds[@]})" test "${#cmds[@]}" -ge 20
for cmd in "${cmds[@]}"; do
  sub=$(subsection "$page" "gantry $cmd")
  [ -n "$sub" ] || { fail "gantry.1: no subsection 'gantry $cmd'"; continue; }
  cmd_help=$("$gantry" help "$cmd")
  usage=$(sed -n '1s/^usage: //p' <<<"$cmd_help")
  ok "gantry.1: gantry $cmd: the usage line '$usage'" has "$sub" "$usage"
  summary=$(sed -n '3p' <<<"$cmd_help")
  ok "gantry.1: gantry $cmd: the summary '$summary'" has "$sub" "$summary"
  while IFS= read -r o; do
    ok "gantry.1: gantry $cmd: option '$o'" has "$sub" "$o"
  done < <(options "$cmd_help")
done
globals=$(section "$page" "GLOBAL OPTIONS")
n=0
while IFS= read -r o; do
  ok "gantry.1: global option '$o'" has "$globals" "$o"
  n=$((n + 1))
done < <(sed -n '/^global options/,/^$/p' <<<"$help" | sed -n 's/^  \(-.*\)/\1/p' | sed 's/  .*//')
ok "gantry --help lists global options ($n)" test "$n" -ge 7
exits=$(section "$page" "EXIT STATUS")
while read -r code; do
  ok "gantry.1: exit code $code" has "$exits" "$code"
done < <(sed -n '/^exit codes:$/,/^$/p' <<<"$help" | awk '$1 ~ /^[0-9]+$/ {print $1}')
ok "gantry.1: exit code 124 ('wait --timeout')" has "$exits" 124
env=$(section "$page" "ENVIRONMENT")
for v in $(cat "$src"/src/cli/*.[ch] | grep -o '"GANTRY_[A-Z][A-Z_]*"' | tr -d '"' | sort -u); do
  ok "gantry.1: ENVIRONMENT names $v" has "$env" "$v"
done
for v in GANTRY_SERVER GANTRY_TOKEN GANTRY_TOKEN_FILE; do
  ok "gantry.1: ENVIRONMENT names $v" has "$env" "$v"
done
ok "gantry.1: SEE ALSO the other pages" \
  grep -q 'gantryd(8), gantry-agent(8), gantry-shim(8), gantry-sim(1)' "$page"
installed=$(sed -n '/^install(TARGETS/,/RUNTIME/p' "$src/CMakeLists.txt" | tr -s ' \n' '\n' |
  grep -vE '^(install\(TARGETS|RUNTIME|DESTINATION|\$.*)$')
ok "CMakeLists.txt installs programs ($(echo $installed))" test "$(wc -w <<<"$installed")" -ge 5
for p in $installed; do
  ok "$p, which cmake --install puts in place, has a manual page" \
    test -s "$bin/man/$p.1" -o -s "$bin/man/$p.8"
done

# ---- the other programs' pages ------------------------------------------------------------
for p in gantryd.8 gantry-agent.8 gantry-sim.1; do
  prog=${p%.*}
  page=$tmp/$p.txt
  prog_help=$("$bin/$prog" --help)
  syn=$(section "$page" SYNOPSIS | sed 's/^ *//' | tr '\n' ' ' | tr -s ' ')
  want=$(sed -n '1,/^[^ ]/p' <<<"$prog_help" | sed -n '/^usage: \|^  /p' | sed 's/^usage: //; s/^ *//' |
    tr '\n' ' ' | tr -s ' ')
  ok "$p: SYNOPSIS '$syn' is --help's '$want'" test "$syn" = "$want"
  opts=$(section "$page" OPTIONS)
  n=0
  while IFS= read -r o; do
    ok "$p: option '$o'" has "$opts" "$o"
    n=$((n + 1))
  done < <(options "$prog_help")
  ok "$prog --help lists options ($n)" test "$n" -ge 8
done
policies=$("$bin/gantry-sim" --help | sed -n 's/^policies: //p')
ok "gantry-sim.1: POLICIES lists the policies of --help ($policies)" \
  grep -qF -- "its own: $policies" <<<"$(section "$tmp/gantry-sim.1.txt" POLICIES)"
ok "gantry-agent.8: ENVIRONMENT names GANTRY_NODE_TOKEN" \
  has "$(section "$tmp/gantry-agent.8.txt" ENVIRONMENT)" GANTRY_NODE_TOKEN

# ---- 3. gantry completion -----------------------------------------------------------------
ok "gantry completion bash is the script the build wrote" \
  cmp -s <("$gantry" completion bash) "$bin/completion/gantry"
ok "gantry completion zsh is the script the build wrote" \
  cmp -s <("$gantry" completion zsh) "$bin/completion/_gantry"
out=$("$gantry" completion fish 2>&1)
ok "gantry completion fish: exit 2, naming the shells ($out)" \
  test $? = 2 -a "$out" = "gantry: completion: unknown shell 'fish' (the shells: bash, zsh); see 'gantry help completion'"
"$gantry" completion >/dev/null 2>&1
ok "gantry completion without a shell: exit 2" test $? = 2
ok "bash -n accepts the bash script" bash -n "$bin/completion/gantry"

# ---- 4. the bash script, run as bash runs it ----------------------------------------------
# complete WORDS...: what _gantry offers for the last word (COMPREPLY, space-separated)
cat >"$tmp/complete.sh" <<EOF
source '$bin/completion/gantry'
gantry() { # the controller's answers, and how gantry was called
  echo "\$*" >>'$tmp/calls'
  case "\$*" in
  *"jobs --noheader -o id") printf '   12\n   13\n  140\n' ;;
  *nodes) printf 'NAME   STATE  GPUS\nlocal  up     4\ngpu-a  down   8\n' ;;
  esac
}
COMP_WORDS=("\$@")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
_gantry
echo "\${COMPREPLY[*]}"
EOF
complete() { bash --norc --noprofile "$tmp/complete.sh" gantry "$@"; }
offers() { # WANT WORDS...: the completion of WORDS is exactly WANT
  local want=$1 got
  shift
  got=$(complete "$@")
  ok "bash: 'gantry $*' completes to '$want', got '$got'" test "$got" = "$want"
}
offers submit sub
offers --state jobs --st
offers "--timeout --token-file" wait --t # wait's own --timeout, once
offers jobs --json j
offers "train serve tasks" submit --kind ""
offers "train tasks" submit --kind = t # --kind=t, as bash splits it
offers "12 13 140" cancel 12 ""
offers "12 13 140" show 1
offers "local gpu-a" drain ""
offers local node l
offers "submit show scale" help s
offers "bash zsh" completion ""
offers "" submit -- ech # a job's command line: the shell's own completion
all=$(complete "")
for cmd in "${cmds[@]}"; do
  ok "bash: 'gantry ' offers $cmd" grep -qw -- "$cmd" <<<"$all"
done
: >"$tmp/calls"
complete --server http : //127.0.0.1 : 7070 --token-file t.token cancel "" >/dev/null
ok "bash: job ids asked with the line's --server and --token-file ($(cat "$tmp/calls"))" \
  grep -qx -- "--server http://127.0.0.1:7070 --token-file t.token jobs --noheader -o id" "$tmp/calls"

# ---- 5. the zsh script ---------------------------------------------------------------------
if command -v zsh >/dev/null; then
  ok "zsh -n accepts the zsh script" zsh -n "$bin/completion/_gantry"
  mkdir -p "$tmp/fpath"
  cp "$bin/completion/_gantry" "$tmp/fpath/"
  cat >"$tmp/zpty.zsh" <<EOF
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; fpath=($tmp/fpath \$fpath); autoload -Uz compinit; compinit -u -D; print READY'
zpty -r z out '*READY*'
for line in 'gantry sub' 'gantry jobs --st'; do
  zpty -w -n z "\$line"\$'\t'
  zpty -r z out '*gantry (submit|jobs --state)*' && print -r -- "\$line: ok"
  zpty -w -n z \$'\C-u'
done
zpty -d z
EOF
  out=$(timeout 30 zsh -f "$tmp/zpty.zsh" 2>&1)
  ok "zsh: 'gantry sub' completes to submit" grep -qx 'gantry sub: ok' <<<"$out"
  ok "zsh: 'gantry jobs --st' completes to --state" grep -qx 'gantry jobs --st: ok' <<<"$out"
else
  echo "test_man: no zsh, its script not run (scripts/deps.sh test installs zsh)"
fi

echo "test_man: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
