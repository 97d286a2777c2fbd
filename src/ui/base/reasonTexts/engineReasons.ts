import * as vscode from 'vscode';
import type { ErrorDetails, ENGINE_REASONS } from '../../../core/common/errors';
import { addToGroupCommand } from '../../../core/diagnose/fixCommands';
import { formatBytes } from '../../../core/engine/engineStatusFormat';
import { str, fileRef, hostName, address, socketPath, type ErrorText } from '../errorDetails';

export type EngineReason = (typeof ENGINE_REASONS)[number];

/** Docker on the remote and the daemon's answers, in the user's language (a table: one case per reason). */
export function engineReasonText(reason: EngineReason, details: ErrorDetails): ErrorText {
  switch (reason) {
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
      switch (str(details, 'detail')) {
        case 'tooLarge':
          return {
            message: vscode.l10n.t(
              "The Docker Engine's answer to {0} is larger than {1}, so it was not read.",
              str(details, 'request') ?? '?',
              formatBytes(Number(details.limitBytes)),
            ),
          };
        case 'tooDeep':
          return {
            message: vscode.l10n.t(
              "The Docker Engine's answer to {0} is nested more than {1} levels deep, so it was not shown.",
              str(details, 'request') ?? '?',
              str(details, 'limit') ?? '?',
            ),
          };
        case 'notJson':
          return {
            message: vscode.l10n.t("The Docker Engine's answer to {0} is not JSON.", str(details, 'request') ?? '?'),
          };
      }
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
    case 'portForwardingForbidden':
      return {
        message: vscode.l10n.t('The SSH server does not allow port forwarding (to {0}).', address(details)),
        nextStep: vscode.l10n.t(
          'Set "AllowTcpForwarding yes" (or "local") in the server\'s /etc/ssh/sshd_config, reload sshd, then reconnect.',
        ),
      };
    case 'portRemoteRefused':
      return {
        message: vscode.l10n.t('Nothing answers at {0} on the remote host.', address(details)),
        nextStep: vscode.l10n.t('Check that the container is running and listening on that port.'),
      };
    case 'localPortTaken':
      return {
        message: vscode.l10n.t(
          'No free local port from {0} on was found for this forward.',
          str(details, 'port') ?? '?',
        ),
        nextStep: vscode.l10n.t('Stop what listens on that port on this machine, then choose Forward Again.'),
      };
    case 'containerNotReachable':
      return {
        message: vscode.l10n.t('Container {0} has no address on any network.', str(details, 'container') ?? '?'),
      };
    case 'portsNoContext':
      return {
        message: vscode.l10n.t('Ports are forwarded only for a Docker context reached over SSH.'),
      };
  }
}
