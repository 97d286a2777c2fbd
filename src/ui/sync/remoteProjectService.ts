/**
 * The workspace's mirrors on the remote: which remote directory each folder syncs to (kept in
 * workspaceState, shown and changeable), one sync at a time per folder (a save during a sync
 * queues exactly one more), on the pooled SSH connection of the context this window talks to
 * (`EngineService.statusSubject`, not the global current context).
 */
import * as vscode from 'vscode';
import { CoreError } from '../../core/common/errors';
import type { SshLease } from '../../core/engine/enginePool';
import type { EngineSubject } from '../../core/engine/engineMonitor';
import { defaultRemoteDir, parseRemoteDir } from '../../core/sync/remotePaths';
import { syncFolder } from '../../core/sync/syncFolder';
import type { SyncProgress, SyncResult } from '../../core/sync/syncTypes';
import type { OutputChannelLogger } from '../base/logging';
import { errorSentence } from '../base/errorMessages';
import type { EngineService } from '../engine/engineService';
import { readSyncSettings } from './syncSettings';

const STATE_PREFIX = 'remoteDocker.sync.remoteDir:';
const SYNCED_PREFIX = 'remoteDocker.sync.synced:';

export interface SyncRun {
  readonly interactive: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SyncProgress) => void;
}

export class RemoteProjectService implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The sync under way per folder. */
  private readonly running = new Map<string, Promise<SyncResult>>();
  /** Folders saved into while their sync ran: one more quiet sync follows it. */
  private readonly savedMeanwhile = new Set<string>();

  constructor(
    private readonly engine: EngineService,
    private readonly state: vscode.Memento,
    private readonly logger: OutputChannelLogger,
  ) {
    this.subscriptions.push(vscode.workspace.onDidSaveTextDocument((d) => this.onSaved(d)));
  }

  /** The context this window's daemon is reached through; refused unless it is ssh://. */
  subject(): EngineSubject {
    const s = this.engine.statusSubject;
    if (!s || !s.endpoint.startsWith('ssh://')) {
      throw new CoreError('syncNeedsSsh', 'The current context is not an ssh:// context.', {
        name: s?.name ?? 'default',
      });
    }
    return s;
  }

  lease(o: { interactive: boolean; signal?: AbortSignal }): Promise<SshLease> {
    return this.engine.lease(this.subject(), o);
  }

  remoteDir(folder: vscode.WorkspaceFolder): string {
    return (
      this.state.get<string>(STATE_PREFIX + folder.uri.toString()) ?? defaultRemoteDir(folder.name, folder.uri.fsPath)
    );
  }

  hasRemoteDir(folder: vscode.WorkspaceFolder): boolean {
    return this.state.get<string>(STATE_PREFIX + folder.uri.toString()) !== undefined;
  }

  /** Stores a new remote directory after validating it (the core refuses traversal and the home itself). */
  async setRemoteDir(folder: vscode.WorkspaceFolder, value: string): Promise<void> {
    parseRemoteDir(value);
    await this.state.update(STATE_PREFIX + folder.uri.toString(), value.trim());
  }

  /** Syncs the folder now (joining one under way, then running once more so the latest files travel). */
  async sync(folder: vscode.WorkspaceFolder, run: SyncRun): Promise<SyncResult> {
    const key = folder.uri.toString();
    for (let current = this.running.get(key); current; current = this.running.get(key)) {
      // Files may have changed after that sync listed them: this one runs after it.
      await current.catch(() => undefined);
    }
    const done = this.syncOnce(folder, run);
    this.running.set(key, done);
    try {
      return await done;
    } finally {
      this.running.delete(key);
      if (this.savedMeanwhile.delete(key)) {
        this.syncQuietly(folder);
      }
    }
  }

  private async syncOnce(folder: vscode.WorkspaceFolder, run: SyncRun): Promise<SyncResult> {
    if (folder.uri.scheme !== 'file') {
      throw new CoreError('composeFileOutside', 'Only folders on this machine can be synced.', {
        path: folder.uri.toString(),
      });
    }
    const lease = await this.lease({ interactive: run.interactive, signal: run.signal });
    try {
      const result = await syncFolder({
        client: lease.client,
        localRoot: folder.uri.fsPath,
        remoteDir: this.remoteDir(folder),
        extraExcludes: readSyncSettings().exclude,
        signal: run.signal,
        onProgress: run.onProgress,
        logger: this.logger,
      });
      await this.state.update(SYNCED_PREFIX + folder.uri.toString(), true);
      return result;
    } finally {
      lease.release();
    }
  }

  /** With `sync.onSave`, a save in a folder synced before syncs it again, quietly (errors are logged, shown once). */
  private onSaved(doc: vscode.TextDocument): void {
    if (!readSyncSettings().onSave || doc.uri.scheme !== 'file') {
      return;
    }
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (!folder || this.state.get<boolean>(SYNCED_PREFIX + folder.uri.toString()) !== true) {
      return;
    }
    if (this.running.has(folder.uri.toString())) {
      this.savedMeanwhile.add(folder.uri.toString());
      return;
    }
    this.syncQuietly(folder);
  }

  private syncQuietly(folder: vscode.WorkspaceFolder): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Syncing {0}…', folder.name) },
      async () => {
        try {
          const r = await this.sync(folder, { interactive: false });
          this.logger.info(`Synced ${folder.name} on save: ${r.uploaded} files sent, ${r.deleted} removed`);
        } catch (e) {
          this.logger.warn(`Sync of ${folder.name} on save failed: ${errorSentence(e)}`);
          void vscode.window.showWarningMessage(
            vscode.l10n.t('Sync on save of {0} failed: {1}', folder.name, errorSentence(e)),
          );
        }
      },
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
