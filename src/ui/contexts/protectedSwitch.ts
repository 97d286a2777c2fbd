import * as vscode from 'vscode';
import { UserCancelledError } from '../base/userCancelledError';
import type { Services } from '../services';

/**
 * Before a global switch to a protected context: a modal naming it. Resolves 'global' to go on
 * (also when nothing would change or the context is not protected), 'workspace' when the person
 * chose to use it in this workspace only; Cancel throws UserCancelledError.
 */
export async function confirmProtectedSwitch(s: Services, name: string): Promise<'global' | 'workspace'> {
  const snap = await s.contexts.snapshot;
  const target = snap.contexts.find((c) => c.name === name);
  if (!target?.protection || snap.current?.configured === name) {
    return 'global';
  }
  const switchGlobally = vscode.l10n.t('Switch Globally');
  const here = vscode.l10n.t('Use in This Workspace Only');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('"{0}" is a protected Docker context. Switch to it globally?', name),
    {
      modal: true,
      detail: vscode.l10n.t(
        'docker in every terminal and window that uses the global context will then talk to the daemon of "{0}" ({1}).',
        name,
        target.endpoint,
      ),
    },
    switchGlobally,
    ...(s.workspace.available ? [here] : []),
  );
  if (choice === switchGlobally) {
    return 'global';
  }
  if (choice === here) {
    return 'workspace';
  }
  throw new UserCancelledError();
}
