import * as vscode from 'vscode';
import type { Services } from '../services';
import { switchToContext } from '../flows/contextSteps';

/** "Switch Back to Previous Docker Context", like `cd -`. */
export async function switchToPreviousContext(s: Services): Promise<void> {
  const previous = s.previous.name;
  if (!previous) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No previous Docker context is recorded yet.'));
    return;
  }
  await switchToContext(s, previous);
}
