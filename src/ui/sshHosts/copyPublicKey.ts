import * as vscode from 'vscode';
import { copyPublicKey as copyId, type CopyIdResult } from '../../core/ssh/copyId';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import { pickOne } from '../base/prompts';
import type { Services } from '../services';
import { generateKeyItem, keyItems, localKeys, pickSshHost, tildePath, type KeyItem } from './sshPickers';
import type { ProgressStep } from '../base/progress';
import { withSshProgress } from '../base/progress';
import { UserCancelledError } from '../base/userCancelledError';
import { aliasFromArg } from './sshHostNodes';
import { generateKeyInteractive } from './generateSshKey';

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

/** copy-id with the extension's prompts (host key modal, passphrase, password box) inside a progress notification. */
export async function installKey(
  s: Services,
  host: EffectiveHost,
  keyPath: string,
  p: ProgressStep,
): Promise<CopyIdResult> {
  p.report(vscode.l10n.t('Trying the key {0} on {1}…', tildePath(keyPath, s.ssh.home), host.alias));
  s.logger.info(`Installing ${keyPath}.pub on ${host.user}@${host.hostname}:${host.port} (${host.alias})`);
  const result = await copyId({
    ...s.ssh.connectOptions(host, { signal: p.signal, prompts: s.ssh.prompts(p.token) }),
    privateKeyPath: keyPath,
  });
  s.logger.info(
    result.status === 'alreadyInstalled'
      ? `The key ${keyPath} already logs in to ${host.alias}`
      : `Installed ${keyPath}.pub into ${result.authorizedKeysFile} on ${host.alias}`,
  );
  return result;
}
