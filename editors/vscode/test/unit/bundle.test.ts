// The esbuild bundle (what the .vsix ships) loads with only `vscode` external, and activates.
import '../helpers/setup';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { reset, state } from '../helpers/vscode-mock';

const bundle = path.join(__dirname, '..', '..', '..', 'dist', 'extension.js');

test('dist/extension.js activates and deactivates', { skip: !fs.existsSync(bundle) && 'run npm run bundle first' }, async () => {
  reset();
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'osls-bundle-'));
  state.folders = [empty];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ext = require(bundle) as { activate: (c: unknown) => Promise<void>; deactivate: () => Promise<void> };
    const subscriptions: { dispose(): void }[] = [];
    await ext.activate({ extensionPath: empty, subscriptions });
    assert.ok(state.commands.has('opensafely.checkProject'));
    assert.equal(subscriptions.length, 1);
    await ext.deactivate();
    subscriptions.forEach((s) => s.dispose());
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
