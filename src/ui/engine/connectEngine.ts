import * as vscode from 'vscode';
import { describeProbe } from './engineService';
import type { Services } from '../services';
import { withSshProgress } from '../base/progress';
import { contextForCommand } from './pickEngineContext';

/**
 * "Connect to Docker Engine": probes a context's daemon now, as a person asked, so the
 * host-key question and the passphrase box may appear. This is the action behind the
 * "Trust Host…" / "Enter Passphrase…" links of a background probe that could not ask.
 */
export async function connectEngine(s: Services, arg?: unknown): Promise<void> {
  const summary = await contextForCommand(s, arg, {
    title: vscode.l10n.t('Connect to Docker Engine'),
    placeholder: vscode.l10n.t('Select the context whose Docker daemon to connect to'),
  });
  const current = (await s.contexts.snapshot).current?.name === summary.name;
  const r = await withSshProgress(vscode.l10n.t('Connecting to the Docker daemon of {0}…', summary.name), (p) =>
    current
      ? s.engine.refreshStatus({ interactive: true, askAgain: true, signal: p.signal }, 'command')
      : s.engine.probe(summary, { interactive: true, askAgain: true, signal: p.signal }),
  );
  if (!r) {
    return;
  }
  s.logger.info(`Connect to the Docker daemon of ${summary.name}: ${describeProbe(r)}`);
  if (!r.ok) {
    throw r.error;
  }
  vscode.window.setStatusBarMessage(
    vscode.l10n.t(
      'The Docker daemon of {0} answers: {1} · {2}',
      summary.name,
      r.value.operatingSystem,
      r.value.architecture,
    ),
    5_000,
  );
}
