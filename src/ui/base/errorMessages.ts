import * as vscode from 'vscode';
import { CoreError, describeError, type ErrorDetails, type Reason } from '../../core/common/errors';
import { CONTEXT_NAME_RULE } from '../../core/contexts/contextStore';
import { addToGroupCommand } from '../../core/diagnose/fixCommands';
import { isUserCancelled } from './userCancelledError';

/** What the user reads about a failure: one short sentence and, where one helps, what to do next. */
export interface ErrorText {
  message: string;
  nextStep?: string;
}

export function errorText(e: unknown): ErrorText {
  if (e instanceof CoreError) {
    return reasonText(e.reason, e.details);
  }
  if (isUserCancelled(e)) {
    return { message: vscode.l10n.t('The operation was cancelled.') };
  }
  return { message: vscode.l10n.t('Unexpected error: {0}', describeError(e)) };
}

/** The message and next step in one text (one line by default, for notifications, tooltips and screen readers). */
export function joinNextStep(t: ErrorText, separator = ' '): string {
  return t.nextStep ? `${t.message}${separator}${t.nextStep}` : t.message;
}

/** The message and next step in one line, for notifications (which show no detail text). */
export function errorSentence(e: unknown): string {
  return joinNextStep(errorText(e));
}

function str(details: ErrorDetails, key: string): string | undefined {
  const v = details[key];
  return v === undefined || v === '' ? undefined : String(v);
}

/** Where a file (and line) is named in the details, e.g. "~/.ssh/known_hosts:12". */
function fileRef(details: ErrorDetails): string {
  const file = str(details, 'file') ?? '?';
  const line = str(details, 'line');
  return line ? `${file}:${line}` : file;
}

/** The machine a failure is about, by its name alone: "could not be resolved", "installed on". */
function hostName(details: ErrorDetails): string {
  return str(details, 'host') ?? str(details, 'alias') ?? str(details, 'endpoint') ?? '?';
}

/** Where a connection went: `host:port` (`[host]:port` for an IPv6 address), for messages about that address. */
function address(details: ErrorDetails): string {
  const host = str(details, 'host');
  const port = str(details, 'port');
  if (host === undefined || port === undefined) {
    return hostName(details);
  }
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The host as known_hosts names it (`[host]:port` off port 22), as the host key messages quote it. */
function hostKeyName(details: ErrorDetails): string {
  return str(details, 'name') ?? address(details);
}

/** The destination that was refused, as it was given (typed, or a ProxyJump entry). */
function destination(details: ErrorDetails): string {
  return (
    str(details, 'input') ??
    str(details, 'value') ??
    str(details, 'proxyJump') ??
    str(details, 'name') ??
    hostName(details)
  );
}

/** The Docker socket an error is about. */
function socketPath(details: ErrorDetails): string {
  return str(details, 'path') ?? '/var/run/docker.sock';
}

/** An SSH configuration host: its alias. */
function alias(details: ErrorDetails): string {
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

/** Every reason the core can raise, in the user's language. The switch is exhaustive: a new
 *  reason in `REASONS` does not compile until it has a message here. Longer than a function
 *  should be on purpose: it is a table, one case per reason, read by looking a reason up. */
export function reasonText(reason: Reason, details: ErrorDetails): ErrorText {
  switch (reason) {
    case 'cancelled':
      return { message: vscode.l10n.t('The operation was cancelled.') };
    case 'internal':
      return {
        message: vscode.l10n.t('Something went wrong inside Remote Docker.'),
        nextStep: vscode.l10n.t('The log has the details.'),
      };
    case 'fileUnreadable':
      if (str(details, 'code') === 'ENOTREG') {
        return {
          message: vscode.l10n.t(
            '{0} is not a regular file (a pipe, socket or device), so it was not read.',
            fileRef(details),
          ),
          nextStep: vscode.l10n.t('Point the setting at a regular file.'),
        };
      }
      if (str(details, 'code') === 'EFBIG') {
        return {
          message: vscode.l10n.t('{0} is too large to be read.', fileRef(details)),
          nextStep: vscode.l10n.t('Check that the setting names the right file.'),
        };
      }
      return {
        message: vscode.l10n.t('Cannot read {0}.', fileRef(details)),
        nextStep: vscode.l10n.t('Check that the file exists and that you may read it.'),
      };
    case 'fileUnwritable':
      return {
        message: vscode.l10n.t('Cannot write {0}.', fileRef(details)),
        nextStep: vscode.l10n.t('Check the permissions of the file and its folder.'),
      };

    case 'contextNameInvalid':
      return {
        message: vscode.l10n.t(
          'Context name "{0}" is invalid: names must match {1} (at least 2 characters), as the docker CLI requires.',
          str(details, 'name') ?? '',
          CONTEXT_NAME_RULE,
        ),
      };
    case 'contextNameReserved':
      return {
        message: vscode.l10n.t('"default" is a reserved context name.'),
        nextStep: vscode.l10n.t('Choose another name.'),
      };
    case 'contextExists':
      return { message: vscode.l10n.t('A Docker context named "{0}" already exists.', str(details, 'name') ?? '') };
    case 'contextNotFound':
      return {
        message: vscode.l10n.t('There is no Docker context named "{0}".', str(details, 'name') ?? ''),
        nextStep: vscode.l10n.t('Select another context.'),
      };
    case 'contextMetaCorrupt':
      return {
        message: vscode.l10n.t(
          'The metadata of Docker context "{0}" is not valid JSON ({1}).',
          str(details, 'name') ?? '?',
          fileRef(details),
        ),
        nextStep: vscode.l10n.t('Fix or remove the file; other contexts are not affected.'),
      };
    case 'contextMetaUnreadable':
      return {
        message: vscode.l10n.t(
          'The metadata of Docker context "{0}" cannot be read ({1}).',
          str(details, 'name') ?? '?',
          fileRef(details),
        ),
        nextStep: vscode.l10n.t('Check the file permissions.'),
      };
    case 'contextInUse':
      return { message: vscode.l10n.t('Docker context "{0}" is in use.', str(details, 'name') ?? '') };
    case 'defaultContextImmutable':
      return {
        message: vscode.l10n.t(
          'The "default" context cannot be changed or removed: it is built from DOCKER_HOST or the platform default.',
        ),
      };
    case 'endpointInvalid':
      return {
        message: vscode.l10n.t('Invalid Docker endpoint "{0}".', str(details, 'endpoint') ?? ''),
        nextStep: endpointRuleText(str(details, 'rule')),
      };
    case 'dockerConfigUnparsable':
      return {
        message: vscode.l10n.t('{0} is not valid JSON, so it was left untouched.', fileRef(details)),
        nextStep: vscode.l10n.t('Fix the file (the docker CLI ignores it too), then refresh.'),
      };

    case 'sshConfigUnparsable':
      if (str(details, 'detail') === 'notUtf8') {
        return {
          message: vscode.l10n.t(
            '{0} holds text that is not UTF-8, so it was not edited (rewriting it would corrupt those bytes).',
            fileRef(details),
          ),
          nextStep: vscode.l10n.t('Convert the file to UTF-8 (for example with iconv), or add the host by hand.'),
        };
      }
      return {
        message: vscode.l10n.t('The SSH configuration {0} cannot be parsed.', fileRef(details)),
        nextStep: vscode.l10n.t('Fix the file; nothing was written to it.'),
      };
    case 'sshConfigPermissions':
      return {
        message: vscode.l10n.t('ssh refuses {0} because other users may write to it.', fileRef(details)),
        nextStep: vscode.l10n.t(
          'Run "chmod 600 {0}" (and make sure you own it).',
          str(details, 'file') ?? '~/.ssh/config',
        ),
      };
    case 'sshIncludeLoop':
      return { message: vscode.l10n.t('The SSH configuration includes itself in a loop ({0}).', fileRef(details)) };
    case 'sshAliasExists':
      return { message: vscode.l10n.t('The SSH configuration already has a host "{0}".', alias(details)) };
    case 'sshAliasInvalid':
      return {
        message: vscode.l10n.t(
          '"{0}" cannot be used as an SSH host alias: use letters, digits, ".", "_" and "-" only.',
          alias(details),
        ),
      };
    case 'sshHostNotFound':
      return { message: vscode.l10n.t('The SSH configuration has no host "{0}".', alias(details)) };
    case 'sshHostNotEditable':
      return {
        message: vscode.l10n.t('The host "{0}" is written in a way this extension cannot edit safely.', alias(details)),
        nextStep: vscode.l10n.t('Edit it in the SSH configuration file instead.'),
      };
    case 'sshDestinationInvalid':
      if (str(details, 'detail') === 'jumpDepth') {
        return {
          message: vscode.l10n.t(
            'The ProxyJump chain to {0} is longer than {1} hops; the jump hosts probably name each other in a loop.',
            alias(details) === '?' ? hostName(details) : alias(details),
            str(details, 'maxHops') ?? '8',
          ),
          nextStep: vscode.l10n.t('Check the ProxyJump lines of these hosts in the SSH configuration.'),
        };
      }
      return {
        message: vscode.l10n.t(
          '"{0}" is not a valid SSH destination. Use user@host or user@host:port.',
          destination(details),
        ),
      };

    case 'keyExists':
      return {
        message: vscode.l10n.t('The key file {0} already exists and was not overwritten.', fileRef(details)),
        nextStep: vscode.l10n.t('Choose another file name or use the existing key.'),
      };
    case 'keyInvalid':
      return { message: vscode.l10n.t('{0} is not a usable SSH key.', fileRef(details)) };
    case 'keyPassphraseRequired':
      return { message: vscode.l10n.t('The key {0} needs its passphrase.', fileRef(details)) };
    case 'keyPassphraseWrong':
      return { message: vscode.l10n.t('The passphrase for {0} is wrong.', fileRef(details)) };
    case 'keyPermissions':
      return {
        message: vscode.l10n.t(
          'The private key {0} can be read by other users (mode {1}), so it was not used; ssh refuses it too.',
          fileRef(details),
          str(details, 'mode') ?? '?',
        ),
        nextStep: vscode.l10n.t('Run "chmod 600 {0}".', str(details, 'file') ?? '?'),
      };

    case 'dnsFailed':
      return {
        message: vscode.l10n.t('The host name "{0}" could not be resolved.', hostName(details)),
        nextStep: vscode.l10n.t('Check the spelling, your DNS, or use an IP address.'),
      };
    case 'hostUnreachable':
      if (str(details, 'detail') === 'proxyCommand') {
        return {
          message: vscode.l10n.t(
            '{0} is reached through a ProxyCommand, which Remote Docker does not run.',
            alias(details) === '?' ? hostName(details) : alias(details),
          ),
          nextStep: vscode.l10n.t('Use ProxyJump for this host instead.'),
        };
      }
      return {
        message: vscode.l10n.t('{0} cannot be reached.', address(details)),
        nextStep: vscode.l10n.t('Check the network, VPN or firewall.'),
      };
    case 'connectionRefused':
      return {
        message: vscode.l10n.t('{0} refused the connection.', address(details)),
        nextStep: vscode.l10n.t('Check that sshd runs there and listens on that port.'),
      };
    case 'timeout':
      if (str(details, 'stage') === 'knownHosts') {
        return {
          message: vscode.l10n.t(
            'Reading the known_hosts files ({0}) did not finish in time.',
            str(details, 'files') ?? '?',
          ),
          nextStep: vscode.l10n.t('Check that these files are on a disk that answers (a network share may hang).'),
        };
      }
      return {
        message: vscode.l10n.t('{0} did not answer in time.', address(details)),
        nextStep: vscode.l10n.t('Check the host and port, or try again.'),
      };
    case 'notSsh':
      return {
        message: vscode.l10n.t('{0} does not speak SSH on that port.', address(details)),
        nextStep: vscode.l10n.t('Check the port number.'),
      };
    case 'hostKeyUnknown':
      return {
        message: vscode.l10n.t(
          'The host key of {0} is not known yet ({1}).',
          hostKeyName(details),
          str(details, 'fingerprint') ?? '?',
        ),
        nextStep: vscode.l10n.t('Confirm the fingerprint with the server owner before trusting it.'),
      };
    case 'hostKeyChanged':
      return {
        message: vscode.l10n.t(
          'The host key of {0} has changed since it was recorded in {1}. The connection was refused.',
          hostKeyName(details),
          fileRef(details),
        ),
        nextStep:
          str(details, 'name') && str(details, 'file')
            ? vscode.l10n.t(
                'If the server was reinstalled, remove the old key with: ssh-keygen -f "{0}" -R "{1}". Otherwise someone may be intercepting the connection.',
                str(details, 'file') ?? '',
                str(details, 'name') ?? '',
              )
            : vscode.l10n.t(
                'If the server was reinstalled, remove the old line from that file; otherwise someone may be intercepting the connection.',
              ),
      };
    case 'hostKeyRevoked':
      return {
        message: vscode.l10n.t(
          'The host key of {0} is marked as revoked in {1}. The connection was refused.',
          hostKeyName(details),
          fileRef(details),
        ),
      };
    case 'hostKeyRejected':
      return {
        message: vscode.l10n.t('The host key of {0} was not trusted, so no connection was made.', hostKeyName(details)),
      };
    case 'authFailed':
      return {
        message: vscode.l10n.t('Authentication to {0} failed.', address(details)),
        nextStep: vscode.l10n.t('Check the user name and key, or copy your public key to the host.'),
      };
    case 'connectionLost':
      return {
        message: vscode.l10n.t('The connection to {0} was lost.', address(details)),
        nextStep: vscode.l10n.t('It will be re-established on the next request.'),
      };
    case 'sshProtocolError':
      return { message: vscode.l10n.t('The SSH conversation with {0} failed.', address(details)) };
    case 'remoteCommandFailed':
      return { message: vscode.l10n.t('A command on {0} failed.', hostName(details)) };
    case 'remoteShellNotPosix':
      return {
        message: vscode.l10n.t(
          'The login shell on {0} is not a POSIX shell, so the key cannot be installed automatically.',
          hostName(details),
        ),
      };

    case 'dockerCliMissing':
      return {
        message: vscode.l10n.t('The docker command is not installed on {0}.', hostName(details)),
        nextStep: vscode.l10n.t('Install Docker Engine on the remote host.'),
      };
    case 'dockerSocketPermission': {
      const fix = addToGroupCommand(str(details, 'group') ?? 'docker', str(details, 'user') ?? 'USER');
      if (details.local === true) {
        return {
          message: vscode.l10n.t('You may not use the Docker socket {0} on this machine.', socketPath(details)),
          nextStep: fix ? vscode.l10n.t('Run "{0}", then log in again.', fix) : undefined,
        };
      }
      return {
        message: vscode.l10n.t(
          '{0} may not use the Docker socket {1} on {2}.',
          str(details, 'user') ?? '?',
          socketPath(details),
          hostName(details),
        ),
        nextStep: fix ? vscode.l10n.t('Run "{0}" there, then reconnect.', fix) : undefined,
      };
    }
    case 'dockerSocketMissing':
      return {
        message:
          details.local === true
            ? vscode.l10n.t('The Docker socket {0} does not exist on this machine.', socketPath(details))
            : vscode.l10n.t('The Docker socket {0} does not exist on {1}.', socketPath(details), hostName(details)),
      };
    case 'daemonNotRunning':
      return {
        message:
          details.local === true
            ? vscode.l10n.t('The Docker daemon is not running on this machine.')
            : vscode.l10n.t('The Docker daemon is not running on {0}.', hostName(details)),
        nextStep: vscode.l10n.t('Start it, for example with "sudo systemctl start docker".'),
      };
    case 'streamLocalForbidden':
      return {
        message: vscode.l10n.t(
          'The SSH server on {0} does not allow forwarding to the Docker socket.',
          address(details),
        ),
      };
    case 'engineApiError':
      return { message: vscode.l10n.t('The Docker Engine API returned an error: {0}', str(details, 'message') ?? '?') };
    case 'tlsMaterialMissing':
      if (str(details, 'detail') === 'handshake') {
        return {
          message: vscode.l10n.t(
            'The TLS handshake with {0} failed: the certificates of Docker context "{1}" do not fit this daemon.',
            address(details),
            str(details, 'name') ?? '?',
          ),
          nextStep: vscode.l10n.t(
            'Check the CA, certificate and key given to "docker context create --docker ca=…,cert=…,key=…".',
          ),
        };
      }
      if (str(details, 'detail') === 'keyMissing' || str(details, 'detail') === 'certMissing') {
        return {
          message: vscode.l10n.t(
            'The TLS material of Docker context "{0}" is incomplete: {1} is missing.',
            str(details, 'name') ?? '?',
            fileRef(details),
          ),
        };
      }
      return {
        message: vscode.l10n.t(
          'The TLS certificates of Docker context "{0}" are missing.',
          str(details, 'name') ?? '?',
        ),
      };
    case 'tlsMaterialUnreadable':
      return {
        message: vscode.l10n.t(
          'The TLS certificates of Docker context "{0}" cannot be read, so its daemon is not contacted without them.',
          str(details, 'name') ?? '?',
        ),
        nextStep: vscode.l10n.t(
          'Check its folder under contexts/tls in the Docker configuration folder (for "default": DOCKER_CERT_PATH, which must hold ca.pem).',
        ),
      };
    case 'fileChangedMeanwhile':
      return {
        message: vscode.l10n.t(
          '{0} kept changing while it was being edited, so it was left as it is.',
          fileRef(details),
        ),
        nextStep: vscode.l10n.t('Try again.'),
      };
    default:
      return assertNever(reason);
  }
}

function assertNever(x: never): never {
  throw new Error(`Unhandled reason: ${String(x)}`);
}
