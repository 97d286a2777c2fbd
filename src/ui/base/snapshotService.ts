import * as vscode from 'vscode';
import { dataKey, LatestSnapshot } from '../../core/common/latestSnapshot';
import type { Logger } from '../../core/common/log';
import type { RefreshManager } from './refreshManager';

/**
 * What the contexts service and the SSH service share: one snapshot of what their files hold,
 * loaded when the refresh manager asks, read by the views, the status bar and pickers without
 * reading files again, and an event that fires only when what a reload found differs from what
 * was there (see LatestSnapshot), so a view never redraws for nothing.
 */
export abstract class SnapshotService<T> implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<T>();
  /** Fires when what the files hold changed (not for a reload that finds what was there). */
  readonly onDidChange = this.emitter.event;
  private readonly cell = new LatestSnapshot(
    () => this.load(),
    dataKey,
    (s) => this.emitter.fire(s),
  );
  /** Disposed with the service. */
  protected readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    protected readonly refresh: RefreshManager,
    protected readonly logger: Logger,
  ) {}

  /** The latest snapshot; before the first one exists, the load in progress (or a new one). */
  get snapshot(): Promise<T> {
    return this.cell.value;
  }

  peek(): T | undefined {
    return this.cell.peek();
  }

  /** Reads the files now (caller: the refresh manager); listeners hear of a change only. */
  reload(): Promise<T> {
    return this.cell.reload();
  }

  /** One reading of the files. */
  protected abstract load(): Promise<T>;

  dispose(): void {
    this.emitter.dispose();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
