/**
 * The steps the sync and compose commands share: which folder, which remote directory (shown the
 * first time, default `~/.remote-docker/<folder>-<hash>`, changeable), and a sync with a
 * cancellable progress notification.
 */
import * as vscode from 'vscode';
import { formatBytes } from '../../core/engine/engineStatusFormat';
import { parseRemoteDir } from '../../core/sync/remotePaths';
import type { SyncProgress, SyncResult } from '../../core/sync/syncTypes';
import { errorSentence } from '../base/errorMessages';
import { UserCancelledError } from '../base/userCancelledError';
import type { Services } from '../services';

/** The folder a command is about: its argument (a folder or a file in one), else the only one, else a pick. */
export async function folderForCommand(arg: unknown): Promise<vscode.WorkspaceFolder> {
  if (arg instanceof vscode.Uri) {
    const f = vscode.workspace.getWorkspaceFolder(arg);
    if (f) {
      return f;
    }
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  const asFolder = folders.find((f) => f === arg);
  if (asFolder) {
    return asFolder;
  }
  if (folders.length === 1) {
    return folders[0];
  }
  if (folders.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a folder first: there is nothing to sync.'));
    throw new UserCancelledError('no folder');
  }
  const picked = await vscode.window.showWorkspaceFolderPick({
    placeHolder: vscode.l10n.t('Select the workspace folder to sync'),
  });
  if (!picked) {
    throw new UserCancelledError('folder');
  }
  return picked;
}

/** Asks for the folder's remote directory (validated as typed) and stores it. */
export async function askRemoteDir(s: Services, folder: vscode.WorkspaceFolder, context: string): Promise<void> {
  const value = await vscode.window.showInputBox({
    title: vscode.l10n.t('Remote folder for {0} on {1}', folder.name, context),
    prompt: vscode.l10n.t(
      'The mirror of the folder on the remote host: under ~ or absolute. Files there that the folder lacks are removed.',
    ),
    value: s.remoteProject.remoteDir(folder),
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        parseRemoteDir(v);
        return undefined;
      } catch (e) {
        return errorSentence(e);
      }
    },
  });
  if (value === undefined) {
    throw new UserCancelledError('remote folder');
  }
  await s.remoteProject.setRemoteDir(folder, value);
}

function progressText(p: SyncProgress): string {
  switch (p.phase) {
    case 'listing':
      return vscode.l10n.t('Comparing files…');
    case 'hashing':
      return vscode.l10n.t('Comparing the contents of {0} files…', p.filesTotal);
    default:
      return vscode.l10n.t(
        '{0} of {1} changes, {2} of {3}',
        p.filesDone,
        p.filesTotal,
        formatBytes(p.bytesDone),
        formatBytes(p.bytesTotal),
      );
  }
}

/** Syncs with a cancellable progress notification (Cancel aborts the core's signal). */
export async function syncWithProgress(s: Services, folder: vscode.WorkspaceFolder): Promise<SyncResult> {
  const context = s.remoteProject.subject().name;
  if (!s.remoteProject.hasRemoteDir(folder)) {
    await askRemoteDir(s, folder, context);
  }
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Syncing {0} to {1}:{2}', folder.name, context, s.remoteProject.remoteDir(folder)),
      cancellable: true,
    },
    async (progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      let last = 0;
      try {
        return await s.remoteProject.sync(folder, {
          interactive: true,
          signal: controller.signal,
          onProgress: (p) => {
            const now = Date.now();
            // Coalesced: thousands of small files would otherwise flood the notification.
            if (now - last >= 100 || p.phase !== 'transferring') {
              last = now;
              progress.report({ message: progressText(p) });
            }
          },
        });
      } finally {
        sub.dispose();
      }
    },
  );
}
