#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, test and run PlanSearch.
# Idempotent and quiet when everything is already there; uses sudo when not root.
set -euo pipefail

# Debian packages, and why each is needed:
#   libxapian-dev   the search engine library (headers, pkg-config xapian-core)
#   xapian-tools    xapian-delve / xapian-check for looking inside an index; xapian-tcpsrv
#   libopencc-dev   traditional-to-simplified Chinese folding (analyzer)
#   python3-jieba   ships the open Chinese lexicon with frequencies (dict.txt) the analyzer loads
#   pkg-config      how SwiftPM finds libxapian and OpenCC
#   g++             the C++ shim over libxapian
packages=(libxapian-dev xapian-tools libopencc-dev python3-jieba pkg-config g++)
# Editors are only needed for the editor-client tests.
if [[ "${PLANSEARCH_SETUP_EDITORS:-1}" == "1" ]]; then
  packages+=(emacs-nox neovim)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  # apt's chatter goes to a log that is shown only when something fails.
  if ! { "${sudo[@]}" apt-get update -qq && \
         "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "setup: apt-get failed" >&2
    exit 1
  fi
  rm -f "$log"
fi

if ! command -v swift >/dev/null; then
  for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
    [[ -x "$dir/swift" ]] && { echo "setup: swift is at $dir; add it to PATH" >&2; exit 1; }
  done
  echo "setup: Swift 6 toolchain not found (https://www.swift.org/install/linux/)" >&2
  exit 1
fi

pkg-config --exists xapian-core opencc || { echo "setup: pkg-config cannot find xapian-core or opencc" >&2; exit 1; }
