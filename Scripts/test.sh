#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs the whole test suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
Scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
