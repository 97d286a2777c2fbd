import * as vscode from 'vscode';
import { installGuide, type RemoteFacts } from '../../core/serverSetup/osRelease';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';

/**
 * The commands that install Docker Engine on the host's distribution, in an untitled shell
 * document for the person to read and run there (the extension runs none of them), with
 * Docker's install page one click away.
 */
export async function showInstallGuide(host: EffectiveHost, facts: RemoteFacts): Promise<void> {
  const guide = installGuide(facts.os, host.user);
  // The distribution's name is remote data: one line of a shell comment, nothing more.
  const osName = (facts.os.prettyName ?? facts.os.id).replace(/[\r\n]+/g, ' ');
  const lines = [
    `# ${vscode.l10n.t('Install Docker Engine on {0} ({1})', host.alias, osName)}`,
    `# ${vscode.l10n.t("Docker's install page: {0}", guide.url)}`,
    '',
    ...(guide.commands.length > 0
      ? [`# ${vscode.l10n.t('Run on {0}, one at a time:', host.alias)}`, ...guide.commands]
      : [`# ${vscode.l10n.t('Follow the steps for this distribution on the page above.')}`]),
    '',
    `# ${vscode.l10n.t('Then start Docker and let {0} use it (log in again afterwards):', host.user)}`,
    ...guide.afterwards,
    '',
  ];
  const doc = await vscode.workspace.openTextDocument({ language: 'shellscript', content: lines.join('\n') });
  await vscode.window.showTextDocument(doc, { preview: false });
  const open = vscode.l10n.t("Open Docker's Install Page");
  void vscode.window
    .showInformationMessage(
      vscode.l10n.t('Docker is not installed on {0}: the commands that install it are in the editor.', host.alias),
      open,
    )
    .then((choice) => {
      if (choice === open) {
        void vscode.env.openExternal(vscode.Uri.parse(guide.url));
      }
    });
}
