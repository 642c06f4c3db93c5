#!/usr/bin/env bash
# Builds osls from this checkout for a VS Code target (default linux-x64) into OUT, stripped
# and stamped with the checkout's version. osls uses cgo (tree-sitter), so a target other than
# the machine's own needs a C cross compiler in CC.
# Usage: scripts/build-osls.sh OUT [TARGET]
set -euo pipefail
out="$1"
target="${2:-linux-x64}"
case "$target" in
  linux-x64) goos=linux goarch=amd64 ;;
  linux-arm64) goos=linux goarch=arm64 ;;
  darwin-x64) goos=darwin goarch=amd64 ;;
  darwin-arm64) goos=darwin goarch=arm64 ;;
  win32-x64) goos=windows goarch=amd64 ;;
  win32-arm64) goos=windows goarch=arm64 ;;
  *) echo "build-osls.sh: unsupported target $target" >&2; exit 2 ;;
esac
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
rev="$(git -C "$repo" describe --tags --always --dirty 2>/dev/null || echo dev)"
mkdir -p "$(dirname "$out")"
cd "$repo"
GOOS="$goos" GOARCH="$goarch" CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=$rev" -o "$out" ./cmd/osls
