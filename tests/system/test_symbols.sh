#!/usr/bin/env bash
# Exported symbols of gantry's static libraries follow one rule (shared/STYLE.md, "one
# prefix"): public functions start with gt_, a library's private ones with its own
# prefix (core_, sim_, sys_, ctld_, agent_, cli_), and no symbol is defined by two
# libraries (two libraries each exporting unit_start linked only by luck). nm reads the
# libraries the build made; the compiler's and sanitizers' own symbols (__*, .*) are
# left out.
set -uo pipefail
bin=$(cd "${GT_BIN:?}" && pwd)
command -v nm >/dev/null || { echo "SKIP: no nm (binutils)"; exit 77; }
fails=0 passes=0
declare -A prefix=([util]="gt_" [core]="gt_ core_" [proto]="gt_" [http]="gt_" [sim]="gt_ sim_"
  [sys]="gt_ sys_" [ctld]="gt_ ctld_" [agent]="gt_ agent_" [cli]="gt_ cli_")
all=$(mktemp)
trap 'rm -f "$all"' EXIT
for lib in "${!prefix[@]}"; do
  a=$bin/libgt_$lib.a
  if [ ! -f "$a" ]; then
    echo "FAIL $lib: $a is missing"
    fails=$((fails + 1))
    continue
  fi
  # Defined, external: text, data, bss, read-only data (upper-case types).
  syms=$(nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBRVWG]$/ {print $3}' |
    grep -v '^[_.]' | sort -u)
  [ -n "$syms" ] || { echo "FAIL $lib: no symbols read from $a"; fails=$((fails + 1)); continue; }
  re="^($(tr ' ' '|' <<<"${prefix[$lib]}"))"
  bad=$(grep -Ev "$re" <<<"$syms")
  if [ -n "$bad" ]; then
    echo "FAIL libgt_$lib.a exports names without its prefixes (${prefix[$lib]}):"
    sed 's/^/    /' <<<"$bad" | head -20
    fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
  sed "s/$/ $lib/" <<<"$syms" >>"$all"
done
dups=$(awk '{n[$1]++; l[$1] = l[$1] " " $2} END {for (s in n) if (n[s] > 1) print s ":" l[s]}' "$all")
if [ -n "$dups" ]; then
  echo "FAIL symbols defined by more than one library:"
  sed 's/^/    /' <<<"$dups" | head -20
  fails=$((fails + 1))
else
  passes=$((passes + 1))
fi
echo "test_symbols: $(wc -l <"$all") symbols in ${#prefix[@]} libraries; $passes passed, $fails failed"
[ "$fails" -eq 0 ]
