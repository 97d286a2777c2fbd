/** Reading the parameters of a CoreError for the sentences of errorMessages.ts and reasonTexts/. */
import * as vscode from 'vscode';
import type { ErrorDetails } from '../../core/common/errors';

/** What the user reads about a failure: one short sentence and, where one helps, what to do next. */
export interface ErrorText {
  message: string;
  nextStep?: string;
}

export function str(details: ErrorDetails, key: string): string | undefined {
  const v = details[key];
  return v === undefined || v === '' ? undefined : String(v);
}

/** Where a file (and line) is named in the details, e.g. "~/.ssh/known_hosts:12". */
export function fileRef(details: ErrorDetails): string {
  const file = str(details, 'file') ?? '?';
  const line = str(details, 'line');
  return line ? `${file}:${line}` : file;
}

/** The machine a failure is about, by its name alone: "could not be resolved", "installed on". */
export function hostName(details: ErrorDetails): string {
  return str(details, 'host') ?? str(details, 'alias') ?? str(details, 'endpoint') ?? '?';
}

/** Where a connection went: `host:port` (`[host]:port` for an IPv6 address), for messages about that address. */
export function address(details: ErrorDetails): string {
  const host = str(details, 'host');
  const port = str(details, 'port');
  if (host === undefined || port === undefined) {
    return hostName(details);
  }
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The host as known_hosts names it (`[host]:port` off port 22), as the host key messages quote it. */
export function hostKeyName(details: ErrorDetails): string {
  return str(details, 'name') ?? address(details);
}

/** The destination that was refused, as it was given (typed, or a ProxyJump entry). */
export function destination(details: ErrorDetails): string {
  return (
    str(details, 'input') ??
    str(details, 'value') ??
    str(details, 'proxyJump') ??
    str(details, 'name') ??
    hostName(details)
  );
}

/** The Docker socket an error is about. */
export function socketPath(details: ErrorDetails): string {
  return str(details, 'path') ?? '/var/run/docker.sock';
}

/** An SSH configuration host: its alias. */
export function alias(details: ErrorDetails): string {
  return str(details, 'alias') ?? '?';
}

/** Why an endpoint URL was refused, in the words the docker CLI uses for the same rule. */
export function endpointRuleText(rule: string | undefined): string {
  switch (rule) {
    case 'password':
      return vscode.l10n.t(
        'A password in the URL is not supported (the docker CLI refuses it too); use an SSH key or ssh-agent.',
      );
    case 'query':
      return vscode.l10n.t('Query parameters (?…) are not allowed in the endpoint URL.');
    case 'fragment':
      return vscode.l10n.t('A fragment (#…) is not allowed in the endpoint URL.');
    case 'emptyHost':
      return vscode.l10n.t('The endpoint needs a host name, for example ssh://user@host.');
    case 'scheme':
      return vscode.l10n.t('The endpoint must start with ssh://, unix://, tcp:// or npipe://.');
    case 'emptyPath':
      return vscode.l10n.t('The endpoint needs a socket path, for example unix:///var/run/docker.sock.');
    case 'port':
      return vscode.l10n.t('The port must be a number from 1 to 65535.');
    case 'leadingDash':
      return vscode.l10n.t('A user or host name may not start with "-" (ssh would read it as an option).');
    default:
      return vscode.l10n.t(
        'This is not a valid endpoint URL. Examples: ssh://user@host, ssh://user@host:2222, unix:///var/run/docker.sock.',
      );
  }
}
