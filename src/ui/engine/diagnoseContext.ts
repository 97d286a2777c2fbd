import * as vscode from 'vscode';
import { parseEndpoint } from '../../core/contexts/endpoint';
import { sshHostForEndpoint } from '../../core/engine/engineSshTarget';
import { describeProbe } from './engineService';
import { joinNextStep, reasonText } from '../base/errorMessages';
import type { Services } from '../services';
import { showDiagnoseReport } from '../sshHosts/sshDiagnoseReport';
import { withSshProgress } from '../base/progress';
import { contextForCommand } from './pickEngineContext';
import { diagnoseResolved } from '../flows/diagnoseSteps';

/**
 * "Diagnose Docker Context": why a context's daemon cannot be reached. For ssh:// endpoints
 * the step-by-step SSH report (name, TCP, host key, login, docker on the remote, socket,
 * daemon) with a fix for the step that failed; for local sockets and tcp:// the failure and
 * what to do about it.
 */
export async function diagnoseContext(s: Services, arg?: unknown): Promise<void> {
  const summary = await contextForCommand(s, arg, {
    title: vscode.l10n.t('Diagnose Docker Context'),
    placeholder: vscode.l10n.t('Select the context to diagnose'),
  });
  const endpoint = parseEndpoint(summary.endpoint);
  if (endpoint.scheme === 'ssh') {
    const alias = endpoint.host ?? '';
    const steps = await withSshProgress(vscode.l10n.t('Testing the SSH connection to {0}…', alias), async (p) => {
      const host = sshHostForEndpoint(await s.ssh.resolve(alias, p.signal), endpoint);
      return diagnoseResolved(s, host, p, endpoint.path && endpoint.path !== '/' ? endpoint.path : undefined);
    });
    // The row and the status bar follow what the report found.
    void s.engine.probe(summary, { interactive: false });
    await showDiagnoseReport(steps, { title: vscode.l10n.t('Diagnose Docker Context: {0}', summary.name) });
    return;
  }
  const r = await withSshProgress(vscode.l10n.t('Checking the Docker daemon of {0}…', summary.name), (p) =>
    s.engine.probe(summary, { interactive: true, signal: p.signal }),
  );
  s.logger.info(`Diagnose ${summary.name} (${summary.endpoint}): ${describeProbe(r)}`);
  if (r.ok) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'The Docker daemon of {0} answers: {1} · {2}',
        summary.name,
        r.value.operatingSystem,
        r.value.architecture,
      ),
    );
    return;
  }
  if (r.error.reason === 'cancelled') {
    return;
  }
  const t = reasonText(r.error.reason, r.error.details);
  const showLog = vscode.l10n.t('Show Log');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('The Docker daemon of {0} cannot be reached.', summary.name),
    { modal: true, detail: joinNextStep(t, '\n\n') },
    showLog,
  );
  if (choice === showLog) {
    s.logger.show();
  }
}
