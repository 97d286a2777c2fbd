import * as vscode from 'vscode';
import type { Logger } from '../../core/common/log';
import type { DiagnoseFix, DiagnoseStep, DiagnoseStepId } from '../../core/diagnose/diagnose';
import { UserCancelledError } from '../base/userCancelledError';
import { stepDetail } from './diagnoseStepText';

/** What each diagnose step checks, as a row title. */
export function diagnoseStepTitle(id: DiagnoseStepId): string {
  switch (id) {
    case 'resolve':
      return vscode.l10n.t('Host name resolves');
    case 'tcp':
      return vscode.l10n.t('SSH server answers');
    case 'hostKey':
      return vscode.l10n.t('Host key is trusted');
    case 'auth':
      return vscode.l10n.t('Login works');
    case 'dockerCli':
      return vscode.l10n.t('docker command on the remote PATH');
    case 'dockerSocket':
      return vscode.l10n.t('Docker socket is reachable');
    case 'daemon':
      return vscode.l10n.t('Docker daemon answers');
  }
}

/** What to do about a failed step, in the user's words; `command` is shown, never run. */
export function fixSentence(fix: DiagnoseFix): string | undefined {
  const c = fix.command ?? '';
  switch (fix.kind) {
    case 'startSshServer':
      return vscode.l10n.t('Start the SSH server on the host, for example: {0}', c);
    case 'checkNetwork':
      return vscode.l10n.t('Check the network, VPN or firewall, and the host name and port.');
    case 'checkPort':
      return vscode.l10n.t('Check the port: something other than an SSH server answers there.');
    case 'checkHostName':
      return vscode.l10n.t('Check the host name, your DNS, or use an IP address.');
    case 'trustHostKey':
      return vscode.l10n.t(
        'Test the connection again and trust the host key when asked (compare the fingerprint with the server first).',
      );
    case 'removeKnownHost':
      return c
        ? vscode.l10n.t('If the server was reinstalled, remove the old key: {0}', c)
        : vscode.l10n.t('If the server was reinstalled, remove the old key from known_hosts.');
    case 'copyPublicKey':
      return vscode.l10n.t('Install your public key on the host with "Copy Public Key to Host…".');
    case 'enterPassphrase':
      return vscode.l10n.t('Enter the passphrase of the key when asked.');
    case 'addDockerToRemotePath':
      return vscode.l10n.t('Add {0} to the PATH of non-interactive SSH sessions on the host.', fix.value ?? '');
    case 'installDockerCli':
      return vscode.l10n.t(
        'Install the docker command on the host: the docker CLI\'s ssh:// contexts run "docker system dial-stdio" there.',
      );
    case 'changeLoginShell':
      return vscode.l10n.t('Give the user a login shell that runs commands: {0}', c);
    case 'addToDockerGroup':
      return vscode.l10n.t('Add the user to the docker group on the host, then reconnect: {0}', c);
    case 'startDaemon':
      return vscode.l10n.t('Start the Docker daemon on the host: {0}', c);
    case 'installDocker':
      return vscode.l10n.t('Install Docker Engine on the host.');
    case 'allowStreamLocalForwarding':
      return vscode.l10n.t('Allow socket forwarding in the sshd_config of the host: {0}', c);
    default:
      return c ? vscode.l10n.t('Try: {0}', c) : undefined;
  }
}

/** The command of a fix that can be pasted into a terminal or config file as it is (its values are shell-quoted by the core). */
export function copyableCommand(fix: DiagnoseFix | undefined): string | undefined {
  return fix?.command;
}

function statusIcon(step: DiagnoseStep): vscode.ThemeIcon {
  switch (step.status) {
    case 'ok':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'warning':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'skipped':
      return new vscode.ThemeIcon('circle-slash');
  }
}

function statusWord(step: DiagnoseStep): string {
  switch (step.status) {
    case 'ok':
      return vscode.l10n.t('ok');
    case 'warning':
      return vscode.l10n.t('warning');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'skipped':
      return vscode.l10n.t('skipped');
  }
}

export function logDiagnose(logger: Logger, who: string, steps: readonly DiagnoseStep[]): void {
  logger.info(`Diagnose ${who}:`);
  steps.forEach((st) => {
    const facts = st.params ? ` ${JSON.stringify(st.params)}` : '';
    const line = `  ${st.id}: ${st.status}${st.reason ? ` [${st.reason}]` : ''}${st.note ? ` ${st.note}` : ''}${st.route ? ` via ${st.route}` : ''}${facts}${st.fix?.command ? ` (fix: ${st.fix.command})` : ''}`;
    if (st.status === 'failed') {
      logger.warn(line);
    } else {
      logger.info(line);
    }
  });
}

interface StepItem extends vscode.QuickPickItem {
  step?: DiagnoseStep;
  action?: string;
}

export interface ReportOptions {
  title: string;
  /** Extra choices below the steps (e.g. "Create the context anyway"); the chosen label is returned. */
  actions?: string[];
}

/**
 * Shows the steps as a list: an icon per status, the detail, and for a problem what to do. A
 * step whose fix is a command has a copy button (Enter on the row copies it too) and the list
 * stays open. Resolves with the chosen action, or undefined when closed.
 */
export async function showDiagnoseReport(
  steps: readonly DiagnoseStep[],
  o: ReportOptions,
): Promise<string | undefined> {
  const copy: vscode.QuickInputButton = {
    iconPath: new vscode.ThemeIcon('copy'),
    tooltip: vscode.l10n.t('Copy the command'),
  };
  const items: StepItem[] = steps.map((st) => {
    const detail = stepDetail(st);
    const fix = st.fix ? fixSentence(st.fix) : undefined;
    const problem = st.status === 'failed' || st.status === 'warning';
    return {
      label: diagnoseStepTitle(st.id),
      iconPath: statusIcon(st),
      description: `${statusWord(st)}${detail && !problem ? ` — ${detail}` : ''}`,
      detail: problem ? [fix, detail].filter((x) => x).join(' · ') : undefined,
      buttons: copyableCommand(st.fix) ? [copy] : [],
      step: st,
    };
  });
  if (o.actions?.length) {
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    items.push(...o.actions.map((a) => ({ label: a, action: a, alwaysShow: true })));
  }
  const failed = steps.filter((st) => st.status === 'failed').length;
  const warned = steps.filter((st) => st.status === 'warning').length;
  const placeholder =
    failed > 0
      ? vscode.l10n.t('{0} problem(s) found. Select a step with a command to copy it.', String(failed))
      : warned > 0
        ? vscode.l10n.t('Docker is reachable, with {0} warning(s).', String(warned))
        : vscode.l10n.t('Everything works: docker can use this host.');

  const pick = vscode.window.createQuickPick<StepItem>();
  pick.title = o.title;
  pick.placeholder = placeholder;
  pick.items = items;
  pick.matchOnDetail = true;
  pick.ignoreFocusOut = true;
  const disposables: vscode.Disposable[] = [];
  const copyCommand = async (st: DiagnoseStep | undefined): Promise<boolean> => {
    const command = copyableCommand(st?.fix);
    if (!command) {
      return false;
    }
    await vscode.env.clipboard.writeText(command);
    pick.placeholder = vscode.l10n.t('Copied: {0}', command);
    return true;
  };
  try {
    return await new Promise<string | undefined>((resolve) => {
      disposables.push(
        pick.onDidTriggerItemButton((e) => void copyCommand(e.item.step)),
        pick.onDidAccept(async () => {
          const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
          if (chosen?.action) {
            resolve(chosen.action);
            pick.hide();
            return;
          }
          if (!(await copyCommand(chosen?.step))) {
            resolve(undefined);
            pick.hide();
          }
        }),
        pick.onDidHide(() => resolve(undefined)),
      );
      pick.show();
    });
  } finally {
    for (const d of disposables) {
      d.dispose();
    }
    pick.dispose();
  }
}

/** Like showDiagnoseReport, but closing the list without an action is a cancel. */
export async function chooseAfterDiagnose(
  steps: readonly DiagnoseStep[],
  o: ReportOptions & { actions: string[] },
): Promise<string> {
  const chosen = await showDiagnoseReport(steps, o);
  if (chosen === undefined) {
    throw new UserCancelledError(o.title);
  }
  return chosen;
}
