import * as vscode from 'vscode';
import type { Services } from '../services';
import { openFile } from '../base/openFile';
import { pickSshHost } from '../flows/sshHostSteps';
import { aliasFromArg } from './sshHostNodes';

/** "Open in SSH Config": the file that defines the host, cursor on its `Host` line. */
export async function openSshHostInConfig(s: Services, arg?: unknown): Promise<void> {
  const alias = aliasFromArg(arg);
  const snap = await s.ssh.snapshot;
  const entry =
    (alias !== undefined ? snap.hosts.find((h) => h.host.alias === alias) : undefined) ??
    (await pickSshHost(s, {
      title: vscode.l10n.t('Open in SSH Config'),
      placeholder: vscode.l10n.t('Select the host to show in its configuration file'),
    }));
  await openFile(entry.host.file, { line: entry.host.line });
}
