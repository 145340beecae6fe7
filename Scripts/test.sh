#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs the whole test suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
  [[ -x "$dir/swift" ]] && { export PATH="$dir:$PATH"; break; }
done
Scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
