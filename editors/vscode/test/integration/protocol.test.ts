// Protocol-level integration test: the real osls binary driven through
// vscode-languageserver-protocol, the layer vscode-languageclient uses underneath, with the
// client capabilities VS Code announces. (VS Code itself cannot be downloaded here.)
//
// osls is built from this checkout with `go build` (or taken from $OSLS_BIN), and serves a
// copy of test/fixtures/study: initialize, diagnostics, completion, hover, a quick fix
// applied and re-checked, code lenses, the run command, and `osls check --format json` as the
// "Check Project" command reads it.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CodeActionKind,
  CodeActionRequest,
  CodeLensRequest,
  CompletionRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  RegistrationRequest,
  ShowMessageNotification,
  ShowMessageParams,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type CodeAction,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type InitializeResult,
  type MarkupContent,
  type ProtocolConnection,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { pathToFileURL } from 'url';

import { parseCheckJson } from '../../src/check';
import { ehrqlDefinitions } from '../../src/studies';

const extRoot = path.join(__dirname, '..', '..', '..');
const repoRoot = path.join(extRoot, '..', '..');
const fixture = path.join(extRoot, 'test', 'fixtures', 'study');

let tmp: string;
let osls: string;
let study: string;
let proc: ChildProcess;
let conn: ProtocolConnection;
let init: InitializeResult;
const diagnostics = new Map<string, PublishDiagnosticsParams[]>();
const diagnosticWaiters: (() => void)[] = [];
const shown: ShowMessageParams[] = [];
let stderr = '';

/** The capabilities VS Code 1.91 with vscode-languageclient announces, as far as osls reads them. */
const capabilities: ClientCapabilities = {
  workspace: {
    applyEdit: true,
    workspaceEdit: { documentChanges: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    executeCommand: { dynamicRegistration: true },
    workspaceFolders: true,
    configuration: true,
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true, willSave: true, willSaveWaitUntil: true },
    completion: {
      dynamicRegistration: true,
      contextSupport: true,
      completionItem: {
        snippetSupport: true,
        commitCharactersSupport: true,
        documentationFormat: ['markdown', 'plaintext'],
        deprecatedSupport: true,
        preselectSupport: true,
        insertReplaceSupport: true,
        labelDetailsSupport: true,
      },
    },
    hover: { dynamicRegistration: true, contentFormat: ['markdown', 'plaintext'] },
    definition: { dynamicRegistration: true, linkSupport: true },
    references: { dynamicRegistration: true },
    documentSymbol: { dynamicRegistration: true, hierarchicalDocumentSymbolSupport: true },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      codeActionLiteralSupport: {
        codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.rewrite', 'source', 'source.organizeImports'] },
      },
      resolveSupport: { properties: ['edit'] },
    },
    codeLens: { dynamicRegistration: true },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
  },
  window: { showMessage: { messageActionItem: { additionalPropertiesSupport: true } }, workDoneProgress: true, showDocument: { support: true } },
  general: { positionEncodings: ['utf-16'] },
};

function findOrBuildOsls(): string {
  if (process.env.OSLS_BIN) return process.env.OSLS_BIN;
  const out = path.join(tmp, process.platform === 'win32' ? 'osls.exe' : 'osls');
  execFileSync('go', ['build', '-o', out, './cmd/osls'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

function uriOf(rel: string): string {
  return pathToFileURL(path.join(study, rel)).href;
}

/** waitFor polls a condition that notifications make true, with a deadline. */
async function waitFor<T>(what: string, get: () => T | undefined, ms = 15000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server log:\n${stderr}`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 50);
      diagnosticWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

function latestDiagnostics(uri: string, version?: number): Diagnostic[] | undefined {
  const list = diagnostics.get(uri);
  const last = list?.[list.length - 1];
  if (!last) return undefined;
  if (version !== undefined && last.version !== undefined && last.version !== version) return undefined;
  return last.diagnostics;
}

/** positionOf returns the 0-based line and character just after `before` in the text. */
function positionOf(text: string, before: string): { line: number; character: number } {
  const i = text.indexOf(before);
  assert.ok(i >= 0, `fixture has ${JSON.stringify(before)}`);
  const upTo = text.slice(0, i + before.length).split('\n');
  return { line: upTo.length - 1, character: upTo[upTo.length - 1].length };
}

function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'osls-protocol-'));
  osls = findOrBuildOsls();
  study = path.join(tmp, 'study');
  fs.cpSync(fixture, study, { recursive: true });
  // No traffic leaves the machine: OpenCodelists is a closed port on loopback.
  proc = spawn(osls, ['serve'], {
    cwd: study,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, OPENCODELISTS_URL: 'http://127.0.0.1:9' },
  });
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    const list = diagnostics.get(p.uri) ?? [];
    list.push(p);
    diagnostics.set(p.uri, list);
    diagnosticWaiters.splice(0).forEach((w) => w());
  });
  conn.onNotification(ShowMessageNotification.type, (p) => {
    shown.push(p);
    diagnosticWaiters.splice(0).forEach((w) => w());
  });
  conn.onNotification('window/logMessage', () => {});
  conn.onRequest(RegistrationRequest.type, () => undefined);
  conn.listen();
  init = await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: 'Visual Studio Code', version: '1.91.0' },
    rootUri: pathToFileURL(study).href,
    workspaceFolders: [{ uri: pathToFileURL(study).href, name: 'study' }],
    capabilities,
    initializationOptions: { opencodelistsUrl: null },
  });
  await conn.sendNotification(InitializedNotification.type, {});
});

after(async () => {
  if (conn && proc.exitCode === null) {
    try {
      await conn.sendRequest(ShutdownRequest.type);
      await conn.sendNotification(ExitNotification.type);
    } catch {
      // reported by the shutdown test
    }
  }
  if (proc && proc.exitCode === null) {
    await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 3000).unref())]);
    if (proc.exitCode === null) proc.kill();
  }
  conn?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('initialize: osls announces the features the extension relies on', () => {
  assert.equal(init.serverInfo?.name, 'osls');
  const caps = init.capabilities;
  assert.ok(caps.completionProvider, 'completion');
  assert.ok(caps.hoverProvider, 'hover');
  assert.ok(caps.definitionProvider, 'definition');
  assert.ok(caps.codeActionProvider, 'code actions');
  assert.ok(caps.codeLensProvider, 'code lenses');
  assert.deepEqual(
    [...(caps.executeCommandProvider?.commands ?? [])].filter((c) => c.startsWith('osls.run')).sort(),
    ['osls.runAction', 'osls.runActionWithNeeds'],
  );
  const sync = caps.textDocumentSync as { openClose?: boolean; change?: number };
  assert.equal(sync.openClose, true);
});

const projectRel = 'project.yaml';
let projectText: string;
let unknownNeed: Diagnostic;

test('diagnostics: an unknown action in needs is reported where it is written', async () => {
  projectText = fs.readFileSync(path.join(study, projectRel), 'utf8');
  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: uriOf(projectRel), languageId: 'yaml', version: 1, text: projectText },
  });
  const diags = await waitFor('diagnostics of project.yaml', () => latestDiagnostics(uriOf(projectRel)));
  const found = diags.find((d) => d.code === 'PY061');
  assert.ok(found, `PY061 in ${JSON.stringify(diags)}`);
  unknownNeed = found;
  assert.equal(found.severity, 1);
  assert.match(String(found.message), /analyze/);
  const at = positionOf(projectText, 'report.py\n    needs: [');
  assert.equal(found.range.start.line, at.line);
  assert.equal(found.range.start.character, at.character);
});

test('completion: needs offers the other actions', async () => {
  const pos = positionOf(projectText, 'report.py\n    needs: [');
  const res = (await conn.sendRequest(CompletionRequest.type, {
    textDocument: { uri: uriOf(projectRel) },
    position: pos,
    context: { triggerKind: 1 },
  })) as CompletionList | CompletionItem[] | null;
  assert.ok(res);
  const items = Array.isArray(res) ? res : res.items;
  const labels = items.map((i) => i.label);
  assert.ok(labels.includes('analyse'), labels.join(', '));
  assert.ok(labels.includes('generate_dataset'), labels.join(', '));
  assert.ok(!labels.includes('report'), 'an action does not need itself');
});

test('hover: the run key is documented', async () => {
  const pos = positionOf(projectText, '  analyse:\n    ru');
  const res = await conn.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(projectRel) }, position: pos });
  assert.ok(res, 'a hover');
  const contents = res.contents as MarkupContent;
  assert.equal(contents.kind, 'markdown');
  assert.ok(contents.value.length > 20, contents.value);
});

test('code action: the quick fix for the unknown action, applied, clears the error', async () => {
  const res = await conn.sendRequest(CodeActionRequest.type, {
    textDocument: { uri: uriOf(projectRel) },
    range: unknownNeed.range,
    context: { diagnostics: [unknownNeed], only: [CodeActionKind.QuickFix], triggerKind: 1 },
  });
  assert.ok(res && res.length > 0, 'a quick fix');
  const fix = res.find((a) => (a as CodeAction).kind === CodeActionKind.QuickFix) as CodeAction;
  assert.ok(fix, JSON.stringify(res));
  assert.match(fix.title, /analyse/);
  const edits = fix.edit?.changes?.[uriOf(projectRel)];
  assert.ok(edits && edits.length > 0, JSON.stringify(fix.edit));
  const fixed = applyEdits(projectText, edits);
  assert.ok(fixed.includes('needs: [analyse]'));
  await conn.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: uriOf(projectRel), version: 2 },
    contentChanges: [{ text: fixed }],
  });
  const after = await waitFor('diagnostics of version 2', () => {
    const list = diagnostics.get(uriOf(projectRel)) ?? [];
    const last = list[list.length - 1];
    return last && last.version === 2 ? last.diagnostics : undefined;
  });
  assert.ok(!after.some((d) => d.code === 'PY061'), JSON.stringify(after));
  projectText = fixed;
});

test('code lenses: Run and Run with needs above every action', async () => {
  const lenses = await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: uriOf(projectRel) } });
  assert.ok(lenses);
  const run = lenses.filter((l) => l.command?.command === 'osls.runAction').map((l) => l.command!.arguments![1]);
  assert.deepEqual(run, ['generate_dataset', 'generate_measures', 'analyse', 'report']);
  const first = lenses.find((l) => l.command?.command === 'osls.runAction')!;
  assert.equal(first.command!.arguments![0], uriOf(projectRel));
});

test('executeCommand: osls.runAction answers with a message for the user', async () => {
  const before = shown.length;
  const res = (await conn.sendRequest(ExecuteCommandRequest.type, {
    command: 'osls.runAction',
    arguments: [uriOf(projectRel), 'analyse'],
  })) as { ran: boolean; message: string };
  assert.equal(typeof res.ran, 'boolean');
  assert.ok(res.message.length > 0);
  const msg = await waitFor('a window/showMessage', () => (shown.length > before ? shown[shown.length - 1] : undefined));
  assert.ok(msg.message.includes('analyse'), msg.message);
  // A malformed call is an error, not a crash.
  await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command: 'osls.runAction', arguments: [] }));
});

test('dataset definition: an unknown column is reported, and completion after "patients." offers columns', async () => {
  const rel = 'analysis/dataset_definition.py';
  assert.ok(ehrqlDefinitions(projectText).has(rel), 'the gate would forward it');
  const text = fs.readFileSync(path.join(study, rel), 'utf8').replace('dataset.sex = patients.sex', 'dataset.sex = patients.sexx');
  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: uriOf(rel), languageId: 'python', version: 1, text },
  });
  const diags = await waitFor('diagnostics of the dataset definition', () => {
    const d = latestDiagnostics(uriOf(rel));
    return d && d.length > 0 ? d : undefined;
  });
  const unknown = diags.find((d) => d.code === 'EQ002');
  assert.ok(unknown, JSON.stringify(diags));
  assert.equal(unknown.range.start.line, positionOf(text, 'dataset.sex = ').line);
  const res = (await conn.sendRequest(CompletionRequest.type, {
    textDocument: { uri: uriOf(rel) },
    position: positionOf(text, 'dataset.sex = patients.'),
    context: { triggerKind: 2, triggerCharacter: '.' },
  })) as CompletionList | CompletionItem[] | null;
  assert.ok(res);
  const labels = (Array.isArray(res) ? res : res.items).map((i) => i.label);
  assert.ok(labels.includes('sex') && labels.includes('date_of_birth'), labels.join(', '));
});

test('codelists.txt: a listed codelist that was never downloaded is reported', async () => {
  const rel = 'codelists/codelists.txt';
  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: uriOf(rel), languageId: 'opensafely-codelists', version: 1, text: fs.readFileSync(path.join(study, rel), 'utf8') },
  });
  const diags = await waitFor('diagnostics of codelists.txt', () => {
    const d = latestDiagnostics(uriOf(rel));
    return d && d.length > 0 ? d : undefined;
  });
  assert.ok(diags.some((d) => String(d.code).startsWith('CL02')), JSON.stringify(diags));
});

test('osls check --format json is what the Check Project command reads', () => {
  let out: string;
  try {
    out = execFileSync(osls, ['check', study, '--format', 'json', '--min-severity', 'hint'], { encoding: 'utf8' });
  } catch (err) {
    const e = err as { status: number; stdout: string };
    assert.equal(e.status, 1, 'exit 1: errors found');
    out = e.stdout;
  }
  const diags = parseCheckJson(out, study);
  const codes = diags.map((d) => `${path.relative(study, d.file).split(path.sep).join('/')} ${d.code}`);
  assert.ok(codes.includes('project.yaml PY061'), codes.join('\n'));
  assert.ok(codes.some((c) => c.startsWith('codelists/codelists.txt CL')), codes.join('\n'));
  const py061 = diags.find((d) => d.code === 'PY061')!;
  assert.deepEqual([py061.startLine, py061.startCharacter], [unknownNeed.range.start.line, unknownNeed.range.start.character]);
});

test('osls generate-dataset prints the dummy dataset that Generate Dummy Data shows', () => {
  const out = execFileSync(osls, ['generate-dataset', 'analysis/dataset_definition.py', '--population-size', '5'], {
    cwd: study,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = out.trim().split(/\r?\n/);
  assert.equal(lines[0], 'patient_id,sex');
  assert.equal(lines.length, 6, out);
});

test('shutdown and exit: the server stops cleanly', async () => {
  await conn.sendRequest(ShutdownRequest.type);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await conn.sendNotification(ExitNotification.type);
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 5000).unref())]);
  assert.equal(code, 0, stderr);
});
