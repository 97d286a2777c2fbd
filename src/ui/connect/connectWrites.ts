import * as vscode from 'vscode';
import { formatDestination, tildePath, type ConnectPlan } from '../../core/connect/connectPlan';
import { CoreError, isCancelled } from '../../core/common/errors';
import type { DiagnoseStep } from '../../core/diagnose/diagnose';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import { addSshHost } from '../../core/sshConfig/sshConfigEdit';
import { errorSentence } from '../base/errorMessages';
import type { ProgressStep } from '../base/progress';
import { UserCancelledError } from '../base/userCancelledError';
import { diagnoseResolved } from '../flows/diagnoseSteps';
import { installKey, writeNewKey } from '../flows/sshKeySteps';
import type { Services } from '../services';
import type { Answers } from './connectQuestions';

/** What the flow has written so far, for the log when it stops. */
export interface FlowState {
  generatedKey?: string;
  keyInstalled?: 'already' | 'installed';
  configWritten?: string;
  contextCreated?: string;
}

/**
 * The writes of "Connect to a Remote Docker Host…" in the order of `planConnect`, inside one
 * cancellable progress notification: key, key install (host-key question, password once), the
 * Host block, then the diagnosis through the alias. Returns the diagnosis.
 */
export async function runWrites(
  s: Services,
  a: Answers,
  plan: ConnectPlan,
  state: FlowState,
  p: ProgressStep,
): Promise<DiagnoseStep[]> {
  const alias = a.alias.alias;
  const run = (id: string): boolean => plan.steps.find((st) => st.id === id)?.action === 'run';

  // 1. The key: a new file nobody refers to yet.
  const keyPath = a.key.path;
  if (run('generateKey')) {
    p.report(vscode.l10n.t('Generating the key {0}…', tildePath(keyPath, s.ssh.home)));
    const key = await writeNewKey(s, { privateKeyPath: keyPath, passphrase: a.newKeyPassphrase });
    state.generatedKey = key.privateKeyPath;
  } else {
    s.logger.info(`Using the existing key ${keyPath}`);
  }

  // 2. The first connection: host key (asked, never silently accepted), then the key alone,
  //    then, only if needed, the password once to append the key.
  const host = a.reusedHost ?? (await plannedHost(s, a, keyPath, p.signal));
  p.report(
    vscode.l10n.t('Connecting to {0}…', formatDestination({ user: host.user, host: host.hostname, port: host.port })),
  );
  const installed = await installKey(s, host, keyPath, p);
  state.keyInstalled = installed.status === 'alreadyInstalled' ? 'already' : 'installed';

  // 3. The Host block, now that the key logs in and the host key is trusted.
  if (run('writeConfig')) {
    p.report(vscode.l10n.t('Adding "Host {0}" to {1}…', alias, tildePath(s.ssh.configFile, s.ssh.home)));
    const { line } = await addSshHost(
      s.ssh.configFile,
      {
        alias,
        hostName: a.dest.host,
        user: a.dest.user,
        port: a.dest.port,
        identityFile: tildePath(keyPath, s.ssh.home),
      },
      { home: s.ssh.home },
    );
    state.configWritten = `${s.ssh.configFile}:${line}`;
    s.logger.info(`Added Host ${alias} to ${s.ssh.configFile} line ${line}`);
    await s.refresh.request('sshHosts', 'afterChange');
  } else {
    s.logger.info(
      `The SSH configuration already has "${alias}" for ${formatDestination(a.dest)}; not writing it again`,
    );
  }

  // 4. Diagnose through the alias as ssh now reads it (this also proves the block).
  p.report(vscode.l10n.t('Checking Docker on {0}…', alias));
  const resolved = await s.ssh.resolve(alias, p.signal);
  return diagnoseResolved(s, resolved, p);
}

/**
 * The host as ssh will see it once the block is written: what the configuration gives the new
 * alias today (defaults, `Host *`), with the values the block will set on top (the block goes
 * before any section that could apply, so its values win).
 */
async function plannedHost(s: Services, a: Answers, keyPath: string, signal: AbortSignal): Promise<EffectiveHost> {
  const base = await s.ssh.resolve(a.alias.alias, signal);
  return {
    ...base,
    hostname: a.dest.host,
    user: a.dest.user ?? base.user,
    port: a.dest.port ?? base.port,
    identityFiles: [keyPath],
    identitiesOnly: true,
  };
}

/** The log says exactly what a stopped flow left behind, so nothing is a surprise later. */
export function reportStop(s: Services, alias: string, state: FlowState, e: unknown): void {
  const cancelled = isCancelled(e) || e instanceof UserCancelledError || CoreError.is(e, 'hostKeyRejected');
  const kept: string[] = [];
  if (state.generatedKey) {
    kept.push(`the new key ${state.generatedKey} (and .pub), kept`);
  }
  if (state.keyInstalled === 'installed') {
    kept.push(`the public key in authorized_keys on the host`);
  }
  if (state.configWritten) {
    kept.push(`Host ${alias} at ${state.configWritten}`);
  }
  if (state.contextCreated) {
    kept.push(`Docker context ${state.contextCreated}`);
  }
  s.logger.info(
    `Connect to a Remote Docker Host: ${cancelled ? 'stopped' : `failed (${errorSentence(e)})`} for "${alias}". ` +
      (kept.length ? `Written so far: ${kept.join('; ')}.` : 'Nothing was written.'),
  );
}
