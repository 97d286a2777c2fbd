import * as vscode from 'vscode';
import { diagnoseHost, type DiagnoseStep } from '../../core/diagnose/diagnose';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import type { ProgressStep } from '../base/progress';
import type { Services } from '../services';
import { logDiagnose } from '../sshHosts/sshDiagnoseReport';

/**
 * Diagnoses a resolved host inside a progress notification: an unknown host key is asked about
 * (never accepted silently), a passphrase is asked once; no password is ever used here. Shared
 * by Test SSH Connection, Diagnose Docker Context, the check before a context is created, and
 * Connect to a Remote Docker Host.
 */
export async function diagnoseResolved(
  s: Services,
  host: EffectiveHost,
  p: ProgressStep,
  socketPath?: string,
): Promise<DiagnoseStep[]> {
  p.report(vscode.l10n.t('Connecting to {0}…', host.alias));
  // A host only OpenSSH reaches as the docker CLI does is checked through it, as the engine does.
  const systemSsh = await s.engine.systemSshFor(host);
  const steps = await diagnoseHost({
    ...s.ssh.connectOptions(host, { signal: p.signal, prompts: s.ssh.prompts(p.token) }),
    ...(socketPath ? { socketPath } : {}),
    ...(systemSsh ? { systemSsh } : {}),
    onStage: (stage) => {
      if (stage === 'auth') {
        p.report(vscode.l10n.t('Checking Docker on {0}…', host.alias));
      }
    },
  });
  logDiagnose(s.logger, `${host.alias} (${host.user}@${host.hostname}:${host.port})`, steps);
  return steps;
}
