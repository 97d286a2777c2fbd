import * as vscode from 'vscode';
import type { Services } from '../services';
import { stopWorkspaceContext } from './workspaceContextSteps';

/**
 * What keeps a workspace's context honest while the window runs: when the context it names is
 * removed (here or in a terminal), the workspace falls back to the global context and says so.
 * (The commands themselves are in the command table.)
 */
export function registerWorkspaceContext(s: Services): vscode.Disposable[] {
  let stopping = false;
  const check = (): void => {
    const snap = s.contexts.peek();
    const missing = snap && s.workspace.missingIn(snap);
    if (!missing || stopping) {
      return;
    }
    stopping = true;
    void stopWorkspaceContext(s)
      .then(() => {
        void vscode.window.showWarningMessage(
          vscode.l10n.t(
            'Docker context "{0}", used in this workspace, no longer exists. This workspace uses the global context "{1}" again.',
            missing,
            snap.current?.name ?? 'default',
          ),
        );
      })
      .catch((e: unknown) => s.logger.error(`Falling back to the global Docker context failed: ${String(e)}`))
      .finally(() => {
        stopping = false;
      });
  };
  check();
  return [s.contexts.onDidChange(() => check()), s.workspace.onDidChange(() => check())];
}
