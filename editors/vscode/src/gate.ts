// The dataset-definition gate: the client's document selector matches every Python file
// (VS Code cannot select by content), and this middleware tells the server only about the
// ones that are dataset definitions: run by an ehrql (or databuilder) action of the study's
// project.yaml, or importing ehrql. Ordinary Python files are left to the Python extension:
// they are never opened in osls, and requests about them are answered here with nothing.

import type * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import * as path from 'path';

import { isDatasetDefinition } from './studies';

export interface GateDeps {
  /** The study folder of a file (the nearest folder above holding project.yaml). */
  studyRootOf(fsPath: string): string | undefined;
  /** The text of a study's project.yaml: the open editor buffer, else the file, else undefined. */
  projectText(studyRoot: string): string | undefined;
  /** Tells the server about a document that has become a dataset definition. */
  sendDidOpen(doc: vscode.TextDocument): Promise<void>;
  /** Called when the set of documents the server knows changes (for context keys). */
  onChange?(): void;
}

/** A document the gate has to decide about: Python files on disk. */
export function isGated(doc: Pick<vscode.TextDocument, 'languageId' | 'uri'>): boolean {
  return doc.languageId === 'python' || doc.uri.path.endsWith('.py');
}

export class DatasetDefinitionGate {
  /** URIs of the Python documents the server has been told about. */
  private readonly open = new Set<string>();

  constructor(private readonly deps: GateDeps) {}

  /** qualifies reports whether a Python document is a dataset definition. */
  qualifies(doc: vscode.TextDocument): boolean {
    const text = doc.getText();
    if (doc.uri.scheme !== 'file') return isDatasetDefinition(undefined, text, undefined);
    const fsPath = doc.uri.fsPath;
    const root = this.deps.studyRootOf(fsPath);
    if (root === undefined) return isDatasetDefinition(undefined, text, undefined);
    const rel = path.relative(root, fsPath).split(path.sep).join('/');
    return isDatasetDefinition(rel, text, this.deps.projectText(root));
  }

  /** knows reports whether the server has been told about a document (any non-Python one). */
  knows(uri: string): boolean {
    return !uri.endsWith('.py') || this.open.has(uri);
  }

  /** forwardedUris lists the Python documents the server knows. */
  forwardedUris(): string[] {
    return [...this.open];
  }

  /** reset forgets everything (the client restarted). */
  reset(): void {
    this.open.clear();
  }

  /**
   * recheck opens in the server the given documents that have become dataset definitions
   * (after project.yaml changed, say). Documents already open stay open.
   */
  async recheck(docs: readonly vscode.TextDocument[]): Promise<void> {
    for (const doc of docs) {
      if (!isGated(doc) || this.open.has(doc.uri.toString())) continue;
      if (this.qualifies(doc)) await this.openInServer(doc);
    }
  }

  private async openInServer(doc: vscode.TextDocument): Promise<void> {
    this.open.add(doc.uri.toString());
    this.deps.onChange?.();
    await this.deps.sendDidOpen(doc);
  }

  /** middleware is the part of the client's middleware that implements the gate. */
  middleware(): Middleware {
    return {
      didOpen: async (doc, next) => {
        if (!isGated(doc)) return next(doc);
        if (!this.qualifies(doc)) return;
        this.open.add(doc.uri.toString());
        this.deps.onChange?.();
        return next(doc);
      },
      didChange: async (event, next) => {
        const doc = event.document;
        if (!isGated(doc) || this.open.has(doc.uri.toString())) return next(event);
        // Not known to the server: if the edit made it a dataset definition (an ehrql import
        // was typed), open it with its whole text, which includes this change.
        if (this.qualifies(doc)) await this.openInServer(doc);
      },
      didSave: async (doc, next) => {
        if (!isGated(doc) || this.open.has(doc.uri.toString())) return next(doc);
      },
      didClose: async (doc, next) => {
        if (!isGated(doc)) return next(doc);
        if (this.open.delete(doc.uri.toString())) {
          this.deps.onChange?.();
          return next(doc);
        }
      },
      // Requests about a Python file the server does not know (completion, hover, code
      // lenses, …) are answered with nothing instead of an error from the server.
      sendRequest: async (type, param, token, next) => {
        const uri = textDocumentUri(param);
        if (uri !== undefined && uri.endsWith('.py') && !this.open.has(uri)) {
          return null as never;
        }
        return next(type, param, token);
      },
    };
  }
}

/** textDocumentUri returns params.textDocument.uri of an LSP request, if it has one. */
export function textDocumentUri(param: unknown): string | undefined {
  if (param === null || typeof param !== 'object') return undefined;
  const td = (param as { textDocument?: { uri?: unknown } }).textDocument;
  return td && typeof td.uri === 'string' ? td.uri : undefined;
}
