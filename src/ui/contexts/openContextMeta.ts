import * as vscode from 'vscode';
import { openFile } from '../base/openFile';
import type { Services } from '../services';
import { asContextNode } from './contextNodes';
import { pickContext } from './pickContext';

/** "Open meta.json": the way to repair a broken context by hand (tree rows of broken contexts). */
export async function openContextMeta(s: Services, arg?: unknown): Promise<void> {
  let metaPath = asContextNode(arg)?.summary.metaPath;
  if (!metaPath) {
    const snap = await s.contexts.snapshot;
    const chosen = await pickContext(snap, {
      title: vscode.l10n.t('Open meta.json'),
      placeholder: vscode.l10n.t('Select the context whose meta.json to open'),
      filter: (c) => c.metaPath !== undefined,
    });
    metaPath = chosen === 'create' ? undefined : chosen.metaPath;
  }
  if (metaPath) {
    await openFile(metaPath, { preview: true });
  }
}
