import '../helpers/setup';
import { test, beforeEach, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as vscode from 'vscode';

import { COMMANDS, Controller, CONTEXT_DATASET_DEFINITION, DOCUMENT_SELECTOR, SERVER_RUN, SERVER_RUN_WITH_NEEDS } from '../../src/controller';
import { INSTALL_COMMAND } from '../../src/binary';
import { FakeClient } from '../helpers/fake-client';
import { editor, MockDocument, reset, state, Task, Uri } from '../helpers/vscode-mock';

const fixture = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'study');
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

let tmp: string;
let study: string;
let ext: string;
let fakeOsls: string;
let controller: Controller | undefined;
const savedEnv = { ...process.env };

/** A fake osls: `check` prints canned JSON, anything else prints its arguments. */
function writeFakeOsls(dir: string): string {
  const p = path.join(dir, 'fake-osls');
  const json = JSON.stringify({
    diagnostics: [
      { file: 'codelists/codelists.txt', range: { start: { line: 2, column: 1 }, end: { line: 2, column: 39 } }, severity: 'error', code: 'CL022', message: 'not downloaded' },
      { file: 'project.yaml', range: { start: { line: 27, column: 13 }, end: { line: 27, column: 20 } }, severity: 'error', code: 'PY061', message: 'unknown action' },
    ],
  });
  fs.writeFileSync(
    p,
    `#!/bin/sh\nif [ "$1" = check ]; then echo '${json}'; exit 1; fi\nif [ "$1" = broken ]; then exit 2; fi\necho "$@"\n`,
  );
  fs.chmodSync(p, 0o755);
  return p;
}

function newController(): Controller {
  controller = new Controller({ extensionPath: ext, subscriptions: [] }, FakeClient.factory);
  return controller;
}

function lastClient(): FakeClient {
  const c = FakeClient.made[FakeClient.made.length - 1];
  assert.ok(c, 'a client was made');
  return c;
}

function task(i = -1): Task {
  const t = state.tasks.at(i);
  assert.ok(t, 'a task was run');
  return t;
}

const channel = (name: string) => state.channels.find((c) => c.name === name)!;

beforeEach(() => {
  reset();
  FakeClient.made = [];
  FakeClient.failWith = undefined;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'osls-vscode-'));
  study = path.join(tmp, 'study');
  fs.cpSync(fixture, study, { recursive: true });
  ext = path.join(tmp, 'ext');
  fs.mkdirSync(ext);
  fakeOsls = writeFakeOsls(tmp);
  process.env.PATH = '';
  process.env.HOME = tmp;
  delete process.env.GOPATH;
  delete process.env.GOBIN;
  state.folders = [study];
  state.config['osls.path'] = fakeOsls;
});

afterEach(() => {
  controller?.dispose();
  controller = undefined;
  process.env = { ...savedEnv };
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('in a workspace with a study, activation starts `osls serve` for project.yaml, codelists.txt and Python files', async () => {
  state.config['osls.opencodelistsUrl'] = 'http://127.0.0.1:9/';
  await newController().activate();
  const c = lastClient();
  assert.equal(c.started, 1);
  const so = c.serverOptions as { command: string; args: string[]; options: { env: Record<string, string> } };
  assert.equal(so.command, fakeOsls);
  assert.deepEqual(so.args, ['serve']);
  assert.equal(so.options.env.OPENCODELISTS_URL, 'http://127.0.0.1:9/');
  assert.deepEqual(c.clientOptions.documentSelector, DOCUMENT_SELECTOR);
  assert.deepEqual(DOCUMENT_SELECTOR, [
    { scheme: 'file', pattern: '**/project.yaml' },
    { scheme: 'file', pattern: '**/codelists.txt' },
    { scheme: 'file', language: 'python', pattern: '**/*.py' },
  ]);
  const status = state.statusItems[0];
  assert.match(status.text, /\$\(check\) osls/);
  assert.match(status.tooltip!, /osls test/);
  assert.match(status.tooltip!, /fake-osls \(setting\)/);
  assert.equal(status.command, COMMANDS.statusMenu);
});

test('every command in package.json is registered, and nothing else', async () => {
  await newController().activate();
  const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual([...state.commands.keys()].sort(), contributed);
  assert.deepEqual(Object.values(COMMANDS).sort(), contributed);
  // The server's own commands (its code lenses) are left for vscode-languageclient to register.
  assert.ok(!contributed.includes(SERVER_RUN));
});

test('without a study, the server waits for a study file; ordinary Python does not start it', async () => {
  const other = path.join(tmp, 'other');
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, 'script.py'), 'import pandas\n');
  fs.writeFileSync(path.join(other, 'defn.py'), 'from ehrql import create_dataset\n');
  state.folders = [other];
  await newController().activate();
  assert.equal(FakeClient.made.length, 0);
  assert.match(state.statusItems[0].text, /osls/);
  editor.open(path.join(other, 'script.py'));
  assert.equal(FakeClient.made.length, 0, 'an ordinary Python file does not start osls');
  editor.open(path.join(other, 'defn.py'));
  await controller!.ensureStarted();
  assert.equal(FakeClient.made.length, 1, 'a file importing ehrql does');
});

test('osls not found: a clear message with the fix, and the status bar says so', async () => {
  delete state.config['osls.path'];
  state.answerMessage = (m) => (m.kind === 'error' ? 'Copy Install Command' : undefined);
  await newController().activate();
  assert.equal(FakeClient.made.length, 0);
  const msg = state.shown.find((s) => s.kind === 'error');
  assert.ok(msg);
  assert.match(msg.message, /osls was not found/);
  assert.ok(msg.message.includes(INSTALL_COMMAND));
  assert.match(msg.message, /osls\.path/);
  assert.deepEqual(msg.items, ['Open Settings', 'Copy Install Command', 'Install Guide']);
  assert.equal(state.clipboard, INSTALL_COMMAND);
  assert.match(state.statusItems[0].text, /not found/);
  assert.ok(channel('osls').lines.some((l) => l.includes('looked in')));
  // Setting osls.path starts the server.
  editor.configure({ 'osls.path': fakeOsls });
  await new Promise((r) => setTimeout(r, 10));
  await controller!.ensureStarted();
  assert.equal(FakeClient.made.length, 1);
  assert.match(state.statusItems[0].text, /\$\(check\)/);
});

test('the binary bundled in the extension is used when there is no setting', async () => {
  delete state.config['osls.path'];
  const bundled = path.join(ext, 'bin', `${process.platform}-${process.arch}`, process.platform === 'win32' ? 'osls.exe' : 'osls');
  fs.mkdirSync(path.dirname(bundled), { recursive: true });
  fs.copyFileSync(fakeOsls, bundled);
  fs.chmodSync(bundled, 0o755);
  await newController().activate();
  assert.equal((lastClient().serverOptions as { command: string }).command, bundled);
  assert.match(state.statusItems[0].tooltip!, /\(bundled\)/);
});

test('a server that fails to start: error message, failed status, log', async () => {
  FakeClient.failWith = new Error('spawn EACCES');
  state.answerMessage = (m) => (m.items.includes('Show Server Log') ? 'Show Server Log' : undefined);
  await newController().activate();
  assert.match(state.statusItems[0].text, /\$\(error\)/);
  assert.ok(state.shown.some((s) => /osls failed to start: spawn EACCES/.test(s.message)));
  assert.equal(channel('osls').shown, 1);
});

test('the code lenses\' run commands run `osls run` in a terminal instead of in the server', async () => {
  await newController().activate();
  const mw = lastClient().clientOptions.middleware!;
  const projectUri = Uri.file(path.join(study, 'project.yaml')).toString();
  let forwarded = 0;
  const next = async () => {
    forwarded++;
  };
  await mw.executeCommand!(SERVER_RUN, [projectUri, 'analyse'], next);
  let t = task();
  assert.equal(t.execution.process, fakeOsls);
  assert.deepEqual(t.execution.args, ['run', '--no-needs', 'analyse']);
  assert.equal(t.execution.options?.cwd, study);
  assert.equal(t.definition.type, 'osls');
  await mw.executeCommand!(SERVER_RUN_WITH_NEEDS, [projectUri, 'report'], next);
  t = task();
  assert.deepEqual(t.execution.args, ['run', 'report']);
  assert.equal(t.name, 'run report with needs');
  // Other server commands go to the server.
  await mw.executeCommand!('osls.somethingElse', [], next);
  assert.equal(forwarded, 1);
});

test('Run Action from the palette: the action under the cursor, else one picked', async () => {
  await newController().activate();
  const project = editor.open(path.join(study, 'project.yaml'));
  project.isDirty = true;
  editor.focus(project, 27); // inside "report"
  await state.commands.get(COMMANDS.runAction)!();
  assert.deepEqual(task().execution.args, ['run', '--no-needs', 'report']);
  assert.equal(project.saved, 1, 'unsaved study files are saved before running');
  editor.focus(undefined);
  state.answerQuickPick = () => 'generate_dataset';
  await state.commands.get(COMMANDS.runActionWithNeeds)!();
  assert.deepEqual(task().execution.args, ['run', 'generate_dataset']);
  const offered = (state.quickPicks[0] as { label: string }[]).map((i) => i.label);
  assert.deepEqual(offered, ['generate_dataset', 'generate_measures', 'analyse', 'report']);
  // Dismissing the pick runs nothing.
  state.answerQuickPick = () => undefined;
  const before = state.tasks.length;
  await state.commands.get(COMMANDS.runAction)!();
  assert.equal(state.tasks.length, before);
});

test('Generate Dummy Data runs the ehrQL action of the open dataset definition', async () => {
  await newController().activate();
  const def = editor.open(path.join(study, 'analysis', 'dataset_definition.py'));
  editor.focus(def);
  assert.equal(state.context.get(CONTEXT_DATASET_DEFINITION), true);
  await state.commands.get(COMMANDS.generateDummyData)!();
  assert.deepEqual(task().execution.args, ['run', 'generate_dataset']);
  const measures = editor.open(path.join(study, 'analysis', 'measures_definition.py'));
  await state.commands.get(COMMANDS.generateDummyData)!(measures.uri);
  assert.deepEqual(task().execution.args, ['run', 'generate_measures']);
});

test('Generate Dummy Data on a definition no action runs prints a dummy dataset with osls generate-dataset', async () => {
  await newController().activate();
  const plain = editor.open(path.join(study, 'analysis', 'shared.py'));
  editor.focus(plain);
  await state.commands.get(COMMANDS.generateDummyData)!();
  const t = task();
  assert.deepEqual(t.execution.args, ['generate-dataset', 'analysis/shared.py']);
  assert.equal(t.execution.options?.cwd, study);
  // An ordinary file is not a dataset definition for the editor title.
  editor.focus(editor.open(path.join(study, 'analysis', 'analyse.py')));
  assert.equal(state.context.get(CONTEXT_DATASET_DEFINITION), false);
});

test('Generate Dummy Data from project.yaml: the ehrQL action under the cursor, else one picked', async () => {
  await newController().activate();
  const project = editor.open(path.join(study, 'project.yaml'));
  editor.focus(project, 11); // inside generate_measures
  await state.commands.get(COMMANDS.generateDummyData)!();
  assert.deepEqual(task().execution.args, ['run', 'generate_measures']);
  editor.focus(project, 20); // inside analyse, not an ehrQL action
  state.answerQuickPick = () => 'generate_dataset';
  await state.commands.get(COMMANDS.generateDummyData)!();
  assert.deepEqual(task().execution.args, ['run', 'generate_dataset']);
  assert.deepEqual((state.quickPicks[0] as { label: string }[]).map((i) => i.label), ['generate_dataset', 'generate_measures']);
});

test('Update Codelists runs `osls codelists update` for the study, with the OpenCodelists URL setting', async () => {
  state.config['osls.opencodelistsUrl'] = 'http://127.0.0.1:9';
  await newController().activate();
  const codelists = editor.open(path.join(study, 'codelists', 'codelists.txt'));
  editor.focus(codelists);
  await state.commands.get(COMMANDS.updateCodelists)!();
  const t = task();
  assert.deepEqual(t.execution.args, ['codelists', 'update', '-C', study, '--opencodelists-url', 'http://127.0.0.1:9']);
  assert.deepEqual(t.execution.options?.env, { OPENCODELISTS_URL: 'http://127.0.0.1:9' });
});

test('Check Project fills the Problems panel for the files that are not open', async () => {
  await newController().activate();
  editor.open(path.join(study, 'project.yaml')); // the server reports on this one
  state.answerMessage = (m) => (m.items.includes('Show Problems') ? 'Show Problems' : undefined);
  const diags = await state.commands.get(COMMANDS.checkProject)!(Uri.file(path.join(study, 'project.yaml')));
  assert.equal((diags as unknown[]).length, 2);
  const coll = state.collections.find((c) => c.name === 'osls check')!;
  const files = [...coll.entries.values()].map((e) => e.uri.fsPath);
  assert.deepEqual(files, [path.join(study, 'codelists', 'codelists.txt')]);
  const d = [...coll.entries.values()][0].diags[0];
  assert.equal(d.code, 'CL022');
  assert.equal(d.range.start.line, 1);
  const msg = state.shown.at(-1)!;
  assert.equal(msg.kind, 'error');
  assert.match(msg.message, /osls check: 2 errors in study/);
  assert.ok(state.executed.some((e) => e.command === 'workbench.actions.view.problems'));
  // Opening the file hands it to the server.
  editor.open(path.join(study, 'codelists', 'codelists.txt'));
  assert.equal(coll.entries.size, 0);
});

test('Show Server Log, Restart Server and the status menu', async () => {
  await newController().activate();
  await state.commands.get(COMMANDS.showServerLog)!();
  assert.equal(channel('osls').shown, 1);
  const first = lastClient();
  await state.commands.get(COMMANDS.restartServer)!();
  assert.equal(first.stopped, 1);
  assert.equal(FakeClient.made.length, 2);
  assert.equal(lastClient().started, 1);
  state.answerQuickPick = () => '$(output) Show Server Log';
  await state.commands.get(COMMANDS.statusMenu)!();
  assert.equal(channel('osls').shown, 2);
});

test('a dataset definition opened before the server knew it is sent when project.yaml starts running it', async () => {
  await newController().activate();
  const c = lastClient();
  const mw = c.clientOptions.middleware!;
  const report = editor.open(path.join(study, 'analysis', 'report.py')) as MockDocument;
  let opened = 0;
  await mw.didOpen!(report as unknown as vscode.TextDocument, async () => {
    opened++;
  });
  assert.equal(opened, 0);
  const project = editor.open(path.join(study, 'project.yaml'));
  editor.change(project, project.getText() + '  more:\n    run: ehrql:v1 generate-dataset analysis/report.py --output output/r.csv\n');
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(
    c.notifications.map((n) => [n.method, (n.params as { textDocument: { uri: string } }).textDocument.uri]),
    [['textDocument/didOpen', report.uri.toString()]],
  );
});
