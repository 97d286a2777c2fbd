import * as vscode from 'vscode';
import { generateKey, type GeneratedKey } from '../../core/ssh/keys';
import { BACK } from '../base/prompts';
import type { Services } from '../services';
import { askNewKey, tildePath } from './sshPickers';
import { UserCancelledError } from '../base/userCancelledError';
import { copyPublicKey } from './copyPublicKey';

/** "Generate SSH Key…": an ed25519 key in `~/.ssh` (never over an existing file), then its fingerprint and what to do with it. */
export async function generateSshKey(s: Services): Promise<void> {
  const title = vscode.l10n.t('Generate SSH Key');
  const key = await generateKeyInteractive(s, { title });
  const copy = vscode.l10n.t('Copy Public Key');
  const install = vscode.l10n.t('Copy to Host…');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('Created {0} ({1}).', tildePath(key.privateKeyPath, s.ssh.home), key.fingerprint),
    copy,
    install,
  );
  if (choice === copy) {
    await vscode.env.clipboard.writeText(`${key.publicKey}\n`);
    void vscode.window.showInformationMessage(
      vscode.l10n.t('The public key {0} is on the clipboard.', tildePath(key.publicKeyPath, s.ssh.home)),
    );
  } else if (choice === install) {
    await copyPublicKey(s);
  }
}

/** Asks for a name and passphrase and writes the key; shared by the commands that offer "Generate a new key…". */
export async function generateKeyInteractive(s: Services, o: { title: string; alias?: string }): Promise<GeneratedKey> {
  const answers = await askNewKey(s, { title: o.title, alias: o.alias });
  if (answers === BACK) {
    throw new UserCancelledError(o.title);
  }
  const key = await generateKey({
    privateKeyPath: answers.privateKeyPath,
    passphrase: answers.passphrase || undefined,
  });
  if (answers.passphrase) {
    // Typed twice just now: no reason to ask again for this session's connections.
    s.ssh.passphrases.set(key.privateKeyPath, answers.passphrase);
  }
  s.logger.info(
    `Generated the SSH key ${key.privateKeyPath} (${key.fingerprint})${answers.passphrase ? ' with a passphrase' : ''}`,
  );
  return key;
}
