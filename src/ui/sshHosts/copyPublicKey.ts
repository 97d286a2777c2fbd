import * as vscode from 'vscode';
import { tildePath } from '../../core/connect/connectPlan';
import { withSshProgress } from '../base/progress';
import { pickOne } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import { pickSshHost } from '../flows/sshHostSteps';
import {
  generateKeyInteractive,
  generateKeyItem,
  installKey,
  keyItems,
  localKeys,
  type KeyItem,
} from '../flows/sshKeySteps';
import type { Services } from '../services';
import { aliasFromArg } from './sshHostNodes';

/**
 * "Copy Public Key to Host…" (ssh-copy-id): a host and one of the keys in `~/.ssh` (the host's
 * own IdentityFile first), then the key is tried; only when it does not log in yet is the
 * password asked (in a box that hides it, up to three tries) and the key appended remotely.
 */
export async function copyPublicKey(s: Services, arg?: unknown): Promise<void> {
  const title = vscode.l10n.t('Copy Public Key to Host');
  const alias =
    aliasFromArg(arg) ??
    (await pickSshHost(s, { title, placeholder: vscode.l10n.t('Select the host to install your public key on') })).host
      .alias;
  const host = await s.ssh.resolve(alias);
  const keys = await localKeys(s);
  const items: KeyItem[] = [...keyItems(keys, s.ssh.home, host.identityFiles), generateKeyItem()];
  const chosen = await pickOne({ title, placeholder: vscode.l10n.t('Select the key to install on {0}', alias), items });
  let keyPath: string;
  if (chosen.key) {
    keyPath = chosen.key.privateKeyPath;
  } else if (chosen.generate) {
    keyPath = (await generateKeyInteractive(s, { title, alias })).privateKeyPath;
  } else {
    throw new UserCancelledError(title);
  }
  const result = await withSshProgress(
    vscode.l10n.t('Installing {0} on {1}…', tildePath(keyPath, s.ssh.home), alias),
    (p) => installKey(s, host, keyPath, p),
  );
  if (result.status === 'alreadyInstalled') {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('The key {0} already logs in to {1}; nothing was changed.', tildePath(keyPath, s.ssh.home), alias),
    );
  } else {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'The key {0} was added to {1} on {2} and now logs in.',
        tildePath(keyPath, s.ssh.home),
        result.authorizedKeysFile,
        alias,
      ),
    );
  }
}
