import * as vscode from 'vscode';
import { inspectUri } from './inspectDocumentProvider';
import type { Services } from '../services';
import { UserCancelledError } from '../base/userCancelledError';
import { asContextNode } from './contextNodes';
import { pickContext } from './pickContext';

/** "Inspect Docker Context": `docker context inspect NAME` in a read-only JSON editor. */
export async function inspectContext(s: Services, arg?: unknown): Promise<void> {
  let name = asContextNode(arg)?.summary.name;
  if (!name) {
    const chosen = await pickContext(await s.contexts.snapshot, {
      title: vscode.l10n.t('Inspect Docker Context'),
      placeholder: vscode.l10n.t('Select the context to inspect'),
      filter: (c) => !c.error,
    });
    if (chosen === 'create') {
      throw new UserCancelledError();
    }
    name = chosen.name;
  }
  const doc = await vscode.workspace.openTextDocument(inspectUri(name));
  if (doc.languageId !== 'json') {
    await vscode.languages.setTextDocumentLanguage(doc, 'json');
  }
  await vscode.window.showTextDocument(doc, { preview: true });
}
