#!/usr/bin/env bash
# CI for the VS Code extension (editors/vscode): installs the locked npm packages, builds osls
# from this checkout, type-checks and bundles the extension, runs the unit tests (vscode
# mocked), the protocol-level integration test against the real osls, and packages a
# linux-x64 .vsix with that osls inside (editors/vscode/dist/). Needs Node 20+, npm and Go.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS=0

echo "== vscode: npm ci"
npm ci --no-audit --no-fund

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "== vscode: go build osls (linux-x64)"
bash scripts/build-osls.sh "$tmp/osls" linux-x64
export OSLS_BIN="$tmp/osls"
"$OSLS_BIN" version

echo "== vscode: type-check and bundle"
npx --no-install tsc -p .
node scripts/bundle.mjs

echo "== vscode: unit tests"
node --test --test-reporter=spec out/test/unit/

echo "== vscode: protocol-level integration test (osls serve)"
node --test --test-reporter=spec out/test/integration/

echo "== vscode: package"
bash scripts/package.sh linux-x64
vsix="dist/osls-linux-x64-$(node -p 'require("./package.json").version').vsix"
node -e '
const fs = require("fs");
const buf = fs.readFileSync(process.argv[1]);
// The zip central directory names every file: the binary must be inside.
if (!buf.includes(Buffer.from("extension/bin/linux-x64/osls"))) { console.error("no osls in " + process.argv[1]); process.exit(1); }
if (!buf.includes(Buffer.from("extension/dist/extension.js"))) { console.error("no bundle in " + process.argv[1]); process.exit(1); }
console.log(process.argv[1] + ": " + (buf.length / 1048576).toFixed(1) + " MiB, with extension/bin/linux-x64/osls");
' "$vsix"
echo "== vscode: done in ${SECONDS}s"
