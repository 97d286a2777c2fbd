import * as vscode from 'vscode';
import type { ErrorDetails, SETUP_REASONS } from '../../../core/common/errors';
import { str, hostName, type ErrorText } from '../errorDetails';

export type SetupReason = (typeof SETUP_REASONS)[number];

/** A fix run with sudo on the remote host, in the user's language (a table: one case per reason). */
export function setupReasonText(reason: SetupReason, details: ErrorDetails): ErrorText {
  const user = str(details, 'user') ?? '?';
  const command = str(details, 'command');
  const handOver = command
    ? vscode.l10n.t('Nothing was changed. Ask an administrator of {0} to run: {1}', hostName(details), command)
    : vscode.l10n.t('Nothing was changed.');
  switch (reason) {
    case 'sudoPasswordWrong':
      return {
        message: vscode.l10n.t('sudo on {0} did not accept the password of {1}.', hostName(details), user),
        nextStep: handOver,
      };
    case 'sudoNotAllowed':
      return {
        message: vscode.l10n.t('{0} may not run this command with sudo on {1}.', user, hostName(details)),
        nextStep: handOver,
      };
    case 'sudoMissing':
      return {
        message: vscode.l10n.t('sudo is not installed on {0}.', hostName(details)),
        nextStep: handOver,
      };
    case 'sudoCommandFailed':
      return {
        message: str(details, 'stderr')
          ? vscode.l10n.t('The command failed on {0}: {1}', hostName(details), str(details, 'stderr') ?? '')
          : vscode.l10n.t('The command failed on {0}.', hostName(details)),
        nextStep: command ? vscode.l10n.t('Run it there yourself to see why: {0}', command) : undefined,
      };
  }
}
