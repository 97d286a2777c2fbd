import * as vscode from 'vscode';
import { suggestContextName } from '../../core/connect/connectPlan';
import { sshEndpointForAlias } from '../../core/connect/sshHostUsage';
import type { Services } from '../services';
import { pickSshHost } from './sshPickers';
import { aliasFromArg } from './sshHostNodes';
import { createContext } from '../contexts/createContext';

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
  const snap = await s.ssh.snapshot;
  const effective = snap.hosts.find((h) => h.host.alias === alias)?.effective;
  const taken = (await s.contexts.snapshot).contexts.map((c) => c.name);
  await createContext(s, {
    name: suggestContextName(alias, taken),
    endpoint: sshEndpointForAlias(alias),
    description: effective ? sshContextDescription(effective.user, effective.hostname, effective.port) : undefined,
  });
}

/** The description a context for an SSH host gets unless the user types another. */
export function sshContextDescription(user: string, hostname: string, port: number): string {
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return vscode.l10n.t('Docker on {0} via SSH', port === 22 ? `${user}@${host}` : `${user}@${host}:${port}`);
}
