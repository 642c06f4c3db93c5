#!/usr/bin/env bash
# npm run package [-- TARGET]: puts osls for the target (default linux-x64) into
# bin/<target>/osls, bundles the extension with esbuild (vscode:prepublish) and runs
# `vsce package --target <target>`. The .vsix lands in dist/.
# OSLS_BIN=/path/to/osls packages that binary instead of building one from this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-${VSCE_TARGET:-linux-x64}}"
exe=osls
case "$target" in win32-*) exe=osls.exe ;; esac
version="$(node -p 'require("./package.json").version')"

rm -rf bin
mkdir -p "bin/$target" dist
if [ -n "${OSLS_BIN:-}" ]; then
  cp "$OSLS_BIN" "bin/$target/$exe"
else
  bash scripts/build-osls.sh "bin/$target/$exe" "$target"
fi
chmod +x "bin/$target/$exe"

out="dist/osls-$target-$version.vsix"
rm -f "$out"
npx --no-install vsce package --target "$target" --no-dependencies --skip-license --out "$out"
echo "package.sh: wrote $out"
