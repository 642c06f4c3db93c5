import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';

import { bundledPath, expandSetting, findOsls, INSTALL_COMMAND, isFound, LookupEnv } from '../../src/binary';

function env(files: string[], over: Partial<LookupEnv> = {}): LookupEnv {
  const set = new Set(files);
  return {
    platform: 'linux',
    arch: 'x64',
    extensionPath: '/ext',
    setting: '',
    env: { PATH: '/usr/local/bin:/usr/bin', HOME: '/home/r' },
    isExecutable: (p) => set.has(p),
    ...over,
  };
}

test('the osls.path setting comes first', () => {
  const r = findOsls(env(['/opt/osls', '/ext/bin/linux-x64/osls', '/usr/bin/osls'], { setting: '/opt/osls' }));
  assert.deepEqual(r, { path: '/opt/osls', source: 'setting' });
});

test('a setting that points nowhere is an error with a fix, not a silent fallback', () => {
  const r = findOsls(env(['/ext/bin/linux-x64/osls'], { setting: '/nope/osls' }));
  assert.ok(!isFound(r));
  assert.match(r.error, /osls\.path setting points to \/nope\/osls/);
  assert.match(r.fix, /Correct the osls\.path setting/);
});

test('a bare command name in the setting is looked up on PATH', () => {
  const r = findOsls(env(['/usr/bin/osls'], { setting: 'osls' }));
  assert.deepEqual(r, { path: '/usr/bin/osls', source: 'setting' });
});

test('the bundled binary for the platform comes before PATH', () => {
  assert.equal(bundledPath('/ext', 'linux', 'x64'), path.join('/ext', 'bin', 'linux-x64', 'osls'));
  const r = findOsls(env([path.join('/ext', 'bin', 'linux-x64', 'osls'), '/usr/bin/osls']));
  assert.deepEqual(r, { path: path.join('/ext', 'bin', 'linux-x64', 'osls'), source: 'bundled' });
  // Another platform's binary is not used.
  const mac = findOsls(env([path.join('/ext', 'bin', 'linux-x64', 'osls'), '/usr/bin/osls'], { platform: 'darwin', arch: 'arm64' }));
  assert.deepEqual(mac, { path: '/usr/bin/osls', source: 'path' });
});

test('PATH, in order, then Go\'s bin folder', () => {
  assert.deepEqual(findOsls(env(['/usr/local/bin/osls', '/usr/bin/osls'])), { path: '/usr/local/bin/osls', source: 'path' });
  assert.deepEqual(findOsls(env([path.join('/home/r', 'go', 'bin', 'osls')])), {
    path: path.join('/home/r', 'go', 'bin', 'osls'),
    source: 'go',
  });
  const gobin = findOsls(env(['/gb/osls'], { env: { PATH: '', GOBIN: '/gb' } }));
  assert.deepEqual(gobin, { path: '/gb/osls', source: 'go' });
});

test('Windows: osls.exe, PATHEXT and the bundled win32 folder', () => {
  const win = (files: string[]) =>
    env(files, { platform: 'win32', env: { PATH: 'C:\\tools;C:\\bin', PATHEXT: '.COM;.EXE' } });
  assert.deepEqual(findOsls(win([path.join('C:\\bin', 'osls.exe')])), { path: path.join('C:\\bin', 'osls.exe'), source: 'path' });
  assert.deepEqual(findOsls(win([path.join('/ext', 'bin', 'win32-x64', 'osls.exe')])), {
    path: path.join('/ext', 'bin', 'win32-x64', 'osls.exe'),
    source: 'bundled',
  });
});

test('nothing found: the message says what was missing and how to install it', () => {
  const r = findOsls(env([]));
  assert.ok(!isFound(r));
  assert.match(r.error, /osls was not found.*linux-x64.*PATH/);
  assert.ok(r.fix.includes(INSTALL_COMMAND));
  assert.ok(r.fix.includes('osls.path'));
  assert.ok(r.tried.includes(path.join('/ext', 'bin', 'linux-x64', 'osls')));
});

test('expandSetting handles ~, ${workspaceFolder}, ${env:X} and workspace-relative paths', () => {
  const e = env([], { workspaceFolder: '/ws', env: { HOME: '/home/r', TOOLS: '/t' } });
  assert.equal(expandSetting('~/bin/osls', e), path.join('/home/r', 'bin/osls'));
  assert.equal(expandSetting('${workspaceFolder}/bin/osls', e), '/ws/bin/osls');
  assert.equal(expandSetting('${env:TOOLS}/osls', e), '/t/osls');
  assert.equal(expandSetting('bin/osls', e), path.join('/ws', 'bin/osls'));
  assert.equal(expandSetting('osls', e), 'osls');
});
