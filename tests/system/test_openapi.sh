#!/usr/bin/env bash
# docs/openapi.yaml describes exactly the routes gantryd serves: the route table in
# src/ctld/routes.def and the paths/methods of the document must be the same set.
set -euo pipefail
src=${GT_SRC:?}
served=$(sed -n 's/^CTLD_ROUTE([A-Z_]*, "\(GET\|POST\|PATCH\|PUT\|DELETE\)", "\([^"]*\)".*/\1 \2/p' "$src/src/ctld/routes.def" |
  sed 's/{}/{x}/g' | sort)
documented=$(python3 - "$src/docs/openapi.yaml" <<'PY'
import re, sys
path = None
for line in open(sys.argv[1]):
    m = re.match(r"^  (/\S*):\s*$", line)
    if m:
        path = re.sub(r"\{[^}]*\}", "{x}", m.group(1))
        continue
    m = re.match(r"^    (get|post|put|delete|patch):", line)
    if m and path:
        print(m.group(1).upper(), path)
    if re.match(r"^\S", line):
        path = None
PY
)
documented=$(sort <<<"$documented")
if [ "$served" != "$documented" ]; then
  echo "test_openapi: FAIL: routes.def and docs/openapi.yaml differ (< served, > documented):"
  diff <(echo "$served") <(echo "$documented") || true
  exit 1
fi
n=$(wc -l <<<"$served")
[ "$n" -ge 15 ] || { echo "test_openapi: FAIL: only $n routes found; parser broken?"; exit 1; }
echo "test_openapi: $n routes, all documented"
