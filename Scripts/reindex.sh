#!/usr/bin/env bash
# Reindex after plans change: asks the running daemon (which keeps serving searches meanwhile),
# or indexes directly when no daemon runs. Prints the summary; exits non-zero on failure.
# Suitable for cron and for a git post-merge hook (see Scripts/git-hooks/post-merge).
#
#   Scripts/reindex.sh [PATH...]      PATHs default to everything the daemon indexes
#   PLANSEARCH_DB=DIR                 index used when no daemon runs (default ~/.cache/plansearch/db)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="${PLANSEARCH_BIN:-}"
if [[ -z "$bin" ]]; then
  for candidate in "$root/.build/release/plansearch" "$root/.build/debug/plansearch" "$(command -v plansearch || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] && { bin="$candidate"; break; }
  done
fi
[[ -n "$bin" ]] || { echo "reindex: no plansearch binary; run: swift build -c release" >&2; exit 2; }
export PLANSEARCH_SCHEMAS="${PLANSEARCH_SCHEMAS:-$root/IndexSchemas}"

paths=()
for p in "$@"; do paths+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"); done

if "$bin" stats >/dev/null 2>&1; then
  "$bin" reindex "${paths[@]}"
else
  [[ ${#paths[@]} -gt 0 ]] || { echo "reindex: no daemon runs; give the paths to index" >&2; exit 2; }
  db="${PLANSEARCH_DB:-${XDG_CACHE_HOME:-$HOME/.cache}/plansearch/db}"
  "$bin" index --db "$db" --json "${paths[@]}"
fi
