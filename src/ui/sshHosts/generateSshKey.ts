import * as vscode from 'vscode';
import { tildePath } from '../../core/connect/connectPlan';
import { CommandIds } from '../base/commandIds';
import { generateKeyInteractive } from '../flows/sshKeySteps';
import type { Services } from '../services';

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
    // Its own command: it asks for the host and the key (this one is in the list).
    await vscode.commands.executeCommand(CommandIds.copyPublicKey);
  }
}
