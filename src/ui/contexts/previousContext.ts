import type * as vscode from 'vscode';
import { StateKeys } from '../base/ids';
import type { ContextsService } from './contextsService';

const KEY = StateKeys.previousContext;

/**
 * Remembers the context that was current before the last switch — made here or in a terminal —
 * like `cd -`. Kept in globalState: the docker config is per user, not per workspace.
 */
export class PreviousContext implements vscode.Disposable {
  private lastSeen: string | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly memento: vscode.Memento,
    model: ContextsService,
  ) {
    this.subscription = model.onDidChange((snap) => {
      const now = snap.current?.name;
      if (now === undefined) {
        return;
      }
      if (this.lastSeen !== undefined && this.lastSeen !== now) {
        void this.memento.update(KEY, this.lastSeen);
      }
      this.lastSeen = now;
    });
  }

  get name(): string | undefined {
    return this.memento.get<string>(KEY);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
