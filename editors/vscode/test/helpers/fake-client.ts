// A stand-in for vscode-languageclient's LanguageClient, for the controller's unit tests.
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import type { ClientLike } from '../../src/controller';
import { Disposable } from './vscode-mock';

export class FakeClient implements ClientLike {
  static made: FakeClient[] = [];
  static failWith: Error | undefined;
  started = 0;
  stopped = 0;
  notifications: { method: string; params: unknown }[] = [];
  initializeResult = { serverInfo: { name: 'osls', version: 'test' } };
  private listeners: ((e: { oldState: number; newState: number }) => void)[] = [];

  constructor(
    readonly id: string,
    readonly name: string,
    readonly serverOptions: ServerOptions,
    readonly clientOptions: LanguageClientOptions,
  ) {
    FakeClient.made.push(this);
  }

  static factory = (id: string, name: string, so: ServerOptions, co: LanguageClientOptions) => new FakeClient(id, name, so, co);

  private fire(oldState: number, newState: number) {
    for (const l of this.listeners) l({ oldState, newState });
  }

  async start(): Promise<void> {
    this.started++;
    this.fire(1, 3);
    if (FakeClient.failWith) {
      this.fire(3, 1);
      throw FakeClient.failWith;
    }
    this.fire(3, 2);
  }

  async stop(): Promise<void> {
    this.stopped++;
    this.fire(2, 1);
  }

  onDidChangeState(l: (e: { oldState: number; newState: number }) => void) {
    this.listeners.push(l);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((x) => x !== l);
    });
  }

  async sendNotification(method: string, params?: unknown): Promise<void> {
    this.notifications.push({ method, params });
  }
}
