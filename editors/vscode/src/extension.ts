// Entry point of the OpenSAFELY (osls) extension: wires the real language client into the
// controller (see controller.ts for everything else).

import type * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';

import { Controller } from './controller';

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  controller = new Controller(context, (id, name, serverOptions, clientOptions) =>
    new LanguageClient(id, name, serverOptions, clientOptions),
  );
  await controller.activate();
}

export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  await c?.stop();
}
