// Knowledge about OpenSAFELY studies that the extension needs before (or without) the
// server: the actions of a project.yaml and their run lines, which Python files are dataset
// definitions, and where a file's study folder is. Pure functions of text and paths, so
// they are unit-tested without VS Code; the server remains the authority on everything else.

import * as path from 'path';

/** The name of a study's pipeline file. */
export const PROJECT_FILE = 'project.yaml';

/** One action of a project.yaml, as far as a line scan can tell. */
export interface ActionInfo {
  /** The action id. */
  name: string;
  /** 0-based line of the action's key. */
  line: number;
  /** 0-based last line that belongs to the action (before the next action or top-level key). */
  endLine: number;
  /** The run line with quotes removed and continuation lines joined, "" when absent. */
  run: string;
}

const topLevelKey = /^([A-Za-z_][\w-]*)\s*:(.*)$/;

function stripComment(line: string): string {
  // A '#' starts a comment at the start of a line or after whitespace (not inside quotes;
  // good enough for the keys and run lines this scanner reads).
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function unquote(s: string): string {
  s = s.trim();
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) {
    return s.slice(1, -1);
  }
  return s;
}

/**
 * listActions finds the actions of a project.yaml by indentation: the keys one level below
 * the top-level `actions:` key, with their `run:` lines. It copes with half-typed files (it
 * never throws) and returns the actions in file order.
 */
export function listActions(text: string): ActionInfo[] {
  const lines = text.split(/\r?\n/);
  const actions: ActionInfo[] = [];
  let i = 0;
  // Find the top-level "actions:" key.
  for (; i < lines.length; i++) {
    const m = topLevelKey.exec(stripComment(lines[i]));
    if (m && m[1] === 'actions' && indentOf(lines[i]) === 0) break;
  }
  if (i >= lines.length) return actions;
  let actionIndent = -1;
  let current: ActionInfo | undefined;
  let runIndent = -1; // indentation of the current run key while reading its continuation lines
  for (i++; i < lines.length; i++) {
    const raw = stripComment(lines[i]);
    if (raw.trim() === '') continue;
    const ind = indentOf(raw);
    if (ind === 0) break; // the next top-level key
    const content = raw.trim();
    if (actionIndent < 0) actionIndent = ind;
    if (ind < actionIndent) break;
    if (ind === actionIndent) {
      runIndent = -1;
      const m = /^("[^"]*"|'[^']*'|[^:#]+?)\s*:(\s|$)/.exec(content);
      if (!m) continue;
      current = { name: unquote(m[1]), line: i, endLine: i, run: '' };
      actions.push(current);
      continue;
    }
    if (!current) continue;
    current.endLine = i;
    if (runIndent >= 0 && ind > runIndent) {
      current.run = (current.run + ' ' + content).trim();
      continue;
    }
    runIndent = -1;
    const run = /^run\s*:\s*(.*)$/.exec(content);
    if (run) {
      let value = run[1].trim();
      if (value === '>' || value === '|' || value === '>-' || value === '|-') value = '';
      current.run = unquote(value);
      runIndent = ind;
    }
  }
  return actions;
}

/** actionAt returns the action whose lines include the 0-based line, if any. */
export function actionAt(actions: ActionInfo[], line: number): ActionInfo | undefined {
  return actions.find((a) => line >= a.line && line <= a.endLine);
}

/** Images whose actions run Python dataset (or measures) definitions. */
const EHRQL_IMAGES = new Set(['ehrql', 'databuilder']);

/** splitRun splits a run line into words, honouring simple quotes. */
export function splitRun(run: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(run)) !== null) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** imageOf returns the image name of a run line ("ehrql" for "ehrql:v1 generate-dataset …"). */
export function imageOf(run: string): string {
  const first = splitRun(run)[0] ?? '';
  return first.split(':')[0];
}

function normalise(rel: string): string {
  return path.posix.normalize(rel.replace(/\\/g, '/')).replace(/^\.\//, '');
}

/**
 * ehrqlDefinitions returns the study-relative paths (forward slashes) of the Python files
 * that the project's ehrql (or databuilder) actions run, each with the actions that run it.
 */
export function ehrqlDefinitions(projectText: string): Map<string, string[]> {
  const defs = new Map<string, string[]>();
  for (const a of listActions(projectText)) {
    if (!EHRQL_IMAGES.has(imageOf(a.run))) continue;
    for (const w of splitRun(a.run).slice(1)) {
      if (w === '--') break; // parameters for the definition follow
      const value = w.includes('=') && w.startsWith('--') ? w.slice(w.indexOf('=') + 1) : w;
      if (!value.endsWith('.py')) continue;
      const rel = normalise(value);
      const list = defs.get(rel) ?? [];
      if (!list.includes(a.name)) list.push(a.name);
      defs.set(rel, list);
    }
  }
  return defs;
}

/** The import lines that make a Python file an ehrQL dataset definition. */
const EHRQL_IMPORT = /^(from\s+ehrql[\s.]|import\s+ehrql\b|from\s+databuilder[\s.])/m;

/** importsEhrql reports whether Python source imports ehrql (or the older databuilder). */
export function importsEhrql(text: string): boolean {
  return EHRQL_IMPORT.test(text);
}

/** isDatasetDefinition combines both tests: run by an ehrQL action, or importing ehrql. */
export function isDatasetDefinition(relPath: string | undefined, text: string, projectText: string | undefined): boolean {
  if (importsEhrql(text)) return true;
  if (relPath === undefined || projectText === undefined) return false;
  return ehrqlDefinitions(projectText).has(normalise(relPath));
}

/** Minimal file-system view for findStudyRoot (real fs in the extension, a fake in tests). */
export interface FileExists {
  (p: string): boolean;
}

/**
 * findStudyRoot returns the nearest folder at or above the file's folder that holds a
 * project.yaml, not going above the workspace folder when one is given; undefined when there
 * is none.
 */
export function findStudyRoot(filePath: string, exists: FileExists, stopAt?: string): string | undefined {
  let dir = path.dirname(filePath);
  for (;;) {
    if (exists(path.join(dir, PROJECT_FILE))) return dir;
    if (stopAt !== undefined && path.resolve(dir) === path.resolve(stopAt)) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** isCodelistsFile reports whether a path is a study's codelists.txt. */
export function isCodelistsFile(p: string): boolean {
  return path.basename(p) === 'codelists.txt';
}

/** isProjectFile reports whether a path is a project.yaml. */
export function isProjectFile(p: string): boolean {
  return path.basename(p) === PROJECT_FILE;
}
