import '../helpers/setup';
import { test, beforeEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type * as vscode from 'vscode';

import { DatasetDefinitionGate, textDocumentUri } from '../../src/gate';
import { findStudyRoot } from '../../src/studies';
import { MockDocument, reset } from '../helpers/vscode-mock';

const study = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'study');

interface Harness {
  gate: DatasetDefinitionGate;
  sentOpens: string[];
  next: string[];
  projectText: { value: string | undefined };
}

function harness(): Harness {
  const sentOpens: string[] = [];
  const projectText = { value: fs.readFileSync(path.join(study, 'project.yaml'), 'utf8') as string | undefined };
  const gate = new DatasetDefinitionGate({
    studyRootOf: (p) => findStudyRoot(p, (f) => fs.existsSync(f)),
    projectText: () => projectText.value,
    sendDidOpen: async (doc) => {
      sentOpens.push(path.basename(doc.uri.fsPath));
    },
  });
  return { gate, sentOpens, next: [], projectText };
}

function doc(rel: string, text?: string, languageId?: string): vscode.TextDocument {
  const p = path.join(study, rel);
  const lang = languageId ?? (p.endsWith('.py') ? 'python' : p.endsWith('.yaml') ? 'yaml' : 'plaintext');
  return new MockDocument(p, text ?? fs.readFileSync(p, 'utf8'), lang) as unknown as vscode.TextDocument;
}

async function open(h: Harness, d: vscode.TextDocument): Promise<boolean> {
  let forwarded = false;
  await h.gate.middleware().didOpen!(d, async () => {
    forwarded = true;
  });
  return forwarded;
}

beforeEach(() => reset());

test('project.yaml and codelists.txt always go to the server', async () => {
  const h = harness();
  assert.equal(await open(h, doc('project.yaml')), true);
  assert.equal(await open(h, doc('codelists/codelists.txt')), true);
});

test('a Python file that imports ehrql goes to the server', async () => {
  const h = harness();
  const d = doc('analysis/dataset_definition.py');
  assert.equal(await open(h, d), true);
  assert.equal(h.gate.knows(d.uri.toString()), true);
});

test('a Python file that project.yaml runs with ehrql goes to the server, though it does not import ehrql', async () => {
  const h = harness();
  assert.equal(await open(h, doc('analysis/measures_definition.py')), true);
});

test('an ordinary Python file is left to the Python extension', async () => {
  const h = harness();
  const d = doc('analysis/analyse.py');
  assert.equal(await open(h, d), false);
  assert.equal(h.gate.knows(d.uri.toString()), false);
  // Its changes, saves and closes are not sent either.
  const mw = h.gate.middleware();
  let sent = 0;
  const next = async () => {
    sent++;
  };
  await mw.didChange!({ document: d, contentChanges: [], reason: undefined } as vscode.TextDocumentChangeEvent, next);
  await mw.didSave!(d, next);
  await mw.didClose!(d, next);
  assert.equal(sent, 0);
  assert.deepEqual(h.sentOpens, []);
});

test('requests about a Python file the server does not know are answered here with nothing', async () => {
  const h = harness();
  const plain = doc('analysis/analyse.py');
  const def = doc('analysis/dataset_definition.py');
  await open(h, plain);
  await open(h, def);
  const mw = h.gate.middleware();
  const calls: string[] = [];
  const next = async (type: unknown) => {
    calls.push(String(type));
    return 'from server' as never;
  };
  const ask = (uri: string) =>
    mw.sendRequest!('textDocument/completion', { textDocument: { uri }, position: { line: 0, character: 0 } }, undefined, next);
  assert.equal(await ask(plain.uri.toString()), null);
  assert.equal(await ask(def.uri.toString()), 'from server');
  assert.equal(await ask(doc('project.yaml').uri.toString()), 'from server');
  assert.equal(await mw.sendRequest!('workspace/executeCommand', { command: 'x' }, undefined, next), 'from server');
  assert.equal(calls.length, 3);
});

test('typing an ehrql import into an ordinary file opens it in the server, with its whole text', async () => {
  const h = harness();
  const d = doc('analysis/analyse.py') as unknown as MockDocument;
  await open(h, d as unknown as vscode.TextDocument);
  d.setText('from ehrql import create_dataset\n' + d.getText());
  let sent = 0;
  const mw = h.gate.middleware();
  await mw.didChange!({ document: d, contentChanges: [{}] } as unknown as vscode.TextDocumentChangeEvent, async () => {
    sent++;
  });
  assert.equal(sent, 0, 'the change itself is not sent: didOpen carries the text');
  assert.deepEqual(h.sentOpens, ['analyse.py']);
  // From now on its changes, saves and close go through.
  await mw.didChange!({ document: d, contentChanges: [{}] } as unknown as vscode.TextDocumentChangeEvent, async () => {
    sent++;
  });
  await mw.didClose!(d as unknown as vscode.TextDocument, async () => {
    sent++;
  });
  assert.equal(sent, 2);
  assert.equal(h.gate.knows(d.uri.toString()), false, 'closed');
});

test('recheck opens the files that project.yaml has started to run with ehrql', async () => {
  const h = harness();
  const d = doc('analysis/report.py');
  assert.equal(await open(h, d), false);
  h.projectText.value += '\n  extra:\n    run: ehrql:v1 generate-dataset analysis/report.py --output output/x.csv\n';
  // projectText above is appended after the last action, still inside actions.
  await h.gate.recheck([d, doc('analysis/analyse.py')]);
  assert.deepEqual(h.sentOpens, ['report.py']);
  await h.gate.recheck([d]);
  assert.deepEqual(h.sentOpens, ['report.py'], 'opened once');
  h.gate.reset();
  assert.equal(h.gate.knows(d.uri.toString()), false);
});

test('textDocumentUri reads request params', () => {
  assert.equal(textDocumentUri({ textDocument: { uri: 'file:///a.py' } }), 'file:///a.py');
  assert.equal(textDocumentUri({}), undefined);
  assert.equal(textDocumentUri(null), undefined);
  assert.equal(textDocumentUri('x'), undefined);
});
