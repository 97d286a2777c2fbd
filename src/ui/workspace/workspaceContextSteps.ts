import * as vscode from 'vscode';
import type { Services } from '../services';
import { installedNeighbours } from './neighbours';

/**
 * The steps that Use in This Workspace, the switcher's button, the protected-switch question and
 * the fall-back after a removal share.
 */

/** Makes `name` this workspace's context (terminals, this window), says so, and offers the neighbours. */
export async function useInWorkspace(s: Services, name: string): Promise<void> {
  const snap = await s.contexts.snapshot;
  await s.workspace.set(name);
  const global = snap.current?.name ?? 'default';
  if (snap.env.dockerHost) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        "This workspace now sets DOCKER_CONTEXT={0}, but DOCKER_HOST is set in VS Code's environment ({1}), and docker lets DOCKER_HOST win: terminals still use that daemon.",
        name,
        snap.env.dockerHost,
      ),
    );
  } else {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'This workspace uses Docker context "{0}": new terminals get DOCKER_CONTEXT={0}. The global context stays "{1}".',
        name,
        global,
      ),
    );
  }
  void offerNeighbours(s, name).catch((e: unknown) =>
    s.logger.error(`Setting DOCKER_CONTEXT for the container extensions failed: ${String(e)}`),
  );
}

/** Asks once per workspace whether the container extensions should follow; then follows the answer. */
async function offerNeighbours(s: Services, name: string): Promise<void> {
  const found = installedNeighbours();
  if (found.length === 0) {
    return;
  }
  let consent = s.neighbours.consent;
  if (consent === undefined) {
    const yes = vscode.l10n.t('Yes, in This Workspace');
    const no = vscode.l10n.t('No');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Should the container extensions use "{0}" in this workspace too? This adds DOCKER_CONTEXT to {1} in the workspace settings; Stop Using in This Workspace removes it.',
        name,
        found.map((n) => n.setting).join(', '),
      ),
      yes,
      no,
    );
    if (choice === undefined) {
      return; // dismissed: asked again next time
    }
    consent = choice === yes ? 'yes' : 'no';
    await s.neighbours.setConsent(consent);
  }
  // The person may have stopped or switched while the question was open.
  if (consent === 'yes' && s.workspace.name === name) {
    await s.neighbours.apply(found, name);
  }
}

/** Back to the global context: the environment, this window and the neighbours' settings as they were. */
export async function stopWorkspaceContext(s: Services): Promise<void> {
  await s.workspace.set(undefined);
  await s.neighbours.undo();
}

/** Stops using the workspace's context (if any) and says what terminals use now. */
export async function stopInWorkspace(s: Services): Promise<void> {
  const name = s.workspace.name;
  if (name === undefined) {
    void vscode.window.showInformationMessage(vscode.l10n.t('This workspace already uses the global Docker context.'));
    return;
  }
  await stopWorkspaceContext(s);
  const snap = await s.contexts.snapshot;
  void vscode.window.showInformationMessage(
    vscode.l10n.t(
      'This workspace no longer uses "{0}": new terminals use the global Docker context "{1}".',
      name,
      snap.current?.name ?? 'default',
    ),
  );
}
