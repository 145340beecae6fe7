#!/usr/bin/env bash
# Reindex after plans change: asks the running daemon (which keeps serving searches meanwhile),
# or indexes directly when no daemon runs. Prints the summary; exits non-zero on failure.
# Suitable for cron and for a git post-merge hook (see Scripts/git-hooks/post-merge).
#
#   Scripts/reindex.sh [PATH...]      PATHs default to everything the daemon indexes
#   PLANSEARCH_DB=DIR                 index used when no daemon runs (default ~/.cache/plansearch/db)
#   PLANSEARCH_SOCKET=PATH            the daemon's socket, when not the default. Cron sets no
#                                     XDG_RUNTIME_DIR: then a daemon of the user's login session
#                                     (/run/user/UID/plansearch/plansearch.sock) is found there.
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

# Absolute paths without cd-ing into them: a file whose folder was deleted is still named (the
# daemon then drops it from the index).
paths=()
for p in "$@"; do
  if [[ "$p" == /* ]]; then paths+=("$p"); else paths+=("$PWD/$p"); fi
done

if [[ -z "${PLANSEARCH_SOCKET:-}" && -z "${XDG_RUNTIME_DIR:-}" ]]; then
  session="/run/user/$(id -u)/plansearch/plansearch.sock"
  [[ -S "$session" ]] && export PLANSEARCH_SOCKET="$session"
fi

if "$bin" stats >/dev/null 2>&1; then
  "$bin" reindex "${paths[@]}"
else
  [[ ${#paths[@]} -gt 0 ]] || { echo "reindex: no daemon runs; give the paths to index" >&2; exit 2; }
  db="${PLANSEARCH_DB:-${XDG_CACHE_HOME:-$HOME/.cache}/plansearch/db}"
  "$bin" index --db "$db" --json "${paths[@]}"
fi
