#!/usr/bin/env bash
# A two-shard cluster on one machine: index the corpus into 2 shards, serve each shard with
# Xapian's own xapian-tcpsrv on a loopback port, run the daemon over both, ask it questions,
# stop one shard to show a partial answer, then stop everything.
#   Scripts/cluster-demo.sh [PLANS_DIR]   (default: ../shared/corpus, else Samples/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
plans="${1:-}"
if [[ -z "$plans" ]]; then
  if [[ -d ../shared/corpus ]]; then plans=../shared/corpus; else plans=Samples; fi
fi
plans=$(cd "$plans" && pwd)

PLANSEARCH_SETUP_EDITORS=0 Scripts/setup.sh
swift build -c release --product plansearch 2>&1 | tail -n 1
bin="$root/.build/release/plansearch"
export PLANSEARCH_SCHEMAS="$root/IndexSchemas"

work=$(mktemp -d /tmp/plansearch-cluster.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  pkill -9 -f "xapian-tcpsrv --interface 127.0.0.1 --port [0-9]* $work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> Indexing $plans into 2 shards"
"$bin" index --db "$work/db" --shards 2 "$plans" | tail -n 2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port0=$(free_port); port1=$(free_port)
echo "==> Serving shard-0 on 127.0.0.1:$port0 and shard-1 on 127.0.0.1:$port1 (xapian-tcpsrv: loopback only, no authentication)"
xapian-tcpsrv --interface 127.0.0.1 --port "$port0" "$work/db/shard-0" >/dev/null 2>&1 & pids+=($!); disown
xapian-tcpsrv --interface 127.0.0.1 --port "$port1" "$work/db/shard-1" >/dev/null 2>&1 & shard1=$!; pids+=($shard1); disown
cat >"$work/cluster.json" <<EOT
{"shards": [{"remote": "127.0.0.1:$port0", "timeout_ms": 1000},
            {"remote": "127.0.0.1:$port1", "timeout_ms": 1000}],
 "retry_seconds": 2}
EOT
sleep 0.5

echo "==> Starting the daemon over the cluster"
"$bin" serve --cluster "$work/cluster.json" --socket "$work/s.sock" --log-level warning & pids+=($!); disown
for _ in $(seq 1 100); do "$bin" stats --socket "$work/s.sock" >/dev/null 2>&1 && break; sleep 0.1; done

echo; echo "\$ plansearch search 国贸中心 妇女"
"$bin" search --socket "$work/s.sock" --limit 3 国贸中心 妇女
echo; echo "\$ plansearch search '\"可持续发展目标\"'"
"$bin" search --socket "$work/s.sock" --limit 3 '"可持续发展目标"'

echo; echo "==> Stopping shard-1: the daemon answers from shard-0 and says what is missing"
pkill -9 -P "$shard1" 2>/dev/null || true; kill -9 "$shard1"
"$bin" search --socket "$work/s.sock" --json --limit 1 妇女 | python3 -c 'import json,sys; r=json.load(sys.stdin); print("partial:", r.get("partial"), "missing_shards:", r.get("missing_shards"), "hits:", len(r["hits"]))'
echo; echo "==> Done; stopping everything."
