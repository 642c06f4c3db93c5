// A small stand-in for the `vscode` module, which exists only inside VS Code. It implements
// the parts of the API the extension uses, records what the extension does (messages shown,
// commands registered, tasks run) and lets a test answer prompts. install() makes
// `require('vscode')` return it; reset() clears the recorded state between tests.

import * as path from 'path';
import * as fs from 'fs';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  static from(...ds: { dispose(): unknown }[]) {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', path.resolve(p).split(path.sep).join('/'));
  }
  static parse(s: string): Uri {
    const m = /^([a-z][a-z0-9+.-]*):(?:\/\/[^/]*)?(.*)$/i.exec(s);
    if (!m) return new Uri('file', s);
    return new Uri(m[1], decodeURIComponent(m[2]));
  }
  get fsPath(): string {
    return this.path.split('/').join(path.sep);
  }
  toString(): string {
    return `${this.scheme}://${this.path.split('/').map(encodeURIComponent).join('/')}`;
  }
  with(change: { scheme?: string; path?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c!, d!);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
}

export class Selection extends Range {
  get active(): Position {
    return this.end;
  }
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Diagnostic {
  code?: string;
  source?: string;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum TaskScope {
  Global = 1,
  Workspace = 2,
}
export enum TaskRevealKind {
  Always = 1,
  Silent = 2,
  Never = 3,
}
export enum TaskPanelKind {
  Shared = 1,
  Dedicated = 2,
  New = 3,
}

export class ProcessExecution {
  constructor(
    readonly process: string,
    readonly args: string[],
    readonly options?: { cwd?: string; env?: Record<string, string> },
  ) {}
}

export class Task {
  presentationOptions: unknown;
  constructor(
    readonly definition: { type: string; [k: string]: unknown },
    readonly scope: unknown,
    readonly name: string,
    readonly source: string,
    readonly execution: ProcessExecution,
    readonly problemMatchers: string[],
  ) {}
}

/** A text document for tests. */
export class MockDocument {
  version = 1;
  isDirty = false;
  saved = 0;
  readonly uri: Uri;
  constructor(
    fsPath: string,
    private text: string,
    readonly languageId: string,
  ) {
    this.uri = Uri.file(fsPath);
  }
  getText(): string {
    return this.text;
  }
  setText(t: string): void {
    this.text = t;
    this.version++;
  }
  get fileName(): string {
    return this.uri.fsPath;
  }
  async save(): Promise<boolean> {
    this.saved++;
    this.isDirty = false;
    return true;
  }
}

export function languageOf(p: string): string {
  if (p.endsWith('.py')) return 'python';
  if (p.endsWith('.yaml') || p.endsWith('.yml')) return 'yaml';
  if (path.basename(p) === 'codelists.txt') return 'opensafely-codelists';
  return 'plaintext';
}

export interface Shown {
  kind: 'error' | 'info' | 'warning';
  message: string;
  items: string[];
}

class OutputChannel {
  lines: string[] = [];
  shown = 0;
  logLevel = 2;
  onDidChangeLogLevel = new EventEmitter<number>().event;
  constructor(readonly name: string) {}
  append(s: string) {
    this.lines.push(s);
  }
  appendLine(s: string) {
    this.lines.push(s);
  }
  info(s: string) {
    this.lines.push(s);
  }
  warn(s: string) {
    this.lines.push(s);
  }
  error(s: string) {
    this.lines.push(String(s));
  }
  debug(s: string) {
    this.lines.push(s);
  }
  trace(s: string) {
    this.lines.push(s);
  }
  clear() {
    this.lines = [];
  }
  replace(s: string) {
    this.lines = [s];
  }
  show() {
    this.shown++;
  }
  hide() {}
  dispose() {}
}

class StatusBarItem {
  text = '';
  tooltip: string | undefined;
  command: string | undefined;
  name: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number,
  ) {}
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  dispose() {}
}

class DiagnosticCollection {
  readonly entries = new Map<string, { uri: Uri; diags: Diagnostic[] }>();
  constructor(readonly name: string) {}
  set(uri: Uri, diags: Diagnostic[]) {
    this.entries.set(uri.toString(), { uri, diags });
  }
  get(uri: Uri) {
    return this.entries.get(uri.toString())?.diags;
  }
  delete(uri: Uri) {
    this.entries.delete(uri.toString());
  }
  clear() {
    this.entries.clear();
  }
  forEach(fn: (uri: Uri, diags: Diagnostic[]) => void) {
    for (const e of [...this.entries.values()]) fn(e.uri, e.diags);
  }
  dispose() {}
}

/** Everything the extension did, and how the test wants prompts answered. */
export const state = {
  config: {} as Record<string, unknown>,
  folders: [] as string[],
  documents: [] as MockDocument[],
  activeEditor: undefined as { document: MockDocument; selection: Selection } | undefined,
  shown: [] as Shown[],
  /** Answers messages: given the message and its buttons, returns the button to press. */
  answerMessage: (_m: Shown): string | undefined => undefined,
  /** Answers quick picks with the label to choose (undefined: dismissed). */
  answerQuickPick: (_items: { label: string }[] | string[]): string | undefined => undefined,
  quickPicks: [] as unknown[][],
  commands: new Map<string, (...args: any[]) => unknown>(),
  executed: [] as { command: string; args: unknown[] }[],
  context: new Map<string, unknown>(),
  tasks: [] as Task[],
  channels: [] as OutputChannel[],
  statusItems: [] as StatusBarItem[],
  collections: [] as DiagnosticCollection[],
  clipboard: '',
  opened: [] as string[],
  shownDocuments: [] as string[],
};

const onDidOpenTextDocument = new EventEmitter<MockDocument>();
const onDidCloseTextDocument = new EventEmitter<MockDocument>();
const onDidChangeTextDocument = new EventEmitter<{ document: MockDocument; contentChanges: unknown[] }>();
const onDidSaveTextDocument = new EventEmitter<MockDocument>();
const onDidChangeConfiguration = new EventEmitter<{ affectsConfiguration(s: string): boolean }>();
const onDidChangeActiveTextEditor = new EventEmitter<unknown>();

function show(kind: Shown['kind']) {
  return async (message: string, ...items: unknown[]) => {
    const labels = items.filter((i): i is string => typeof i === 'string');
    const s: Shown = { kind, message, items: labels };
    state.shown.push(s);
    return state.answerMessage(s);
  };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '(?:.*/)?';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.git') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
}

export const window = {
  createOutputChannel(name: string) {
    const c = new OutputChannel(name);
    state.channels.push(c);
    return c;
  },
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number) {
    const s = new StatusBarItem(id, alignment, priority);
    state.statusItems.push(s);
    return s;
  },
  showErrorMessage: show('error'),
  showWarningMessage: show('warning'),
  showInformationMessage: show('info'),
  async showQuickPick(items: any[]) {
    state.quickPicks.push(items);
    const label = state.answerQuickPick(items);
    if (label === undefined) return undefined;
    return items.find((i) => (typeof i === 'string' ? i : i.label) === label);
  },
  async showTextDocument(uri: Uri) {
    state.shownDocuments.push(uri.fsPath);
  },
  get activeTextEditor() {
    return state.activeEditor;
  },
  onDidChangeActiveTextEditor: onDidChangeActiveTextEditor.event,
};

export const workspace = {
  getConfiguration(section?: string) {
    return {
      get<T>(key: string, def?: T): T | undefined {
        const full = section ? `${section}.${key}` : key;
        return (full in state.config ? state.config[full] : def) as T | undefined;
      },
    };
  },
  get workspaceFolders() {
    return state.folders.length === 0
      ? undefined
      : state.folders.map((f, index) => ({ uri: Uri.file(f), name: path.basename(f), index }));
  },
  get textDocuments() {
    return state.documents;
  },
  getWorkspaceFolder(uri: Uri) {
    const f = state.folders.find((f) => !path.relative(f, uri.fsPath).startsWith('..'));
    return f === undefined ? undefined : { uri: Uri.file(f), name: path.basename(f), index: 0 };
  },
  asRelativePath(p: string | Uri) {
    const s = typeof p === 'string' ? p : p.fsPath;
    for (const f of state.folders) {
      const rel = path.relative(f, s);
      if (!rel.startsWith('..')) return rel.split(path.sep).join('/');
    }
    return s;
  },
  async findFiles(include: string, _exclude?: string, max?: number) {
    const re = globToRegExp(include);
    const out: Uri[] = [];
    for (const f of state.folders) {
      const files: string[] = [];
      walk(f, files);
      for (const p of files) {
        if (re.test(path.relative(f, p).split(path.sep).join('/'))) out.push(Uri.file(p));
      }
    }
    return max === undefined ? out : out.slice(0, max);
  },
  onDidOpenTextDocument: onDidOpenTextDocument.event,
  onDidCloseTextDocument: onDidCloseTextDocument.event,
  onDidChangeTextDocument: onDidChangeTextDocument.event,
  onDidSaveTextDocument: onDidSaveTextDocument.event,
  onDidChangeConfiguration: onDidChangeConfiguration.event,
};

export const commands = {
  registerCommand(id: string, fn: (...args: any[]) => unknown) {
    if (state.commands.has(id)) throw new Error(`command '${id}' already exists`);
    state.commands.set(id, fn);
    return new Disposable(() => state.commands.delete(id));
  },
  async executeCommand(command: string, ...args: unknown[]) {
    state.executed.push({ command, args });
    if (command === 'setContext') {
      state.context.set(args[0] as string, args[1]);
      return undefined;
    }
    const fn = state.commands.get(command);
    return fn ? fn(...args) : undefined;
  },
};

export const languages = {
  createDiagnosticCollection(name: string) {
    const c = new DiagnosticCollection(name);
    state.collections.push(c);
    return c;
  },
  match() {
    return 0;
  },
};

export const tasks = {
  async executeTask(task: Task) {
    state.tasks.push(task);
    return { task, terminate() {} };
  },
};

export const env = {
  clipboard: {
    async writeText(s: string) {
      state.clipboard = s;
    },
  },
  async openExternal(uri: Uri) {
    state.opened.push(uri.toString());
    return true;
  },
};

/** Test helpers that drive the editor. */
export const editor = {
  open(fsPath: string, text?: string, languageId?: string): MockDocument {
    const doc = new MockDocument(fsPath, text ?? fs.readFileSync(fsPath, 'utf8'), languageId ?? languageOf(fsPath));
    state.documents.push(doc);
    onDidOpenTextDocument.fire(doc);
    return doc;
  },
  close(doc: MockDocument): void {
    state.documents = state.documents.filter((d) => d !== doc);
    onDidCloseTextDocument.fire(doc);
  },
  change(doc: MockDocument, text: string): void {
    doc.setText(text);
    onDidChangeTextDocument.fire({ document: doc, contentChanges: [{ text }] });
  },
  save(doc: MockDocument): void {
    onDidSaveTextDocument.fire(doc);
  },
  focus(doc: MockDocument | undefined, line = 0): void {
    state.activeEditor = doc && { document: doc, selection: new Selection(line, 0, line, 0) };
    onDidChangeActiveTextEditor.fire(state.activeEditor);
  },
  configure(values: Record<string, unknown>): void {
    Object.assign(state.config, values);
    const keys = Object.keys(values);
    onDidChangeConfiguration.fire({ affectsConfiguration: (s: string) => keys.some((k) => k === s || k.startsWith(s + '.')) });
  },
};

/** reset clears the recorded state (not the registered module). */
export function reset(): void {
  state.config = {};
  state.folders = [];
  state.documents = [];
  state.activeEditor = undefined;
  state.shown = [];
  state.answerMessage = () => undefined;
  state.answerQuickPick = () => undefined;
  state.quickPicks = [];
  state.commands.clear();
  state.executed = [];
  state.context.clear();
  state.tasks = [];
  state.channels = [];
  state.statusItems = [];
  state.collections = [];
  state.clipboard = '';
  state.opened = [];
  state.shownDocuments = [];
}

/** The module object that `require('vscode')` returns. */
const members = {
  EventEmitter,
  Disposable,
  Uri,
  Position,
  Range,
  Selection,
  Diagnostic,
  DiagnosticSeverity,
  StatusBarAlignment,
  ThemeColor,
  TaskScope,
  TaskRevealKind,
  TaskPanelKind,
  ProcessExecution,
  Task,
  window,
  workspace,
  commands,
  languages,
  tasks,
  env,
  version: '1.91.0',
};

// Classes and enums the extension does not use but vscode-languageclient touches when it
// loads (it subclasses CompletionItem, CodeLens, …): empty stand-ins.
const unused = [
  'CallHierarchyIncomingCall', 'CallHierarchyItem', 'CallHierarchyOutgoingCall', 'CancellationError', 'CancellationTokenSource', 'CodeAction',
  'CodeActionKind', 'CodeActionTriggerKind', 'CodeLens', 'Color', 'ColorInformation', 'ColorPresentation',
  'CompletionItem', 'CompletionItemKind', 'CompletionItemTag', 'CompletionList', 'CompletionTriggerKind', 'DiagnosticRelatedInformation',
  'DiagnosticTag', 'DocumentHighlight', 'DocumentHighlightKind', 'DocumentLink', 'DocumentSymbol', 'FileType',
  'FoldingRange', 'FoldingRangeKind', 'Hover', 'InlayHint', 'InlayHintLabelPart', 'InlineCompletionItem',
  'InlineCompletionList', 'InlineCompletionTriggerKind', 'InlineValueEvaluatableExpression', 'InlineValueText', 'InlineValueVariableLookup', 'LinkedEditingRanges',
  'Location', 'LogLevel', 'MarkdownString', 'NotebookCellKind', 'ParameterInformation', 'ProgressLocation',
  'RelativePattern', 'SelectionRange', 'SemanticTokens', 'SemanticTokensEdit', 'SemanticTokensEdits', 'SignatureHelp',
  'SignatureHelpTriggerKind', 'SignatureInformation', 'SnippetString', 'SnippetTextEdit', 'SymbolInformation', 'SymbolKind',
  'SymbolTag', 'TabInputCustom', 'TabInputNotebook', 'TabInputText', 'TabInputTextDiff', 'TextDocumentSaveReason',
  'TextEdit', 'TypeHierarchyItem', 'WorkspaceEdit',
];
for (const name of unused) {
  if (!(name in members)) (members as Record<string, unknown>)[name] = { [name]: class {} }[name];
}

export const vscodeModule = members as Record<string, unknown>;

let installed = false;

/** install makes require('vscode') return the mock, for this process. */
export function install(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = Module._load;
  Module._load = function (request: string, ...rest: unknown[]) {
    if (request === 'vscode') return vscodeModule;
    return load.call(this, request, ...rest);
  };
}
