import * as vscode from 'vscode';
import { CoreError } from '../../core/common/errors';
import { contextsByAlias } from '../../core/connect/sshHostUsage';
import { parseSshDestination, validateAlias } from '../../core/sshConfig/sshConfigEdit';
import { errorText } from '../base/errorMessages';
import { pickOne } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import type { Services } from '../services';
import type { SshHostEntry } from '../sshHosts/sshService';

/**
 * The host steps that the SSH host commands and Connect to a Remote Docker Host share: picking a
 * host of the configuration, and checking a typed destination and alias as the person types.
 */

function hostDescription(e: SshHostEntry): string {
  const h = e.effective;
  return h ? `${h.user}@${h.hostname.includes(':') ? `[${h.hostname}]` : h.hostname}:${h.port}` : '';
}

interface HostItem extends vscode.QuickPickItem {
  entry: SshHostEntry;
}

/** A host of the SSH configuration; an empty configuration is explained instead of showing an empty list. */
export async function pickSshHost(s: Services, o: { title: string; placeholder: string }): Promise<SshHostEntry> {
  const snap = await s.ssh.snapshot;
  if (snap.hosts.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        '{0} lists no SSH hosts yet. Use "Add SSH Host…" or "Connect to a Remote Docker Host…".',
        snap.configFile,
      ),
    );
    throw new UserCancelledError(o.title);
  }
  const used = contextsByAlias((await s.contexts.snapshot).contexts);
  const items: HostItem[] = snap.hosts.map((entry) => {
    const ctx = used.get(entry.host.alias.toLowerCase());
    return {
      label: entry.host.alias,
      description: hostDescription(entry),
      detail: ctx ? vscode.l10n.t('Used by Docker context: {0}', ctx.join(', ')) : undefined,
      entry,
    };
  });
  return (await pickOne({ title: o.title, placeholder: o.placeholder, items })).entry;
}

/** Why a typed destination cannot be used, or undefined. Accepts what people paste (`ssh -p 2222 user@host`). */
export function destinationProblem(value: string): string | undefined {
  if (value.trim() === '') {
    return vscode.l10n.t('Enter user@host, user@host:port, or paste an ssh command.');
  }
  try {
    parseSshDestination(value);
    return undefined;
  } catch (e) {
    if (e instanceof CoreError) {
      return vscode.l10n.t('"{0}" is not a valid SSH destination. Use user@host or user@host:port.', value.trim());
    }
    throw e;
  }
}

/** Why a typed alias cannot be used as a new Host, or undefined. `taken` is compared case-insensitively, as ssh does. */
export function aliasProblem(value: string, taken: readonly string[]): string | undefined {
  try {
    validateAlias(value);
  } catch (e) {
    if (e instanceof CoreError) {
      return value === '' ? vscode.l10n.t('Enter an alias.') : errorText(e).message;
    }
    throw e;
  }
  const clash = taken.find((a) => a.toLowerCase() === value.toLowerCase());
  return clash ? vscode.l10n.t('The SSH configuration already has a host "{0}".', clash) : undefined;
}
