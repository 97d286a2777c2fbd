import * as vscode from 'vscode';
import type { EngineInfo, EngineTransport } from '../../core/engine/engineInfo';
import { architectureMismatch, formatBytes, formatDuration } from '../../core/engine/engineStatusFormat';
import type { ErrorDetails, Reason } from '../../core/common/errors';
import { CommandIds } from '../base/commandIds';
import { codeSpan, escapeMarkdown } from '../base/presentation';

/**
 * How a daemon's facts and failures read in the status bar and the Docker Contexts view, so
 * both say the same thing in the same words.
 */

/** A few words for a narrow place (status text, row description); the full sentence goes in the tooltip. */
export function shortReason(reason: Reason, details?: ErrorDetails): string {
  switch (reason) {
    case 'dnsFailed':
      return vscode.l10n.t('host not found');
    case 'hostUnreachable':
      return vscode.l10n.t('unreachable');
    case 'connectionRefused':
      return vscode.l10n.t('connection refused');
    case 'timeout':
      return vscode.l10n.t('no answer');
    case 'notSsh':
      return vscode.l10n.t('not an SSH server');
    case 'hostKeyUnknown':
      return vscode.l10n.t('host key not trusted yet');
    case 'hostKeyChanged':
      return vscode.l10n.t('host key changed');
    case 'hostKeyRevoked':
    case 'hostKeyRejected':
      return vscode.l10n.t('host key rejected');
    case 'authFailed':
      return vscode.l10n.t('login failed');
    case 'keyPassphraseRequired':
      return vscode.l10n.t('passphrase needed');
    case 'keyPassphraseWrong':
      return vscode.l10n.t('wrong passphrase');
    case 'connectionLost':
      return vscode.l10n.t('connection lost');
    case 'sshProtocolError':
      return vscode.l10n.t('SSH error');
    case 'dockerCliMissing':
      return vscode.l10n.t('docker missing on the host');
    case 'dockerSocketPermission':
      return vscode.l10n.t('no access to the Docker socket');
    case 'dockerSocketMissing':
      return vscode.l10n.t('no Docker socket');
    case 'daemonNotRunning':
      return vscode.l10n.t('daemon not running');
    case 'streamLocalForbidden':
      return vscode.l10n.t('socket forwarding refused');
    case 'engineApiError':
      return vscode.l10n.t('Engine API error');
    case 'tlsMaterialMissing':
      // The same reason covers certificates that are there but that the daemon does not accept.
      return details?.detail === 'handshake'
        ? vscode.l10n.t('TLS handshake failed')
        : vscode.l10n.t('TLS certificates missing');
    case 'tlsMaterialUnreadable':
      return vscode.l10n.t('TLS certificates unreadable');
    case 'keyPermissions':
      return vscode.l10n.t('private key too open');
    case 'endpointInvalid':
      return vscode.l10n.t('invalid endpoint');
    default:
      return vscode.l10n.t('unavailable');
  }
}

/** What the button that resolves an interactive failure says. */
export function resolveActionLabel(reason: Reason): string {
  switch (reason) {
    case 'hostKeyUnknown':
      return vscode.l10n.t('Trust Host…');
    case 'keyPassphraseRequired':
      return vscode.l10n.t('Enter Passphrase…');
    default:
      return vscode.l10n.t('Connect Again');
  }
}

/** A Markdown link that runs a command (the MarkdownString must list it in `isTrusted.enabledCommands`). */
export function commandLink(label: string, command: string, args?: unknown[]): string {
  const query = args ? `?${encodeURIComponent(JSON.stringify(args))}` : '';
  return `[${escapeMarkdown(label)}](command:${command}${query})`;
}

/** The commands `failureLinks` may name. */
export const FAILURE_LINK_COMMANDS: readonly string[] = [CommandIds.connectEngine, CommandIds.diagnoseContext];

/**
 * What a person can do about a failed probe: connect again with prompts ("Trust Host…" when
 * the background probe met an unknown host key, "Enter Passphrase…" for a locked key), and
 * the diagnose report (SSH) or the explanation (other endpoints).
 */
export function failureLinks(context: string, f: { reason: Reason; interactive?: boolean; ssh?: boolean }): string[] {
  return [
    commandLink(resolveActionLabel(f.interactive ? f.reason : 'internal'), CommandIds.connectEngine, [context]),
    commandLink(f.ssh ? vscode.l10n.t('Diagnose…') : vscode.l10n.t('Explain…'), CommandIds.diagnoseContext, [context]),
  ];
}

export function transportName(t: EngineTransport): string {
  switch (t) {
    case 'streamlocal':
      return vscode.l10n.t('SSH, forwarded to the Docker socket');
    case 'dial-stdio':
      return vscode.l10n.t('SSH, through "docker system dial-stdio"');
    case 'unix':
      return vscode.l10n.t('Unix socket');
    case 'npipe':
      return vscode.l10n.t('Named pipe');
    case 'tcp':
      return vscode.l10n.t('TCP (unencrypted)');
    case 'tls':
      return vscode.l10n.t('TCP with TLS');
    case 'system-ssh':
      return vscode.l10n.t('the ssh client, through "docker system dial-stdio" (as the docker CLI)');
  }
}

/** The sentence that warns when images built on the daemon are for another architecture than this machine. */
export function architectureWarning(info: EngineInfo, localPlatform: string): string | undefined {
  const m = architectureMismatch(localPlatform, info.platform);
  return m
    ? vscode.l10n.t(
        'This machine is {0}, the daemon is {1}: images you build there are {1}, not {0}.',
        m.local,
        m.remote,
      )
    : undefined;
}

/** The daemon's facts as Markdown rows (tooltips). */
export function appendEngineFacts(md: vscode.MarkdownString, info: EngineInfo): void {
  const rows: [string, string | undefined][] = [
    [vscode.l10n.t('Operating system:'), info.operatingSystem],
    [vscode.l10n.t('Kernel:'), info.kernelVersion],
    [
      vscode.l10n.t('Architecture:'),
      info.architecture && info.platform
        ? `${info.architecture} (${info.platform})`
        : info.architecture || info.platform,
    ],
    [
      vscode.l10n.t('Engine version:'),
      info.serverVersion
        ? info.apiVersion
          ? vscode.l10n.t('{0} (API {1})', info.serverVersion, info.apiVersion)
          : info.serverVersion
        : undefined,
    ],
    [vscode.l10n.t('CPUs:'), info.ncpu > 0 ? String(info.ncpu) : undefined],
    [vscode.l10n.t('Memory:'), info.memTotal > 0 ? formatBytes(info.memTotal) : undefined],
    [vscode.l10n.t('Host name:'), info.name],
    [vscode.l10n.t('Round trip:'), formatDuration(info.rttMs)],
    [vscode.l10n.t('Last checked:'), new Date(info.checkedAt).toLocaleTimeString()],
    [vscode.l10n.t('Connection:'), transportName(info.transport)],
  ];
  for (const [label, value] of rows) {
    if (value) {
      md.appendMarkdown(`${escapeMarkdown(label)} ${codeSpan(value)}  \n`);
    }
  }
  md.appendMarkdown('\n');
}
