import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';

import { groupByFile, parseCheckJson, summarise } from '../../src/check';

const sample = JSON.stringify({
  diagnostics: [
    {
      file: 'codelists/codelists.txt',
      range: { start: { line: 2, column: 1 }, end: { line: 2, column: 40 } },
      severity: 'error',
      code: 'CL022',
      message: 'not downloaded',
    },
    {
      file: 'project.yaml',
      range: { start: { line: 27, column: 13 }, end: { line: 27, column: 20 } },
      severity: 'error',
      code: 'PY061',
      message: 'unknown action',
    },
    {
      file: 'project.yaml',
      range: { start: { line: 15, column: 15 }, end: { line: 15, column: 32 } },
      severity: 'warning',
      code: 'PY074',
      message: 'missing file',
    },
  ],
});

test('parseCheckJson makes paths absolute and positions 0-based', () => {
  const diags = parseCheckJson(sample, '/study');
  assert.equal(diags.length, 3);
  assert.deepEqual(diags[1], {
    file: path.join('/study', 'project.yaml'),
    startLine: 26,
    startCharacter: 12,
    endLine: 26,
    endCharacter: 19,
    severity: 'error',
    code: 'PY061',
    message: 'unknown action',
  });
  assert.equal(diags[0].file, path.join('/study', 'codelists', 'codelists.txt'));
  assert.deepEqual([...groupByFile(diags).keys()], [path.join('/study', 'codelists', 'codelists.txt'), path.join('/study', 'project.yaml')]);
});

test('summarise counts by severity', () => {
  assert.equal(summarise(parseCheckJson(sample, '/s')), '2 errors, 1 warning');
  assert.equal(summarise([]), 'no problems');
  assert.equal(summarise(parseCheckJson('{"diagnostics":[]}', '/s')), 'no problems');
});

test('parseCheckJson rejects output that is not check JSON', () => {
  assert.throws(() => parseCheckJson('not json', '/s'));
  assert.throws(() => parseCheckJson('{"other": 1}', '/s'), /diagnostics/);
});
