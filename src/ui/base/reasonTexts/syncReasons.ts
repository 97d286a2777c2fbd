import * as vscode from 'vscode';
import type { ErrorDetails, SYNC_REASONS } from '../../../core/common/errors';
import { str, type ErrorText } from '../errorDetails';

export type SyncReason = (typeof SYNC_REASONS)[number];

/** The workspace mirror and compose on the remote, in the user's language (one case per reason). */
export function syncReasonText(reason: SyncReason, details: ErrorDetails): ErrorText {
  const p = str(details, 'path') ?? '?';
  switch (reason) {
    case 'syncRemoteDirInvalid':
      return {
        message: vscode.l10n.t('The remote directory "{0}" cannot be used for the mirror.', p),
        nextStep: vscode.l10n.t(
          'Use a path under ~ or an absolute path, without "..", and neither / nor the home directory itself.',
        ),
      };
    case 'syncPathOutside':
      return { message: vscode.l10n.t('"{0}" would be written outside the mirror directory, so it was refused.', p) };
    case 'syncRemoteSymlink':
      return {
        message: vscode.l10n.t('{0} on the remote is a symbolic link; the mirror does not write through links.', p),
        nextStep: vscode.l10n.t('Choose another remote directory, or replace the link with a directory.'),
      };
    case 'syncRemoteListFailed':
      return {
        message: vscode.l10n.t(
          'The mirror directory {0} could not be listed on the remote: {1}',
          p,
          str(details, 'stderr') ?? '',
        ),
        nextStep: vscode.l10n.t('Check that the remote user can read and enter that directory.'),
      };
    case 'syncRemoteFailed':
      return {
        message: vscode.l10n.t(
          'Writing {0} on the remote failed ({1}): {2}',
          p,
          str(details, 'op') ?? '?',
          str(details, 'message') ?? '',
        ),
      };
    case 'syncLocalUnreadable':
      return { message: vscode.l10n.t('{0} could not be read.', str(details, 'file') ?? '?') };
    case 'syncNeedsSsh':
      return {
        message: vscode.l10n.t(
          'Docker context "{0}" does not reach its daemon over SSH, so there is no remote folder to sync to.',
          str(details, 'name') ?? '?',
        ),
        nextStep: vscode.l10n.t('Use an ssh:// context for this workspace.'),
      };
    case 'composeMissing':
      return {
        message:
          details.dockerCli === false
            ? vscode.l10n.t('Neither the docker command nor "docker-compose" is installed on the remote.')
            : vscode.l10n.t('Neither "docker compose" nor "docker-compose" is installed on the remote.'),
        nextStep: vscode.l10n.t('Install the Docker Compose plugin (or docker-compose) there.'),
      };
    case 'composeFileOutside':
      return { message: vscode.l10n.t('{0} is not inside a workspace folder, so it cannot be synced.', p) };
  }
}
