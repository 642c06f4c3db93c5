import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

import {
  actionAt,
  ehrqlDefinitions,
  findStudyRoot,
  imageOf,
  importsEhrql,
  isDatasetDefinition,
  listActions,
  splitRun,
} from '../../src/studies';

const fixture = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'study');
const projectText = fs.readFileSync(path.join(fixture, 'project.yaml'), 'utf8');

test('listActions finds every action with its run line, including folded ones', () => {
  const actions = listActions(projectText);
  assert.deepEqual(
    actions.map((a) => [a.name, a.run]),
    [
      ['generate_dataset', 'ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.csv.gz'],
      ['generate_measures', 'ehrql:v1 generate-measures analysis/measures_definition.py --output output/measures.csv'],
      ['analyse', 'python:v2 python analysis/analyse.py'],
      ['report', 'python:v2 python analysis/report.py'],
    ],
  );
  assert.equal(actions[0].line, 3);
  assert.equal(actionAt(actions, 5)?.name, 'generate_dataset');
  assert.equal(actionAt(actions, 26)?.name, 'report');
  assert.equal(actionAt(actions, 0), undefined);
});

test('listActions copes with comments, quotes, other indentation and half-typed files', () => {
  const text = [
    '# a study',
    'version: "4.0"',
    'actions:',
    '    # the first',
    '    "quoted name":',
    '        run: "r:latest analysis/a.R"  # a comment',
    '        outputs: {}',
    '    other:',
    '        run:',
    '    half',
    'expectations:',
    '  population_size: 10',
  ].join('\n');
  assert.deepEqual(
    listActions(text).map((a) => [a.name, a.run]),
    [
      ['quoted name', 'r:latest analysis/a.R'],
      ['other', ''],
    ],
  );
  assert.deepEqual(listActions(''), []);
  assert.deepEqual(listActions('version: 5\nactions:\n'), []);
  assert.deepEqual(listActions('actions: {}\n'), []);
});

test('ehrqlDefinitions maps the Python files that ehrql and databuilder actions run', () => {
  const defs = ehrqlDefinitions(projectText);
  assert.deepEqual([...defs.entries()], [
    ['analysis/dataset_definition.py', ['generate_dataset']],
    ['analysis/measures_definition.py', ['generate_measures']],
  ]);
  const more = ehrqlDefinitions(
    [
      'actions:',
      '  a:',
      '    run: databuilder:v0 generate-dataset ./analysis/old.py --output out.csv',
      '  b:',
      '    run: ehrql:v1 generate-dataset analysis/x.py --output o.arrow -- --param other.py',
      '  c:',
      '    run: python:v2 python analysis/not_ehrql.py',
      '  d:',
      '    run: ehrql:v1 assure analysis/test_x.py',
    ].join('\n'),
  );
  assert.deepEqual([...more.keys()], ['analysis/old.py', 'analysis/x.py', 'analysis/test_x.py']);
});

test('splitRun and imageOf read run lines', () => {
  assert.deepEqual(splitRun(`python:v2 python "a b.py" 'c d'`), ['python:v2', 'python', 'a b.py', 'c d']);
  assert.equal(imageOf('ehrql:v1 generate-dataset x.py'), 'ehrql');
  assert.equal(imageOf(''), '');
});

test('importsEhrql recognises ehrql and databuilder imports at the start of a line only', () => {
  for (const yes of [
    'from ehrql import create_dataset',
    'import ehrql',
    'import ehrql.tables',
    'x = 1\nfrom ehrql.tables.core import patients',
    'from databuilder.ehrql import Dataset',
  ]) {
    assert.equal(importsEhrql(yes), true, yes);
  }
  for (const no of ['import pandas', '# from ehrql import x', 'import ehrqlx', 'from ehrqlfoo import y', '"from ehrql"', 'print("hi")']) {
    assert.equal(importsEhrql(no), false, no);
  }
});

test('isDatasetDefinition: imports ehrql, or run by an ehrql action of project.yaml', () => {
  assert.equal(isDatasetDefinition('analysis/measures_definition.py', 'from analysis.shared import measures', projectText), true);
  assert.equal(isDatasetDefinition('analysis/analyse.py', 'import csv', projectText), false);
  assert.equal(isDatasetDefinition(undefined, 'from ehrql import codelist_from_csv', undefined), true);
  assert.equal(isDatasetDefinition('analysis/measures_definition.py', 'import x', undefined), false);
});

test('findStudyRoot walks up to the folder with project.yaml, stopping at the workspace folder', () => {
  const exists = (p: string) => fs.existsSync(p);
  assert.equal(findStudyRoot(path.join(fixture, 'analysis', 'analyse.py'), exists), fixture);
  assert.equal(findStudyRoot(path.join(fixture, 'codelists', 'codelists.txt'), exists), fixture);
  assert.equal(findStudyRoot(path.join(fixture, 'project.yaml'), exists), fixture);
  const fake = (p: string) => p === path.join('/w', 'project.yaml');
  assert.equal(findStudyRoot('/w/a/b/c.py', fake), '/w');
  assert.equal(findStudyRoot('/w/a/b/c.py', fake, '/w/a'), undefined);
  assert.equal(findStudyRoot('/elsewhere/c.py', fake), undefined);
});
