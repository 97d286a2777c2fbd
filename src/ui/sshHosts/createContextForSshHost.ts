import * as vscode from 'vscode';
import { createContextForAlias } from '../flows/createContextFlow';
import { pickSshHost } from '../flows/sshHostSteps';
import type { Services } from '../services';
import { aliasFromArg } from './sshHostNodes';

/** The SSH Hosts view's inline action: "Create Docker Context…" with `ssh://ALIAS` and a name filled in. */
export async function createContextForSshHost(s: Services, arg?: unknown): Promise<void> {
  const alias =
    aliasFromArg(arg) ??
    (
      await pickSshHost(s, {
        title: vscode.l10n.t('Create Docker Context'),
        placeholder: vscode.l10n.t('Select the SSH host the Docker context should use'),
      })
    ).host.alias;
  await createContextForAlias(s, alias);
}
