import * as vscode from 'vscode';
import { dockerSocketForAlias } from '../../core/connect/sshHostUsage';
import type { Services } from '../services';
import { showDiagnoseReport } from './sshDiagnoseReport';
import { diagnoseResolved } from '../flows/diagnoseSteps';
import { pickSshHost } from '../flows/sshHostSteps';
import { withSshProgress } from '../base/progress';
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
