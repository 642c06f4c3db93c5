// The status bar item: what the language server is doing, and a menu of the extension's
// commands on click.

import * as vscode from 'vscode';

export type ServerState = 'idle' | 'starting' | 'running' | 'stopped' | 'failed' | 'notFound';

export interface StatusDetail {
  /** Server name and version from the initialize result. */
  version?: string;
  /** Where the binary came from, and its path. */
  binary?: string;
  /** Why the server is not running. */
  error?: string;
}

const looks: Record<ServerState, { icon: string; text: string; tip: string; warn?: boolean; error?: boolean }> = {
  idle: { icon: '$(circle-outline)', text: 'osls', tip: 'osls starts when you open project.yaml, a dataset definition or codelists.txt.' },
  starting: { icon: '$(loading~spin)', text: 'osls', tip: 'osls is starting…' },
  running: { icon: '$(check)', text: 'osls', tip: 'osls is checking your study as you type.' },
  stopped: { icon: '$(debug-stop)', text: 'osls', tip: 'osls has stopped.', warn: true },
  failed: { icon: '$(error)', text: 'osls', tip: 'osls could not start or has crashed.', error: true },
  notFound: { icon: '$(warning)', text: 'osls: not found', tip: 'The osls binary was not found.', error: true },
};

export class StatusItem implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  state: ServerState = 'idle';

  constructor() {
    this.item = vscode.window.createStatusBarItem('osls.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'osls';
    this.item.command = 'opensafely.statusMenu';
    this.set('idle');
  }

  set(state: ServerState, detail: StatusDetail = {}): void {
    this.state = state;
    const look = looks[state];
    this.item.text = `${look.icon} ${look.text}`;
    const lines = [look.tip];
    if (detail.version) lines.push(`Server: ${detail.version}`);
    if (detail.binary) lines.push(`Binary: ${detail.binary}`);
    if (detail.error) lines.push(detail.error);
    lines.push('Click for osls commands.');
    this.item.tooltip = lines.join('\n');
    this.item.backgroundColor = look.error
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : look.warn
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
