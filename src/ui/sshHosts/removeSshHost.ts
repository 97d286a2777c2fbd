import * as vscode from 'vscode';
import { removeSshHost as removeHostBlock } from '../../core/sshConfig/sshConfigEdit';
import { contextsUsingAlias } from '../../core/connect/sshHostUsage';
import { confirmModal } from '../base/prompts';
import type { Services } from '../services';
import { pickSshHost } from '../flows/sshHostSteps';
import { aliasFromArg } from './sshHostNodes';

/** "Remove Host…": deletes the host's block after a modal confirmation (only blocks that can be removed exactly). */
export async function removeSshHost(s: Services, arg?: unknown): Promise<void> {
  const title = vscode.l10n.t('Remove SSH Host');
  const alias = aliasFromArg(arg);
  const snap = await s.ssh.snapshot;
  const entry =
    (alias !== undefined ? snap.hosts.find((h) => h.host.alias === alias) : undefined) ??
    (await pickSshHost(s, {
      title,
      placeholder: vscode.l10n.t('Select the host to remove from the SSH configuration'),
    }));
  const name = entry.host.alias;
  const users = contextsUsingAlias((await s.contexts.snapshot).contexts, name);
  const detail = [
    vscode.l10n.t(
      'The "Host {0}" block is removed from {1}; comments and every other line stay as they are. Keys and known_hosts are not touched.',
      name,
      entry.host.file,
    ),
    users.length > 0
      ? vscode.l10n.t('Docker context {0} uses this host and will stop working.', users.join(', '))
      : undefined,
  ]
    .filter((x) => x)
    .join('\n\n');
  if (!(await confirmModal(vscode.l10n.t('Remove the SSH host "{0}"?', name), detail, vscode.l10n.t('Remove Host')))) {
    return;
  }
  s.logger.info(`Removing SSH host ${name} from ${entry.host.file}`);
  await removeHostBlock(s.ssh.configFile, name, { home: s.ssh.home });
  await s.refresh.request('sshHosts', 'afterChange');
}
