import '../helpers/setup';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

test('activation: a workspace with project.yaml, YAML, Python and codelists.txt', () => {
  assert.deepEqual(manifest.activationEvents, [
    'workspaceContains:project.yaml',
    'onLanguage:yaml',
    'onLanguage:python',
    'onLanguage:opensafely-codelists',
  ]);
  assert.deepEqual(manifest.contributes.languages[0].filenames, ['codelists.txt']);
  assert.equal(manifest.main, './dist/extension.js');
  assert.deepEqual(manifest.extensionKind, ['workspace'], 'runs beside the files, also in Codespaces');
});

test('every menu entry names a contributed command; the editor title has the study commands', () => {
  const ids = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
  const title = manifest.contributes.menus['editor/title'] as { command: string; when: string }[];
  for (const entries of Object.values(manifest.contributes.menus) as { command: string }[][]) {
    for (const e of entries) assert.ok(ids.has(e.command), e.command);
  }
  for (const c of [
    'opensafely.checkProject',
    'opensafely.runAction',
    'opensafely.runActionWithNeeds',
    'opensafely.generateDummyData',
    'opensafely.updateCodelists',
    'opensafely.showServerLog',
  ]) {
    assert.ok(ids.has(c), c);
    assert.ok(title.some((e) => e.command === c), `${c} in the editor title`);
  }
  for (const c of manifest.contributes.commands) {
    assert.equal(c.category, 'OpenSAFELY');
  }
});

test('settings: binary path, OpenCodelists URL, trace level', () => {
  const props = manifest.contributes.configuration.properties;
  assert.deepEqual(Object.keys(props).sort(), ['osls.opencodelistsUrl', 'osls.path', 'osls.trace.server']);
  assert.deepEqual(props['osls.trace.server'].enum, ['off', 'messages', 'compact', 'verbose']);
  assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['osls.path']);
});

test('versions are pinned, @types/vscode matches engines.vscode, the lockfile has no download addresses', () => {
  for (const [name, v] of Object.entries(manifest.devDependencies as Record<string, string>)) {
    assert.match(v, /^\d+\.\d+\.\d+$/, `${name} is pinned`);
  }
  assert.equal(manifest.engines.vscode, '^' + manifest.devDependencies['@types/vscode']);
  const text = fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8');
  const urls = text.match(/"resolved":\s*"[^"]*"/g) ?? [];
  for (const u of urls) assert.match(u, /"https:\/\/registry\.npmjs\.org\//);
  assert.equal(lock.packages[''].devDependencies['vscode-languageclient'], manifest.devDependencies['vscode-languageclient']);
});

test('the .vsix holds the bundle and the binary, not the sources or node_modules', () => {
  const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n');
  assert.ok(ignore.includes('**'));
  assert.ok(ignore.includes('!dist/extension.js'));
  assert.ok(ignore.includes('!bin/**'));
  const gitignore = fs.readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n');
  for (const p of ['node_modules/', 'out/', 'dist/', 'bin/', '*.vsix']) assert.ok(gitignore.includes(p), p);
});
