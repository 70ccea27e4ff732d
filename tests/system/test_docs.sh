#!/usr/bin/env bash
# Every example in docs/*.md runs, and every job spec in examples/jobs/ is checked.
#
# Environment (set by ctest): GT_SRC = source tree, GT_BIN = build tree with gantry-sim and
# gantry.
# By hand:  GT_SRC=$PWD GT_BIN=$PWD/build bash tests/system/test_docs.sh
#
# What a fenced block's tag means (``` at the start of a line opens and closes a block):
#
#   ```sh           gantry-sim commands, one per line (a trailing '\' continues a line;
#                   blank lines and '# ...' lines are skipped). Each must exit 0. Every
#                   command line must start with `gantry-sim` or `./build/gantry-sim`:
#                   write other shell (cmake, run.sh) as ```bash, which is not run.
#   ```sh-error     the same, but each command must fail: exit 1..125 (a crash is not
#                   an expected error).
#   ```yaml         a complete cluster config: saved as cluster.yaml and run with
#                   `gantry-sim --cluster cluster.yaml --trace examples/traces/tiny.csv
#                   --quiet`; must exit 0.   ```yaml-error: the same, must fail.
#   ```csv          a complete trace: saved as trace.csv and run with `gantry-sim --cluster
#                   examples/fleet-small.yaml --trace trace.csv`; must exit 0.
#                   ```csv-error: the same, must fail.
#   ```output       right after one of the blocks above: each non-empty line must appear
#                   verbatim in that block's output (stdout and stderr together).
#   ```json         a job spec: must equal (as JSON) one of examples/jobs/*.json.
#   ```synth-distributions   the list of distributions in src/sim/synth.c's top comment,
#                   line for line (indentation aside): synth.c asks to keep them in step.
#   ```gantry, ```gantry-error   shell that talks to a live cluster (gantryd, gantry-agent,
#                   the gantry CLI): run by tests/system/test_docs_live.sh, which also
#                   checks the ```output block that follows one. Skipped here.
#   ```yaml-fragment, ```json-fragment, ```bash, ```text and untagged blocks: not run.
#
# Commands run in a scratch copy of the source tree (symlinks to GT_SRC's entries, a
# fresh out/ directory, and ../shared when GT_SRC/../shared exists), with GT_BIN first on
# PATH, so examples may write to out/ without touching the sources. A command that reads
# ../shared/ is skipped, with a note, when the shared traces are not there.
#
# Job specs (examples/jobs/*.json):
#   examples/jobs/cpu-job.json  examples/jobs/serve-chat.json  examples/jobs/serve-web.json
#   examples/jobs/tasks-cpu.json  examples/jobs/tasks-gpu.json  examples/jobs/train-command.json
#   examples/jobs/serve-roles.json  examples/jobs/train-minimal.json
#   examples/jobs/train-nvl72.json
# Each file must (1) pass `gantry submit --dry-run FILE` (the job spec parser with every
# rule, the CLI's and the controller's; nothing is sent) and come back unchanged (the
# printed document equals the file as JSON, but for the workdir the CLI adds to a command
# that has none), (2) have only keys that are in the `fields`
# table of src/core/jobspec.c, (3) be shown in some doc's ```json block, and (4) when
# rewritten as a one-row trace (the controller-only fields command, env, workdir, grace_s
# and the name have no trace column and are dropped; a service of several roles gives a
# row per role), be accepted -- not rejected -- by
# gantry-sim on at least one of the example fleets: the spec is valid, and some fleet can
# hold it.
set -uo pipefail

: "${GT_SRC:?set GT_SRC to the source tree}" "${GT_BIN:?set GT_BIN to the build tree}"
GT_SRC=$(cd "$GT_SRC" && pwd)
GT_BIN=$(cd "$GT_BIN" && pwd)
for b in gantry-sim gantry; do
  if [ ! -x "$GT_BIN/$b" ]; then
    echo "test_docs: FAIL: $GT_BIN/$b not found (build it: ninja -C $GT_BIN $b)"
    exit 1
  fi
done
command -v python3 >/dev/null || { echo "test_docs: FAIL: python3 is needed"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gt-docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
work=$tmp/repo
mkdir -p "$work/out" "$tmp/blocks"
for e in "$GT_SRC"/* "$GT_SRC"/.[!.]*; do
  [ -e "$e" ] || continue
  case ${e##*/} in build* | out | .git) continue ;; esac
  ln -s "$e" "$work/${e##*/}"
done
have_shared=0
if [ -d "$GT_SRC/../shared/traces" ]; then
  ln -s "$(cd "$GT_SRC/../shared" && pwd)" "$tmp/shared"
  have_shared=1
fi
export PATH="$GT_BIN:$PATH"
TIMEOUT=()
command -v timeout >/dev/null && TIMEOUT=(timeout 300)

failures=0 ran=0 skipped=0 nout=0
fail() { # where, reason [, output file]
  failures=$((failures + 1))
  echo "test_docs: FAIL: $1: $2" >&2
  if [ -n "${3:-}" ] && [ -s "$3" ]; then
    sed 's/^/    | /' "$3" | head -40 >&2
  fi
}

# ---- extract the fenced blocks: one manifest row per block --------------------------------
# Row: doc <TAB> block number (1-based, every fenced block counts) <TAB> line <TAB> tag
#      <TAB> file holding the block's text.
manifest=$tmp/manifest.tsv
: >"$manifest"
for doc in "$GT_SRC"/docs/*.md; do
  [ -e "$doc" ] || continue
  rel=docs/${doc##*/}
  if ! awk -v rel="$rel" -v out="$tmp/blocks/${doc##*/}" -v man="$manifest" -f "$GT_SRC/tests/system/lib/doc_blocks.awk" "$doc"; then
    fail "$rel" "unbalanced code fences"
  fi
done

# ---- running blocks -----------------------------------------------------------------------

# Run one command line in the scratch tree; output into $2. Prints the exit status.
run_cmd() {
  (cd "$work" && "${TIMEOUT[@]}" bash -c "$1") </dev/null >"$2" 2>&1
  echo $?
}

# Check an exit status against the expectation ("ok" or "error").
status_ok() {
  if [ "$2" = ok ]; then [ "$1" -eq 0 ]; else [ "$1" -ge 1 ] && [ "$1" -le 125 ]; fi
}

# The commands of a ```sh block, one per line, continuations joined.
sh_commands() {
  awk '
    { line = $0 }
    cont != "" { line = cont " " line; cont = "" }
    line ~ /\\[ \t]*$/ { sub(/\\[ \t]*$/, "", line); cont = line; next }
    line ~ /^[ \t]*(#|$)/ { next }
    { print line }
    END { if (cont != "") print cont }
  ' "$1"
}

last_out="" # output of the last runnable block, for a following ```output block

run_sh_block() { # where, file, expect
  local where=$1 file=$2 expect=$3 cmd out rc k=0
  nout=$((nout + 1))
  out=$tmp/out.$nout
  : >"$out.all"
  while IFS= read -r cmd; do
    k=$((k + 1))
    if ! [[ $cmd =~ ^[[:space:]]*(\./build/)?gantry-sim([[:space:]]|$) ]]; then
      fail "$where" "command $k does not start with gantry-sim (write other shell as \`\`\`bash): $cmd"
      continue
    fi
    cmd=${cmd/.\/build\/gantry-sim/gantry-sim}
    if [[ $cmd == *../shared/* ]] && [ $have_shared = 0 ]; then
      echo "test_docs: skip $where command $k: ../shared/traces is not there"
      skipped=$((skipped + 1))
      continue
    fi
    rc=$(run_cmd "$cmd" "$out")
    cat "$out" >>"$out.all"
    ran=$((ran + 1))
    if ! status_ok "$rc" "$expect"; then
      fail "$where" "command $k exited $rc (expected $([ "$expect" = ok ] && echo 0 || echo 1..125)): $cmd" "$out"
    fi
  done < <(sh_commands "$file")
  [ $k -gt 0 ] || fail "$where" "empty \`\`\`sh block"
  last_out=$out.all
}

run_file_block() { # where, file, expect, kind (yaml | csv)
  local where=$1 file=$2 expect=$3 kind=$4 cmd rc out
  nout=$((nout + 1))
  out=$tmp/out.$nout
  if [ "$kind" = yaml ]; then
    cp "$file" "$work/cluster.yaml"
    cmd="gantry-sim --cluster cluster.yaml --trace examples/traces/tiny.csv --quiet"
  else
    cp "$file" "$work/trace.csv"
    cmd="gantry-sim --cluster examples/fleet-small.yaml --trace trace.csv"
  fi
  rc=$(run_cmd "$cmd" "$out")
  ran=$((ran + 1))
  if ! status_ok "$rc" "$expect"; then
    fail "$where" "$cmd exited $rc (expected $([ "$expect" = ok ] && echo 0 || echo 1..125))" "$out"
  fi
  last_out=$out
}

check_output() { # where, file
  local where=$1 file=$2 line
  if [ -z "$last_out" ]; then
    fail "$where" "\`\`\`output block does not follow a block that runs"
    return
  fi
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    grep -qF -- "$line" "$last_out" || fail "$where" "expected output line not found: $line" "$last_out"
  done <"$file"
  last_out=""
}

# Job specs shown in the docs: each must equal one of examples/jobs/*.json.
shown=$tmp/shown.txt
: >"$shown"
check_json_block() { # where, file
  local msg
  if ! msg=$(python3 - "$1" "$2" "$GT_SRC/examples/jobs" 2>&1 <<'EOF'
import json, pathlib, sys
where, block, jobs = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
try:
    doc = json.loads(pathlib.Path(block).read_text())
except ValueError as e:
    sys.exit(f"not valid JSON: {e}")
def load(f):
    try:
        return json.loads(f.read_text())
    except ValueError:
        return None  # reported with the job specs below
for f in sorted(jobs.glob("*.json")):
    if load(f) == doc:
        print(f"examples/jobs/{f.name}")
        sys.exit(0)
sys.exit("equals none of examples/jobs/*.json (put every job spec example there)")
EOF
  ); then
    fail "$1" "$msg"
  else
    echo "$msg" >>"$shown"
  fi
}

# The synthetic workload's distributions, copied from src/sim/synth.c's top comment.
check_synth() { # where, file
  local msg
  if ! msg=$(python3 - "$2" "$GT_SRC/src/sim/synth.c" 2>&1 <<'EOF'
import re, sys
block, src = open(sys.argv[1]).read(), open(sys.argv[2]).read()
comment = re.search(r"/\*.*?\*/", src, re.S).group(0).split("\n")
at = [i for i, l in enumerate(comment) if "Distributions (" in l]
if not at:
    sys.exit("src/sim/synth.c: no 'Distributions (' in its top comment (update this test)")
def norm(lines):
    return [" ".join(l.split()) for l in lines if l.strip()]
want = norm(re.sub(r"^ \*/?|\*/$", "", l) for l in comment[at[0] + 1:])
got = norm(block.split("\n"))
for i, (w, g) in enumerate(zip(want, got)):
    if w != g:
        sys.exit(f"differs from src/sim/synth.c at line {i + 1} of the list:\n  doc:     {g}\n  synth.c: {w}")
if len(want) != len(got):
    sys.exit(f"src/sim/synth.c lists {len(want)} lines, the doc {len(got)}")
EOF
  ); then
    fail "$1" "$msg"
  fi
}

while IFS=$'\t' read -r doc n line tag file; do
  where="$doc block $n (line $line, \`\`\`$tag)"
  case $tag in
    sh) run_sh_block "$where" "$file" ok ;;
    sh-error) run_sh_block "$where" "$file" error ;;
    yaml) run_file_block "$where" "$file" ok yaml ;;
    yaml-error) run_file_block "$where" "$file" error yaml ;;
    csv) run_file_block "$where" "$file" ok csv ;;
    csv-error) run_file_block "$where" "$file" error csv ;;
    output) if [ "$last_out" = live ]; then last_out=""; else check_output "$where" "$file"; fi ;;
    json) check_json_block "$where" "$file" ;;
    synth-distributions) check_synth "$where" "$file"; last_out="" ;;
    gantry | gantry-error) last_out=live ;; # test_docs_live.sh runs these and their ```output
    yaml-fragment | json-fragment | bash | text | "") last_out="" ;;
    sh* | yaml* | yml* | csv* | json* | output*)
      fail "$where" "unknown tag '$tag' (see the list at the top of tests/system/test_docs.sh)" ;;
    *) last_out="" ;;
  esac
done <"$manifest"

# ---- job specs ----------------------------------------------------------------------------

cat >"$tmp/spec2csv.py" <<'EOF'
# A job spec (JSON) -> a one-row trace (CSV), or exit 1 with the reason. A service of
# several roles (jobspec_roles.c) -> one row per role (the role's fields over the
# service's; with a ratio, the role's share of the sets); prints the number of rows.
import json, re, sys, pathlib

spec_path, jobspec_c, out = sys.argv[1], sys.argv[2], sys.argv[3]
src = pathlib.Path(jobspec_c).read_text()
table = re.search(r"static const struct field fields\[\] = \{(.*?)\n\};", src, re.S)
if not table:
    sys.exit("cannot find the fields table in src/core/jobspec.c (update this test)")
known = set(re.findall(r'(?:STR|INT)\((\w+)|TIME\("(\w+)"|\{"(\w+)"', table.group(1)))
known = {a or b or c for a, b, c in known}
try:
    spec = json.loads(pathlib.Path(spec_path).read_text())
except ValueError as e:
    sys.exit(f"not valid JSON: {e}")
if not isinstance(spec, dict):
    sys.exit("expected a JSON object")
group = spec
roles = group.get("roles") or [None]
ratio = group.get("ratio")
for r in roles:
    unknown = sorted(set(group) - known - {"roles", "ratio"} | set(r or {}) - known)
    if unknown:
        sys.exit(f"unknown field(s) {unknown}; the job spec knows {sorted(known)}")
rows = []
for r in roles:
    spec = {k: v for k, v in group.items() if k not in ("roles", "ratio")}
    spec.update(r or {})
    if r is not None:
        spec["id"] = pathlib.Path(spec_path).stem + "-" + r["name"]
    if r is not None and ratio:
        sets = group.get("replicas", {})
        lo = sets.get("min", 1)
        spec["replicas"] = {"min": lo * ratio[r["name"]],
                            "max": sets.get("max", lo) * ratio[r["name"]]}
    rows.append(spec)

def row_of(spec):
    def num(key, default="", real=False):
        v = spec.get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not real):
            sys.exit(f"{key}: expected {'a number of seconds' if real else 'an integer'}")
        return str(v) if isinstance(v, int) else f"{v:.3f}".rstrip("0").rstrip(".")

    def text(key, default=""):
        v = spec.get(key, default)
        if not isinstance(v, str):
            sys.exit(f"{key}: expected a string")
        if any(c in v for c in ',"\n\r'):
            sys.exit(f"{key}: has a character a trace cannot carry")
        return v

    prio = spec.get("priority", "normal")
    if isinstance(prio, int) and not isinstance(prio, bool):
        prio = str(prio)
    elif not isinstance(prio, str):
        sys.exit("priority: expected a string or an integer")
    count = min_count = ""
    if "replicas" in spec:
        r = spec["replicas"]
        if not isinstance(r, dict):
            sys.exit("replicas: expected an object")
        lo = r.get("min", 1)
        count, min_count = str(r.get("max", lo)), str(lo)
    if "tasks" in spec:
        count = num("tasks")
    tenant = text("tenant", "default")
    if tenant == "":
        sys.exit("tenant: must not be empty")
    gpus, gpu_milli = spec.get("gpus"), num("gpu_milli")
    if isinstance(gpus, float) and 0 < gpus < 1: # a share of one GPU: gpus 0.25
        gpus, gpu_milli = 1, str(round(gpus * 1000))
        spec["gpus"] = 1
    row = {
        "job_id": text("id", pathlib.Path(spec_path).stem), "submit_s": num("submit_s", "0", True),
        "gpus": num("gpus", "1"), "duration_s": num("duration_s", "0", True), "tenant": tenant,
        "status": "done", "kind": text("kind", "train"), "gpus_per_node": num("gpus_per_node"),
        "cpus": num("cpus"), "memory_mb": num("memory_mb"), "gpu_model": text("gpu_model"),
        "priority": prio, "estimate_s": num("estimate_s", "", True),
        "time_limit_s": num("time_limit_s", "", True), "within": text("within"),
        "count": count, "min_count": min_count, "gpu_milli": gpu_milli,
        "gpu_memory_mb": num("gpu_memory_mb"),
    }
    return row

# name, command, env, workdir and grace_s have no trace column: not checked here.
table = [row_of(sp) for sp in rows]
pathlib.Path(out).write_text(",".join(table[0]) + "\n" +
                             "".join(",".join(t.values()) + "\n" for t in table))
print(len(table))
EOF

fleets=(examples/fleet-small.yaml examples/fleet-nvl72.yaml examples/fleet-8gpu.yaml
        examples/fleet-cpu.yaml)
njobs=0
for spec in "$GT_SRC"/examples/jobs/*.json; do
  [ -e "$spec" ] || continue
  njobs=$((njobs + 1))
  rel=examples/jobs/${spec##*/}
  # (1) The CLI's parser, offline: accepted, and printed back as it is in the file.
  # GANTRY_EXPORT=NONE: none of this shell's variables in the job's env (docs/cli.md).
  if ! (cd "$GT_SRC" && GANTRY_EXPORT=NONE "${TIMEOUT[@]}" gantry submit --dry-run "$rel") </dev/null \
       >"$tmp/dry.json" 2>"$tmp/dry.err"; then
    cat "$tmp/dry.json" >>"$tmp/dry.err"
    fail "$rel" "gantry submit --dry-run $rel failed" "$tmp/dry.err"
  elif ! msg=$(python3 -c 'import json, os, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
# A command without a workdir runs where it was submitted from: the CLI adds that folder.
if "command" in b and "workdir" not in b and a.get("workdir") == os.path.realpath(sys.argv[3]):
    del a["workdir"]
sys.exit(0 if a == b else "gantry submit --dry-run printed another document than the file: "
         + json.dumps(a, sort_keys=True))' "$tmp/dry.json" "$spec" "$GT_SRC" 2>&1); then
    fail "$rel" "$msg"
  fi
  ran=$((ran + 1))
  if ! msg=$(python3 "$tmp/spec2csv.py" "$spec" "$GT_SRC/src/core/jobspec.c" "$work/spec.csv" 2>&1); then
    fail "$rel" "$msg"
    continue
  fi
  nrows=$msg
  grep -qxF "$rel" "$shown" || fail "$rel" "not shown in any \`\`\`json block of docs/*.md"
  accepted="" log=$tmp/spec.log
  : >"$log"
  for f in "${fleets[@]}"; do
    # stdout: the JSON report; stderr: why a job was rejected (kept for the failure note).
    (cd "$work" && "${TIMEOUT[@]}" gantry-sim --cluster "$f" --trace spec.csv --json \
       </dev/null >"$tmp/spec.json" 2>>"$log") || continue
    if python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))[0]
sys.exit(0 if r["jobs"] == int(sys.argv[2]) and r["rejected"] == 0 else 1)' "$tmp/spec.json" "$nrows"; then
      accepted=$f
      break
    fi
  done
  ran=$((ran + 1))
  if [ -z "$accepted" ]; then
    fail "$rel" "rejected by every example fleet (${fleets[*]})" "$log"
  fi
done
[ $njobs -gt 0 ] || fail examples/jobs "no job spec examples found"

echo "test_docs: $ran checks ran, $skipped skipped, $failures failed"
[ $failures -eq 0 ]
