import * as vscode from 'vscode';
import { diagnoseHost, type DiagnoseStep } from '../../core/diagnose/diagnose';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import { dockerSocketForAlias } from '../../core/connect/sshHostUsage';
import type { Services } from '../services';
import { logDiagnose, showDiagnoseReport } from './sshDiagnoseReport';
import { pickSshHost } from './sshPickers';
import { withSshProgress, type ProgressStep } from '../base/progress';
import { aliasFromArg } from './sshHostNodes';

/** "Test SSH Connection": every step from name resolution to the Docker daemon, as a report with fixes. */
export async function testSshConnection(s: Services, arg?: unknown): Promise<void> {
  const title = vscode.l10n.t('Test SSH Connection');
  const alias =
    aliasFromArg(arg) ??
    (await pickSshHost(s, { title, placeholder: vscode.l10n.t('Select the host to test') })).host.alias;
  // A context that reaches a rootless daemon through this alias names its socket: test that one.
  const socketPath = dockerSocketForAlias((await s.contexts.snapshot).contexts, alias);
  const steps = await withSshProgress(vscode.l10n.t('Testing the SSH connection to {0}…', alias), async (p) => {
    const host = await s.ssh.resolve(alias, p.signal);
    return diagnoseResolved(s, host, p, socketPath);
  });
  await showDiagnoseReport(steps, { title: vscode.l10n.t('Test SSH Connection: {0}', alias) });
}

/**
 * Diagnoses a resolved host inside a progress notification: an unknown host key is asked about
 * (never accepted silently), a passphrase is asked once; no password is ever used here.
 */
export async function diagnoseResolved(
  s: Services,
  host: EffectiveHost,
  p: ProgressStep,
  socketPath?: string,
): Promise<DiagnoseStep[]> {
  p.report(vscode.l10n.t('Connecting to {0}…', host.alias));
  const steps = await diagnoseHost({
    ...s.ssh.connectOptions(host, { signal: p.signal, prompts: s.ssh.prompts(p.token) }),
    ...(socketPath ? { socketPath } : {}),
    onStage: (stage) => {
      if (stage === 'auth') {
        p.report(vscode.l10n.t('Checking Docker on {0}…', host.alias));
      }
    },
  });
  logDiagnose(s.logger, `${host.alias} (${host.user}@${host.hostname}:${host.port})`, steps);
  return steps;
}
