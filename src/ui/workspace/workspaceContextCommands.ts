import * as vscode from 'vscode';
import { CoreError } from '../../core/common/errors';
import type { Services } from '../services';
import { asContextNode } from '../contexts/contextNodes';
import { pickContext } from '../contexts/pickContext';
import { UserCancelledError } from '../base/userCancelledError';
import { stopInWorkspace, useInWorkspace } from './workspaceContextSteps';

/** "Use in This Workspace": from a tree row, a switcher button (a name), or the palette (a picker). */
export async function useContextInWorkspace(s: Services, arg?: unknown): Promise<void> {
  if (!s.workspace.available) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Open a folder or workspace first: a Docker context can be used in a workspace only.'),
    );
    return;
  }
  const snap = await s.contexts.snapshot;
  const asked = asContextNode(arg)?.summary.name ?? (typeof arg === 'string' && arg !== '' ? arg : undefined);
  let name: string;
  if (asked !== undefined) {
    const found = snap.contexts.find((c) => c.name === asked);
    if (!found || found.error) {
      throw found?.error
        ? new CoreError(found.error.reason, found.error.message, { name: asked, file: found.metaPath })
        : new CoreError('contextNotFound', `There is no Docker context named "${asked}".`, { name: asked });
    }
    name = found.name;
  } else {
    const chosen = await pickContext(snap, {
      title: vscode.l10n.t('Use Docker Context in This Workspace'),
      placeholder: vscode.l10n.t('Select the context docker should use in this workspace only'),
      filter: (c) => !c.error,
    });
    if (chosen === 'create') {
      throw new UserCancelledError();
    }
    name = chosen.name;
  }
  await useInWorkspace(s, name);
}

/** "Stop Using in This Workspace": the global context again, and the neighbours' settings as they were. */
export async function stopUsingContextInWorkspace(s: Services): Promise<void> {
  await stopInWorkspace(s);
}
