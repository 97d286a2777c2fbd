import * as vscode from 'vscode';
import type { ErrorDetails } from '../../core/common/errors';
import type { DiagnoseStep } from '../../core/diagnose/diagnose';
import type { SshRoute } from '../../core/engine/remoteSocket';
import { reasonText } from '../base/errorMessages';
import { systemSshWhy } from '../base/reasonTexts/sshReasons';

function p(params: ErrorDetails | undefined, key: string): string {
  const v = params?.[key];
  return v === undefined ? '' : String(v);
}

/** How diagnose reached the Docker socket, in the user's words. */
export function routeText(route: SshRoute): string {
  return route === 'streamlocal'
    ? vscode.l10n.t('through SSH socket forwarding')
    : vscode.l10n.t('through "docker system dial-stdio" on the host');
}

/** Remote output quoted after a sentence: "(…)" when there is some. */
function quoted(text: string, value: string): string {
  return value ? vscode.l10n.t('{0} ({1})', text, value) : text;
}

/**
 * The sentence for what a diagnose step found, made from its note code and parameters (the core
 * writes none). A failed connection step is explained by its reason, like any other error.
 */
export function stepDetail(step: DiagnoseStep): string | undefined {
  const a = step.params;
  switch (step.note) {
    case undefined:
      return step.reason ? reasonText(step.reason, a ?? {}).message : undefined;
    case 'connectError':
      return step.reason ? reasonText(step.reason, a ?? {}).message : undefined;
    case 'viaJump':
      return vscode.l10n.t('resolved by the jump host ({0})', p(a, 'proxyJump'));
    case 'address':
      return p(a, 'host');
    case 'resolved':
      return vscode.l10n.t('{0} → {1}', p(a, 'host'), p(a, 'address'));
    case 'reached':
      return p(a, 'via')
        ? vscode.l10n.t('{0}:{1} via {2}', p(a, 'host'), p(a, 'port'), p(a, 'via'))
        : vscode.l10n.t('{0}:{1}', p(a, 'host'), p(a, 'port'));
    case 'hostKey':
      return p(a, 'outcome') === 'added'
        ? vscode.l10n.t('{0} {1} (just trusted)', p(a, 'keyType'), p(a, 'fingerprint'))
        : vscode.l10n.t('{0} {1} (known)', p(a, 'keyType'), p(a, 'fingerprint'));
    case 'loggedIn':
      return p(a, 'identityFile')
        ? vscode.l10n.t('{0} by {1} ({2})', p(a, 'user'), p(a, 'method'), p(a, 'identityFile'))
        : vscode.l10n.t('{0} by {1}', p(a, 'user'), p(a, 'method'));
    case 'systemSsh':
      return vscode.l10n.t('{0}, by OpenSSH ({1}): {2}', p(a, 'user'), p(a, 'binary'), systemSshWhy(a ?? {}));
    case 'cliFound':
      return p(a, 'path');
    case 'cliOffPath':
      return vscode.l10n.t(
        'docker is installed at {0} but not on the PATH of non-interactive SSH sessions, so "docker system dial-stdio" (used by the docker CLI\'s ssh:// contexts) fails.',
        p(a, 'path'),
      );
    case 'cliMissing':
      return a?.forwarded
        ? vscode.l10n.t(
            "No docker command on the PATH of non-interactive SSH sessions: the docker CLI's ssh:// contexts will fail; this extension still reaches the daemon through socket forwarding.",
          )
        : vscode.l10n.t(
            'No docker command on the PATH of non-interactive SSH sessions: the docker CLI\'s ssh:// contexts run "docker system dial-stdio" there and will fail.',
          );
    case 'shellNotPosix':
      return quoted(
        vscode.l10n.t(
          'The login shell of {0} does not run commands, so "docker system dial-stdio" cannot start.',
          p(a, 'user'),
        ),
        p(a, 'output'),
      );
    default:
      return dockerDetail(step);
  }
}

/** The socket and daemon steps. */
function dockerDetail(step: DiagnoseStep): string | undefined {
  const a = step.params;
  const path = p(a, 'path');
  switch (step.note) {
    case 'socketForwarded':
      return vscode.l10n.t('{0} on the host, {1}', path, routeText('streamlocal'));
    case 'dialStdioOk':
      return path
        ? vscode.l10n.t('{0} on the host, {1}', path, routeText('dial-stdio'))
        : vscode.l10n.t("the remote docker CLI's endpoint, {0}", routeText('dial-stdio'));
    case 'remoteDefault':
      return vscode.l10n.t(
        "The remote's default Docker endpoint answers {0}; {1} is not the daemon's socket there (name the real path in the context URL for direct access).",
        routeText('dial-stdio'),
        path,
      );
    case 'forwardingRefused':
      return quoted(
        vscode.l10n.t(
          '{0} on the host answers only {1}: the SSH server refused to forward the socket (AllowStreamLocalForwarding may be off).',
          path,
          routeText('dial-stdio'),
        ),
        p(a, 'message'),
      );
    case 'permission':
      return quoted(
        vscode.l10n.t(
          '{0} may not open {1} on the host (it is in: {2}). Add {0} to the {3} group, then reconnect (group changes apply to new logins).',
          p(a, 'user'),
          path,
          p(a, 'groups') || '-',
          p(a, 'group'),
        ),
        p(a, 'ls') || p(a, 'stderr'),
      );
    case 'socketAccessible':
      return vscode.l10n.t('{0} exists on the host and {1} may open it', path, p(a, 'user'));
    case 'noDaemon':
      return quoted(
        vscode.l10n.t(
          'No Docker daemon answers on {0} on the host: it is not running, or it listens elsewhere (put that socket path in the context URL).',
          path,
        ),
        p(a, 'stderr'),
      );
    case 'noDocker':
      return vscode.l10n.t(
        'There is no Docker socket at {0} on the host and no docker command: Docker does not seem to be installed there.',
        path,
      );
    case 'notSocket':
      return quoted(vscode.l10n.t('{0} on the host exists but is not a socket.', path), p(a, 'ls'));
    case 'forwardingRefusedNoCli':
      return quoted(
        vscode.l10n.t(
          'The SSH server refused to forward {0} and there is no docker command on the host to fall back to: AllowStreamLocalForwarding may be off, or the daemon behind the socket is not running.',
          path,
        ),
        p(a, 'message'),
      );
    case 'unreachable':
      return quoted(vscode.l10n.t('{0} on the host could not be reached.', path), p(a, 'stderr') || p(a, 'message'));
    case 'pathInvalid':
      return vscode.l10n.t(
        'The socket path {0} cannot be used (it holds control characters or is not absolute).',
        JSON.stringify(path),
      );
    case 'pingOk':
      return p(a, 'apiVersion')
        ? vscode.l10n.t('HEAD /_ping → 200, API {0}, {1}', p(a, 'apiVersion'), routeText(step.route ?? 'streamlocal'))
        : vscode.l10n.t('HEAD /_ping → 200, {0}', routeText(step.route ?? 'streamlocal'));
    case 'noAnswer':
      return vscode.l10n.t('The socket accepted the connection but nothing answered HEAD /_ping.');
    case 'badStatus':
      return vscode.l10n.t('HEAD /_ping → HTTP {0}', p(a, 'status'));
    case 'staleSocket':
      return quoted(vscode.l10n.t('Nothing listens on {0} on the host.', path), p(a, 'stderr'));
    case 'pingTimeout':
      return vscode.l10n.t('HEAD /_ping got no answer within {0} ms.', p(a, 'timeoutMs'));
    default:
      return step.reason ? reasonText(step.reason, a ?? {}).message : undefined;
  }
}
