// The extension's controller: finds osls, starts the language client when a study file is
// opened, keeps the status bar in step with the server, and implements the commands. The
// language client is made by an injected factory, so the unit tests drive all of this with a
// fake client and a mocked vscode module.

import * as vscode from 'vscode';
import type { LanguageClientOptions, Middleware, ServerOptions } from 'vscode-languageclient/node';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { BinaryLookup, findOsls, FoundBinary, INSTALL_COMMAND, isFound } from './binary';
import { CheckDiagnostic, groupByFile, parseCheckJson, summarise } from './check';
import { DatasetDefinitionGate, isGated } from './gate';
import { StatusItem } from './status';
import {
  actionAt,
  ActionInfo,
  ehrqlDefinitions,
  findStudyRoot,
  imageOf,
  isCodelistsFile,
  isProjectFile,
  listActions,
  PROJECT_FILE,
} from './studies';

/** The commands the server executes; its "Run" code lenses use them. */
export const SERVER_RUN = 'osls.runAction';
export const SERVER_RUN_WITH_NEEDS = 'osls.runActionWithNeeds';

/** The extension's own commands (package.json contributes them). */
export const COMMANDS = {
  checkProject: 'opensafely.checkProject',
  runAction: 'opensafely.runAction',
  runActionWithNeeds: 'opensafely.runActionWithNeeds',
  generateDummyData: 'opensafely.generateDummyData',
  updateCodelists: 'opensafely.updateCodelists',
  showServerLog: 'opensafely.showServerLog',
  restartServer: 'opensafely.restartServer',
  statusMenu: 'opensafely.statusMenu',
} as const;

/** Context keys for menus. */
export const CONTEXT_DATASET_DEFINITION = 'osls.isDatasetDefinition';

/** Where the install instructions live. */
export const INSTALL_DOCS = 'https://github.com/opensafely-core/osls/blob/main/editors/vscode/README.md#install';

/** The task type contributed in package.json (taskDefinitions). */
export const TASK_TYPE = 'osls';

/** The language client as the controller uses it (vscode-languageclient's LanguageClient). */
export interface ClientLike {
  start(): Promise<void>;
  stop(timeout?: number): Promise<void>;
  onDidChangeState(listener: (e: { oldState: number; newState: number }) => void): vscode.Disposable;
  sendNotification(method: string, params?: unknown): Promise<void>;
  readonly initializeResult?: { serverInfo?: { name: string; version?: string } };
}

export type ClientFactory = (
  id: string,
  name: string,
  serverOptions: ServerOptions,
  clientOptions: LanguageClientOptions,
) => ClientLike;

/** vscode-languageclient's State enum. */
const STATE_STOPPED = 1;
const STATE_RUNNING = 2;
const STATE_STARTING = 3;

/** The document selector: project.yaml, codelists.txt and (gated) Python files on disk. */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', pattern: '**/project.yaml' },
  { scheme: 'file', pattern: '**/codelists.txt' },
  { scheme: 'file', language: 'python', pattern: '**/*.py' },
];

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface RunTarget {
  root: string;
  action: string;
}

export class Controller implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly trace: vscode.LogOutputChannel;
  readonly status: StatusItem;
  readonly gate: DatasetDefinitionGate;
  readonly checkResults: vscode.DiagnosticCollection;
  client: ClientLike | undefined;
  binary: FoundBinary | undefined;
  private starting: Promise<void> | undefined;
  private notFoundShown = false;
  private readonly disposables: vscode.Disposable[] = [];
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: Pick<vscode.ExtensionContext, 'extensionPath' | 'subscriptions'>,
    private readonly factory: ClientFactory,
  ) {
    this.log = vscode.window.createOutputChannel('osls', { log: true });
    this.trace = vscode.window.createOutputChannel('osls (protocol trace)', { log: true });
    this.status = new StatusItem();
    this.checkResults = vscode.languages.createDiagnosticCollection('osls check');
    this.gate = new DatasetDefinitionGate({
      studyRootOf: (p) => this.studyRootOf(p),
      projectText: (root) => this.projectText(root),
      sendDidOpen: (doc) => this.sendDidOpen(doc),
      onChange: () => this.updateContext(),
    });
  }

  /** activate registers the commands and listeners and starts the server if a study file is open. */
  async activate(): Promise<void> {
    const reg = (id: string, fn: (...args: any[]) => unknown) =>
      this.disposables.push(vscode.commands.registerCommand(id, fn));
    reg(COMMANDS.checkProject, (uri?: vscode.Uri) => this.checkProject(uri));
    reg(COMMANDS.runAction, (a?: unknown, b?: unknown) => this.runAction(false, a, b));
    reg(COMMANDS.runActionWithNeeds, (a?: unknown, b?: unknown) => this.runAction(true, a, b));
    reg(COMMANDS.generateDummyData, (uri?: vscode.Uri) => this.generateDummyData(uri));
    reg(COMMANDS.updateCodelists, (uri?: vscode.Uri) => this.updateCodelists(uri));
    reg(COMMANDS.showServerLog, () => this.log.show(true));
    reg(COMMANDS.restartServer, () => this.restart());
    reg(COMMANDS.statusMenu, () => this.statusMenu());

    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((doc) => {
        this.checkResults.delete(doc.uri); // the server reports on open files
        if (this.client === undefined && this.isStudyDocument(doc)) void this.ensureStarted();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (isProjectFile(e.document.uri.path)) this.scheduleRecheck();
        if (e.document === vscode.window.activeTextEditor?.document) this.updateContext();
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (isProjectFile(doc.uri.path)) this.scheduleRecheck();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('osls.path') || e.affectsConfiguration('osls.opencodelistsUrl')) {
          if (this.client !== undefined || this.status.state === 'notFound') void this.restart();
        }
      }),
    );
    this.context.subscriptions.push(this);
    this.updateContext();
    if (vscode.workspace.textDocuments.some((d) => this.isStudyDocument(d)) || (await this.workspaceHasProject())) {
      await this.ensureStarted();
    }
  }

  /** isStudyDocument reports whether a document is one that osls serves. */
  isStudyDocument(doc: vscode.TextDocument): boolean {
    if (doc.uri.scheme !== 'file') return false;
    const p = doc.uri.fsPath;
    if (isProjectFile(p) || isCodelistsFile(p)) return true;
    return isGated(doc) && this.gate.qualifies(doc);
  }

  private async workspaceHasProject(): Promise<boolean> {
    if (!vscode.workspace.workspaceFolders?.length) return false;
    const found = await vscode.workspace.findFiles(`**/${PROJECT_FILE}`, '**/node_modules/**', 1);
    return found.length > 0;
  }

  // ---- the binary and the client ----

  lookupBinary(): BinaryLookup {
    const cfg = vscode.workspace.getConfiguration('osls');
    return findOsls({
      platform: process.platform,
      arch: process.arch,
      extensionPath: this.context.extensionPath,
      setting: cfg.get<string>('path', '') ?? '',
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      env: process.env,
      isExecutable,
    });
  }

  /** extraEnv is the environment osls gets on top of VS Code's (the OpenCodelists URL). */
  extraEnv(): Record<string, string> {
    const url = (vscode.workspace.getConfiguration('osls').get<string>('opencodelistsUrl', '') ?? '').trim();
    return url ? { OPENCODELISTS_URL: url } : {};
  }

  /** ensureStarted starts the client once; later calls wait for the same start. */
  ensureStarted(): Promise<void> {
    if (this.client !== undefined) return this.starting ?? Promise.resolve();
    this.starting = this.start();
    return this.starting;
  }

  private async start(): Promise<void> {
    const found = this.lookupBinary();
    if (!isFound(found)) {
      this.binary = undefined;
      this.status.set('notFound', { error: found.error });
      this.log.appendLine(`${found.error} ${found.fix} (looked in: ${found.tried.join(', ')})`);
      await this.showNotFound(found.error, found.fix);
      return;
    }
    this.binary = found;
    this.log.appendLine(`Using ${found.path} (${found.source}).`);
    const serverOptions: ServerOptions = {
      command: found.path,
      args: ['serve'],
      options: { env: { ...process.env, ...this.extraEnv() } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.log,
      traceOutputChannel: this.trace,
      initializationOptions: { opencodelistsUrl: this.extraEnv().OPENCODELISTS_URL ?? null },
      synchronize: { configurationSection: 'osls' },
      middleware: this.middleware(),
    };
    const client = this.factory('osls', 'osls', serverOptions, clientOptions);
    this.client = client;
    this.disposables.push(
      client.onDidChangeState((e) => {
        if (this.client !== client) return;
        if (e.newState === STATE_STARTING) {
          this.gate.reset();
          this.status.set('starting', this.detail());
        } else if (e.newState === STATE_RUNNING) {
          this.status.set('running', this.detail());
        } else if (e.newState === STATE_STOPPED) {
          this.status.set('stopped', this.detail());
        }
      }),
    );
    this.status.set('starting', this.detail());
    try {
      await client.start();
      this.status.set('running', this.detail());
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.status.set('failed', { ...this.detail(), error: msg });
      this.log.appendLine(`osls failed to start: ${msg}`);
      const pick = await vscode.window.showErrorMessage(
        `osls failed to start: ${msg}. Check that ${found.path} is an osls binary (\`osls version\`), or set osls.path.`,
        'Show Server Log',
        'Open Settings',
      );
      if (pick === 'Show Server Log') this.log.show(true);
      if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'osls.path');
    } finally {
      this.starting = undefined;
    }
  }

  private detail() {
    const info = this.client?.initializeResult?.serverInfo;
    return {
      version: info ? `${info.name} ${info.version ?? ''}`.trim() : undefined,
      binary: this.binary ? `${this.binary.path} (${this.binary.source})` : undefined,
    };
  }

  private async showNotFound(error: string, fix: string): Promise<void> {
    if (this.notFoundShown) return;
    this.notFoundShown = true;
    const pick = await vscode.window.showErrorMessage(`${error} ${fix}`, 'Open Settings', 'Copy Install Command', 'Install Guide');
    if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'osls.path');
    if (pick === 'Copy Install Command') await vscode.env.clipboard.writeText(INSTALL_COMMAND);
    if (pick === 'Install Guide') await vscode.env.openExternal(vscode.Uri.parse(INSTALL_DOCS));
  }

  /** middleware is the client's: the dataset-definition gate, and run commands in a terminal. */
  middleware(): Middleware {
    return {
      ...this.gate.middleware(),
      executeCommand: async (command, args, next) => {
        // The server's "Run" code lenses: run in a VS Code terminal, where the researcher
        // sees the output as it comes and can stop it.
        if (command === SERVER_RUN || command === SERVER_RUN_WITH_NEEDS) {
          return this.runAction(command === SERVER_RUN_WITH_NEEDS, args[0], args[1]);
        }
        return next(command, args);
      },
    };
  }

  private async sendDidOpen(doc: vscode.TextDocument): Promise<void> {
    if (this.client === undefined) return;
    await this.client.sendNotification('textDocument/didOpen', {
      textDocument: { uri: doc.uri.toString(), languageId: doc.languageId, version: doc.version, text: doc.getText() },
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.gate.reset();
    if (client !== undefined) {
      try {
        await client.stop(2000);
      } catch (err) {
        this.log.appendLine(`stopping osls: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.notFoundShown = false;
    await this.ensureStarted();
  }

  private scheduleRecheck(): void {
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      if (this.client !== undefined) void this.gate.recheck(vscode.workspace.textDocuments);
      this.updateContext();
    }, 300);
  }

  updateContext(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const isDef = doc !== undefined && doc.uri.scheme === 'file' && isGated(doc) && this.gate.qualifies(doc);
    void vscode.commands.executeCommand('setContext', CONTEXT_DATASET_DEFINITION, isDef);
  }

  // ---- studies ----

  studyRootOf(fsPath: string): string | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(fsPath));
    return findStudyRoot(fsPath, (p) => fs.existsSync(p), folder?.uri.fsPath);
  }

  projectText(root: string): string | undefined {
    const file = path.join(root, PROJECT_FILE);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    if (open) return open.getText();
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** studyFor finds the study a command is about: the given file's, the active editor's, or one picked. */
  async studyFor(uri?: vscode.Uri): Promise<string | undefined> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (target && target.scheme === 'file') {
      const root = this.studyRootOf(target.fsPath);
      if (root) return root;
    }
    const found = await vscode.workspace.findFiles(`**/${PROJECT_FILE}`, '**/node_modules/**', 50);
    const roots = found.map((u) => path.dirname(u.fsPath)).sort();
    if (roots.length === 1) return roots[0];
    if (roots.length === 0) {
      void vscode.window.showErrorMessage(
        'No project.yaml was found in this workspace. Open the folder of an OpenSAFELY study (the one with project.yaml).',
      );
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      roots.map((r) => ({ label: vscode.workspace.asRelativePath(r) || r, root: r })),
      { placeHolder: 'Which study?' },
    );
    return pick?.root;
  }

  /** saveStudy saves the unsaved editors of a study, so a run or check sees what is on screen. */
  private async saveStudy(root: string): Promise<void> {
    for (const d of vscode.workspace.textDocuments) {
      if (d.isDirty && d.uri.scheme === 'file' && !path.relative(root, d.uri.fsPath).startsWith('..')) await d.save();
    }
  }

  private async requireBinary(): Promise<FoundBinary | undefined> {
    if (this.binary) return this.binary;
    const found = this.lookupBinary();
    if (isFound(found)) return (this.binary = found);
    this.notFoundShown = false;
    await this.showNotFound(found.error, found.fix);
    return undefined;
  }

  /** runInTerminal runs osls as a VS Code task, so its output shows in the terminal panel. */
  async runInTerminal(root: string, label: string, args: string[]): Promise<vscode.TaskExecution | undefined> {
    const bin = await this.requireBinary();
    if (!bin) return undefined;
    const scope = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root)) ?? vscode.TaskScope.Workspace;
    const task = new vscode.Task(
      { type: TASK_TYPE, command: args[0], args: args.slice(1), study: root },
      scope,
      label,
      'osls',
      new vscode.ProcessExecution(bin.path, args, { cwd: root, env: this.extraEnv() }),
      [],
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true, panel: vscode.TaskPanelKind.Dedicated };
    return vscode.tasks.executeTask(task);
  }

  // ---- commands ----

  /** checkProject runs `osls check` on the study and fills the Problems panel. */
  async checkProject(uri?: vscode.Uri): Promise<CheckDiagnostic[] | undefined> {
    const root = await this.studyFor(uri);
    if (!root) return undefined;
    const bin = await this.requireBinary();
    if (!bin) return undefined;
    await this.saveStudy(root);
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        bin.path,
        ['check', root, '--format', 'json', '--min-severity', 'hint'],
        { cwd: root, env: { ...process.env, ...this.extraEnv() }, maxBuffer: 64 * 1024 * 1024 },
        (err, out, errOut) => {
          const c = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
          resolve({ code: c, stdout: String(out), stderr: String(errOut) });
        },
      );
    });
    let diags: CheckDiagnostic[];
    try {
      if (code !== 0 && code !== 1) throw new Error(stderr.trim() || `exit status ${code}`);
      diags = parseCheckJson(stdout, root);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log.appendLine(`osls check ${root}: ${msg}`);
      void vscode.window.showErrorMessage(`osls check failed: ${msg}`, 'Show Server Log').then((p) => {
        if (p) this.log.show(true);
      });
      return undefined;
    }
    this.showCheckResults(root, diags);
    const summary = summarise(diags);
    this.log.appendLine(`osls check ${root}: ${summary}`);
    const show = diags.length > 0 ? 'Show Problems' : undefined;
    const pick = await (diags.some((d) => d.severity === 'error')
      ? vscode.window.showErrorMessage(`osls check: ${summary} in ${path.basename(root)}.`, ...(show ? [show] : []))
      : vscode.window.showInformationMessage(`osls check: ${summary} in ${path.basename(root)}.`, ...(show ? [show] : [])));
    if (pick === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    return diags;
  }

  /** showCheckResults puts the findings for files that are not open into the Problems panel. */
  private showCheckResults(root: string, diags: CheckDiagnostic[]): void {
    // Forget earlier results for this study.
    this.checkResults.forEach((u) => {
      if (!path.relative(root, u.fsPath).startsWith('..')) this.checkResults.delete(u);
    });
    const open = new Set(vscode.workspace.textDocuments.filter((d) => this.servedByServer(d)).map((d) => d.uri.fsPath));
    const sev: Record<string, vscode.DiagnosticSeverity> = {
      error: vscode.DiagnosticSeverity.Error,
      warning: vscode.DiagnosticSeverity.Warning,
      information: vscode.DiagnosticSeverity.Information,
      hint: vscode.DiagnosticSeverity.Hint,
    };
    for (const [file, list] of groupByFile(diags)) {
      if (open.has(file)) continue; // the server reports on it as you type
      this.checkResults.set(
        vscode.Uri.file(file),
        list.map((d) => {
          const diag = new vscode.Diagnostic(
            new vscode.Range(d.startLine, d.startCharacter, d.endLine, d.endCharacter),
            d.message,
            sev[d.severity],
          );
          diag.code = d.code;
          diag.source = 'osls';
          return diag;
        }),
      );
    }
  }

  private servedByServer(doc: vscode.TextDocument): boolean {
    if (this.client === undefined || doc.uri.scheme !== 'file') return false;
    const p = doc.uri.fsPath;
    return isProjectFile(p) || isCodelistsFile(p) || this.gate.knows(doc.uri.toString());
  }

  /**
   * runTarget works out which action a run command is about. Arguments: (projectUri, action)
   * from a code lens, a Uri from the editor title, or nothing from the palette; then the
   * action under the cursor in project.yaml, or one picked from the list.
   */
  async runTarget(a?: unknown, b?: unknown, filter?: (act: ActionInfo) => boolean, what = 'Which action?'): Promise<RunTarget | undefined> {
    let uri: vscode.Uri | undefined;
    let action: string | undefined;
    if (typeof a === 'string') uri = a.includes('://') || a.startsWith('file:') ? vscode.Uri.parse(a) : vscode.Uri.file(a);
    else if (a instanceof vscode.Uri) uri = a;
    if (typeof b === 'string' && b !== '') action = b;
    const root = await this.studyFor(uri);
    if (!root) return undefined;
    if (action) return { root, action };
    const text = this.projectText(root);
    if (text === undefined) {
      void vscode.window.showErrorMessage(`Cannot read ${path.join(root, PROJECT_FILE)}.`);
      return undefined;
    }
    let actions = listActions(text);
    if (filter) actions = actions.filter(filter);
    const editor = vscode.window.activeTextEditor;
    if (editor && editor.document.uri.fsPath === path.join(root, PROJECT_FILE)) {
      const at = actionAt(actions, editor.selection.active.line);
      if (at) return { root, action: at.name };
    }
    if (actions.length === 0) {
      void vscode.window.showErrorMessage(`${path.join(root, PROJECT_FILE)} has no actions to run.`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      actions.map((x) => ({ label: x.name, description: x.run })),
      { placeHolder: what, matchOnDescription: true },
    );
    return pick ? { root, action: pick.label } : undefined;
  }

  /** runAction runs an action (alone, or after the actions it needs) with `osls run`. */
  async runAction(withNeeds: boolean, a?: unknown, b?: unknown): Promise<vscode.TaskExecution | undefined> {
    const target = await this.runTarget(a, b, undefined, withNeeds ? 'Run which action, with its needs?' : 'Run which action?');
    if (!target) return undefined;
    await this.saveStudy(target.root);
    const args = withNeeds ? ['run', target.action] : ['run', '--no-needs', target.action];
    return this.runInTerminal(target.root, `run ${target.action}${withNeeds ? ' with needs' : ''}`, args);
  }

  /**
   * generateDummyData runs the ehrQL action of a dataset definition on dummy data: the
   * action that runs the open definition (`osls run ACTION`, which writes its outputs), or,
   * when no action runs it, `osls generate-dataset FILE`, which prints the dummy dataset; in
   * project.yaml, the ehrQL action under the cursor (or picked).
   */
  async generateDummyData(uri?: vscode.Uri): Promise<vscode.TaskExecution | undefined> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    const isEhrql = (act: ActionInfo) => ['ehrql', 'databuilder'].includes(imageOf(act.run));
    if (target && target.scheme === 'file' && target.fsPath.endsWith('.py')) {
      const root = this.studyRootOf(target.fsPath);
      const rel = root ? path.relative(root, target.fsPath).split(path.sep).join('/') : path.basename(target.fsPath);
      const text = root ? this.projectText(root) : undefined;
      const actions = text ? (ehrqlDefinitions(text).get(rel) ?? []) : [];
      if (!root || actions.length === 0) {
        // No action runs it: print a dummy dataset for it in the terminal, as
        // `opensafely exec ehrql:v1 generate-dataset` does.
        const dir = root ?? path.dirname(target.fsPath);
        await this.saveStudy(dir);
        return this.runInTerminal(dir, `dummy data for ${rel}`, ['generate-dataset', rel]);
      }
      let action = actions[0];
      if (actions.length > 1) {
        const pick = await vscode.window.showQuickPick(actions, { placeHolder: `Which action that runs ${rel}?` });
        if (!pick) return undefined;
        action = pick;
      }
      await this.saveStudy(root);
      return this.runInTerminal(root, `dummy data for ${action}`, ['run', action]);
    }
    const t = await this.runTarget(uri, undefined, isEhrql, 'Generate dummy data with which ehrQL action?');
    if (!t) return undefined;
    await this.saveStudy(t.root);
    return this.runInTerminal(t.root, `dummy data for ${t.action}`, ['run', t.action]);
  }

  /** updateCodelists downloads the study's codelists with `osls codelists update`. */
  async updateCodelists(uri?: vscode.Uri): Promise<vscode.TaskExecution | undefined> {
    const root = await this.studyFor(uri);
    if (!root) return undefined;
    await this.saveStudy(root);
    const args = ['codelists', 'update', '-C', root];
    const url = this.extraEnv().OPENCODELISTS_URL;
    if (url) args.push('--opencodelists-url', url);
    return this.runInTerminal(root, 'codelists update', args);
  }

  async statusMenu(): Promise<void> {
    const items: (vscode.QuickPickItem & { command: string })[] = [
      { label: '$(output) Show Server Log', command: COMMANDS.showServerLog },
      { label: '$(debug-restart) Restart Server', command: COMMANDS.restartServer },
      { label: '$(checklist) Check Project', command: COMMANDS.checkProject },
      { label: '$(play) Run Action…', command: COMMANDS.runAction },
      { label: '$(run-all) Run Action with Needs…', command: COMMANDS.runActionWithNeeds },
      { label: '$(database) Generate Dummy Data', command: COMMANDS.generateDummyData },
      { label: '$(cloud-download) Update Codelists', command: COMMANDS.updateCodelists },
      { label: '$(gear) Settings', command: 'workbench.action.openSettings' },
    ];
    const pick = await vscode.window.showQuickPick(items, { placeHolder: this.status.item.tooltip?.toString() });
    if (!pick) return;
    if (pick.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(pick.command, 'osls');
    else await vscode.commands.executeCommand(pick.command);
  }

  dispose(): void {
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
    void this.stop();
    this.status.dispose();
    this.checkResults.dispose();
    this.log.dispose();
    this.trace.dispose();
  }
}
