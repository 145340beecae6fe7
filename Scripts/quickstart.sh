#!/usr/bin/env bash
# From a fresh clone to answered searches: install what is missing, build a release binary,
# index PLANS_DIR (default: Samples/), start the daemon in the background, run two example
# queries, and say how to go on. Running it again reuses the running daemon.
set -euo pipefail
caller=$(pwd)
cd "$(dirname "$0")/.."
root=$(pwd)
for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
  [[ -x "$dir/swift" ]] && { export PATH="$dir:$PATH"; break; }
done

# PLANS_DIR as the caller meant it: relative to where the script was run from.
plans_arg="${1:-$root/Samples}"
[[ "$plans_arg" == /* ]] || plans_arg="$caller/$plans_arg"
plans=$(cd "$plans_arg" 2>/dev/null && pwd) || { echo "quickstart: no directory $plans_arg" >&2; exit 2; }
state="${PLANSEARCH_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/plansearch}"
db="$state/db"
log="$state/daemon.log"
mkdir -p "$state"

echo "==> Installing what is missing (Scripts/setup.sh)"
PLANSEARCH_SETUP_EDITORS=0 Scripts/setup.sh

echo "==> Building a release binary"
if ! swift build -c release --product plansearch >"$state/build.log" 2>&1; then
  echo "The build failed; its output:" >&2
  cat "$state/build.log" >&2
  exit 1
fi
tail -n 1 "$state/build.log"
bin="$root/.build/release/plansearch"
export PLANSEARCH_SCHEMAS="$root/IndexSchemas"

# The daemon's default socket, as `plansearch` chooses it (SocketLocation.defaultPath).
socket_path() {
  if [[ -n "${PLANSEARCH_SOCKET:-}" ]]; then echo "$PLANSEARCH_SOCKET"
  elif [[ -n "${XDG_RUNTIME_DIR:-}" ]]; then echo "$XDG_RUNTIME_DIR/plansearch/plansearch.sock"
  else echo "${XDG_CACHE_HOME:-$HOME/.cache}/plansearch/plansearch.sock"; fi
}
socket=$(socket_path)

if "$bin" stats >/dev/null 2>&1; then
  echo "==> A daemon is already running on $socket: asking it to reindex $plans"
  if ! "$bin" reindex "$plans" >/dev/null 2>&1; then
    echo "    (that daemon does not index $plans; restart it with: kill \$(cat $state/daemon.pid); $0 $plans)"
  fi
else
  echo "==> Indexing $plans and starting the daemon (log: $log)"
  nohup "$bin" serve --db "$db" "$plans" >"$log" 2>&1 &
  echo $! >"$state/daemon.pid"
  for _ in $(seq 1 600); do
    "$bin" stats >/dev/null 2>&1 && break
    if ! kill -0 "$(cat "$state/daemon.pid")" 2>/dev/null; then
      echo "The daemon stopped; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
fi

echo
echo "==> Example: a Chinese word"
echo "\$ plansearch search 妇女"
"$bin" search --limit 3 妇女
echo
echo "==> Example: an exact phrase (found even where the PDF broke the line inside it)"
echo "\$ plansearch search '\"可持续发展目标\"'"
"$bin" search --limit 3 '"可持续发展目标"'

cat <<EOT

PlanSearch is running.
  Search:        $bin search QUERY...     (words, "phrases", -exclude, a OR b, doc:ID, heading:TEXT)
  For editors:   $bin search --vimgrep QUERY...
  Emacs, Neovim: Scripts/editors/ (see README.md, "From an editor")
  Reindex:       Scripts/reindex.sh
  Status:        $bin stats
  Stop:          kill \$(cat $state/daemon.pid)
EOT
