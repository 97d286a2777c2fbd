import * as vscode from 'vscode';
import { visibleJson } from '../../core/engine/daemonText';
import { engineInfoUri } from './engineInfoDocuments';
import type { Services } from '../services';
import { withSshProgress } from '../base/progress';
import { contextForCommand } from './pickEngineContext';

/**
 * "Show Remote Engine Info": the daemon's `/info` and `/version`, as the Engine API sent them,
 * in a read-only JSON document. A person asked, so the connection may show the host-key
 * question or the passphrase box; Cancel on the progress notification stops it.
 */
export async function showEngineInfo(s: Services, arg?: unknown): Promise<void> {
  const summary = await contextForCommand(s, arg, {
    title: vscode.l10n.t('Show Remote Engine Info'),
    placeholder: vscode.l10n.t('Select the context whose Docker daemon to describe'),
  });
  const raw = await withSshProgress(vscode.l10n.t('Reading the Docker daemon information of {0}…', summary.name), (p) =>
    s.engine.rawInfo(summary, p.signal),
  );
  const text =
    visibleJson({ Context: summary.name, Endpoint: summary.endpoint, Info: raw.info, Version: raw.version }) + '\n';
  const uri = engineInfoUri(summary.name);
  s.engineInfo.set(uri, text);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.languageId !== 'json') {
    await vscode.languages.setTextDocumentLanguage(doc, 'json');
  }
  await vscode.window.showTextDocument(doc, { preview: true });
  s.logger.info(`Showed the engine information of ${summary.name} (${summary.endpoint})`);
}
