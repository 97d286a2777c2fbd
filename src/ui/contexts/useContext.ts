import * as vscode from 'vscode';
import type { Reason } from '../../core/common/errors';
import { reasonText } from '../base/errorMessages';
import type { Services } from '../services';
import { asContextNode } from './contextNodes';
import { openFile } from '../base/openFile';
import { switchToContext } from '../flows/contextSteps';
import { createContextFlow } from '../flows/createContextFlow';
import { pickSwitch } from './pickContext';
import { stopInWorkspace, useInWorkspace } from '../workspace/workspaceContextSteps';

/** "Use Docker Context…": from a tree row or the status bar / palette (then a picker). */
export async function useContext(s: Services, arg?: unknown): Promise<void> {
  const node = asContextNode(arg);
  let name: string;
  if (node) {
    name = node.summary.name;
  } else {
    const snap = await s.contexts.snapshot;
    const choice = await pickSwitch(snap, {
      title: vscode.l10n.t('Use Docker Context'),
      placeholder: s.workspace.available
        ? vscode.l10n.t('Select the context docker should use (the folder button: in this workspace only)')
        : vscode.l10n.t('Select the context docker should use'),
      offerCreate: true,
      workspace: s.workspace.name,
      workspaceAvailable: s.workspace.available,
    });
    if (choice.kind === 'create') {
      await createContextFlow(s);
      return;
    }
    if (choice.kind === 'stopWorkspace') {
      await stopInWorkspace(s);
      return;
    }
    if (choice.kind === 'workspace') {
      await useInWorkspace(s, choice.summary.name);
      return;
    }
    const chosen = choice.summary;
    if (chosen.error) {
      await explainBroken(chosen.name, chosen.error.reason, chosen.metaPath);
      return;
    }
    name = chosen.name;
  }
  await switchToContext(s, name);
}

async function explainBroken(name: string, reason: Reason, metaPath: string | undefined): Promise<void> {
  const open = vscode.l10n.t('Open meta.json');
  const text = reasonText(reason, { name, file: metaPath });
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Docker context "{0}" cannot be used: {1}', name, text.message),
    ...(metaPath ? [open] : []),
  );
  if (choice === open && metaPath) {
    await openFile(metaPath, { preview: true });
  }
}
