/**
 * "Sync Workspace Folder to <context>": mirrors a workspace folder to its remote directory; the
 * result names the directory and offers to change it.
 */
import * as vscode from 'vscode';
import { formatBytes } from '../../core/engine/engineStatusFormat';
import type { Services } from '../services';
import { askRemoteDir, folderForCommand, syncWithProgress } from './syncSteps';

export async function syncWorkspaceFolder(s: Services, arg?: unknown): Promise<void> {
  const folder = await folderForCommand(arg);
  const r = await syncWithProgress(s, folder);
  const change = vscode.l10n.t('Change Remote Folder…');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t(
      'Synced {0} to {1}: {2} files sent ({3}), {4} removed, {5} unchanged.',
      folder.name,
      r.remoteDir,
      r.uploaded,
      formatBytes(r.uploadedBytes),
      r.deleted,
      r.unchanged,
    ),
    change,
  );
  if (choice === change) {
    await askRemoteDir(s, folder, s.remoteProject.subject().name);
    await syncWithProgress(s, folder);
  }
}
