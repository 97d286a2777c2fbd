import * as vscode from 'vscode';
import { sshHostOfEndpoint } from '../../core/connect/sshHostUsage';
import { CoreError, isCancelled, SETUP_REASONS } from '../../core/common/errors';
import type { DiagnoseStep } from '../../core/diagnose/diagnose';
import { readRemoteFacts, type RemoteFacts } from '../../core/serverSetup/osRelease';
import { needsRemoteFacts, setupNeeds, setupOffers, type SetupOffer } from '../../core/serverSetup/setupOffers';
import { adminCommand, runSudo, type PrivilegedFix } from '../../core/serverSetup/sudo';
import { connectSsh, type SshConnection } from '../../core/ssh/connection';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import { errorSentence } from '../base/errorMessages';
import { withSshProgress, type ProgressStep } from '../base/progress';
import type { Services } from '../services';
import { showInstallGuide } from './installGuide';

/** Remote commands of the setup wait this long at most (sudo, os-release). */
const REMOTE_TIMEOUT_MS = 60_000;

export interface LabeledOffer {
  label: string;
  offer: SetupOffer;
}

/**
 * What can be offered about this diagnosis; the host is looked at (systemd, distribution) only
 * when an offer depends on it and `known` does not say already.
 */
export async function prepareSetupOffers(
  s: Services,
  host: EffectiveHost,
  steps: readonly DiagnoseStep[],
  known?: RemoteFacts,
): Promise<{ offers: LabeledOffer[]; facts?: RemoteFacts }> {
  const needs = setupNeeds(steps);
  if (needs.length === 0) {
    return { offers: [] };
  }
  if (await s.engine.systemSshFor(host)) {
    // The fixes run over the extension's own SSH connection, which this host does not take (it is
    // reached through the system's ssh client); the report's copyable commands still show.
    s.logger.info(`Server setup: ${host.alias} is reached through the ssh client; no fixes are offered to run`);
    return { offers: [] };
  }
  let facts = known;
  if (!facts && needsRemoteFacts(needs)) {
    try {
      facts = await withSshProgress(vscode.l10n.t('Looking at {0}…', host.alias), (p) =>
        onConnection(s, host, p, (conn) =>
          readRemoteFacts(conn.client, { timeoutMs: REMOTE_TIMEOUT_MS, signal: p.signal }),
        ),
      );
      s.logger.info(
        `Server setup: ${host.alias} runs ${facts.os.prettyName ?? facts.os.id}${facts.systemd ? ' with systemd' : ' without systemd'}`,
      );
    } catch (e) {
      if (isCancelled(e)) {
        throw e;
      }
      // Without the facts the copyable fixes are still shown; only the offers that need them go.
      s.logger.warn(`Server setup: could not look at ${host.alias}: ${errorSentence(e)}`);
    }
  }
  const offers = setupOffers(needs, facts).flatMap((offer): LabeledOffer[] => {
    if (offer.kind === 'installGuide') {
      return facts ? [{ label: vscode.l10n.t('Show How to Install Docker on {0}', host.alias), offer }] : [];
    }
    return [{ label: sudoLabel(offer.fix), offer }];
  });
  return { offers, facts };
}

function sudoLabel(fix: PrivilegedFix): string {
  switch (fix.kind) {
    case 'addToGroup':
      return vscode.l10n.t('Add {0} to the {1} group (sudo)', fix.user, fix.group);
    case 'enableDaemon':
      return vscode.l10n.t('Start Docker and Start It at Boot (sudo)');
  }
}

/** After an offer: the host changed (diagnose again), nothing changed (choose again), or the flow stops here. */
export type SetupResult = 'changed' | 'unchanged' | 'stop';

/**
 * Does what the person chose. A sudo fix asks the password (once, only when sudo wants one),
 * runs the command, and drops the pooled connections of the contexts that use this alias, so
 * the next login has the new group. The install guide ends the flow: installing takes a while,
 * and the flow run again afterwards skips what is done.
 */
export async function runSetupOffer(
  s: Services,
  host: EffectiveHost,
  chosen: SetupOffer,
  facts: RemoteFacts | undefined,
): Promise<SetupResult> {
  if (chosen.kind === 'installGuide') {
    if (!facts) {
      return 'unchanged';
    }
    await showInstallGuide(host, facts);
    return 'stop';
  }
  const fix = chosen.fix;
  const command = adminCommand(fix) ?? '';
  try {
    const how = await withSshProgress(vscode.l10n.t('Running "{0}" on {1}', command, host.alias), (p) =>
      onConnection(s, host, p, (conn) =>
        runSudo(conn.client, fix, {
          askPassword: () => askSudoPassword(host, command, p),
          where: { user: host.user, host: host.alias },
          deadline: { timeoutMs: REMOTE_TIMEOUT_MS, signal: p.signal },
        }),
      ),
    );
    s.logger.info(
      `Server setup: ran "${command}" on ${host.alias} (${how === 'password' ? 'with' : 'without'} a password)`,
    );
  } catch (e) {
    if (isCancelled(e)) {
      s.logger.info(`Server setup: "${command}" on ${host.alias} cancelled; nothing was run`);
      return 'unchanged';
    }
    s.logger.warn(`Server setup: "${command}" on ${host.alias} failed: ${errorSentence(e)}`);
    if (!(e instanceof CoreError) || !(SETUP_REASONS as readonly string[]).includes(e.reason)) {
      throw e;
    }
    void offerCopy(errorSentence(e), command);
    return 'unchanged';
  }
  await dropPooledConnections(s, host.alias);
  return 'changed';
}

/** A new login gets the new group: the pool's connections through this alias are closed (they reconnect on the next request). */
async function dropPooledConnections(s: Services, alias: string): Promise<void> {
  const want = alias.toLowerCase();
  for (const c of (await s.contexts.snapshot).contexts) {
    if (sshHostOfEndpoint(c.endpoint)?.toLowerCase() === want) {
      s.logger.info(`Server setup: reconnecting ${c.endpoint} (context ${c.name})`);
      s.engine.closeConnection(c.endpoint);
    }
  }
}

async function askSudoPassword(host: EffectiveHost, command: string, p: ProgressStep): Promise<string | undefined> {
  p.report(vscode.l10n.t('Waiting for the sudo password…'));
  const value = await vscode.window.showInputBox(
    {
      title: vscode.l10n.t('sudo Password of {0} on {1}', host.user, host.alias),
      prompt: vscode.l10n.t('Used once to run "{0}"; not stored.', command),
      password: true,
      ignoreFocusOut: true,
    },
    p.token,
  );
  p.report(vscode.l10n.t('Running "{0}"…', command));
  return value;
}

async function offerCopy(message: string, command: string): Promise<void> {
  const copy = vscode.l10n.t('Copy Command');
  if ((await vscode.window.showErrorMessage(message, copy)) === copy) {
    await vscode.env.clipboard.writeText(command);
  }
}

/** A connection of its own for one step (the diagnosis closed its one), closed afterwards. */
async function onConnection<T>(
  s: Services,
  host: EffectiveHost,
  p: ProgressStep,
  fn: (conn: SshConnection) => Promise<T>,
): Promise<T> {
  p.report(vscode.l10n.t('Connecting to {0}…', host.alias));
  const conn = await connectSsh(s.ssh.connectOptions(host, { signal: p.signal, prompts: s.ssh.prompts(p.token) }));
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}
