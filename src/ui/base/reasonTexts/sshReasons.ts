import * as vscode from 'vscode';
import type { ErrorDetails, SSH_REASONS } from '../../../core/common/errors';
import { str, fileRef, hostName, address, hostKeyName, destination, alias, type ErrorText } from '../errorDetails';

export type SshReason = (typeof SSH_REASONS)[number];

/** The SSH configuration, keys and connections, in the user's language (a table: one case per reason). */
export function sshReasonText(reason: SshReason, details: ErrorDetails): ErrorText {
  switch (reason) {
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
      if (str(details, 'transport') === 'system-ssh') {
        return {
          message: vscode.l10n.t(
            'OpenSSH does not trust the host key of {0} yet (this host is reached through the ssh client: {1}).',
            hostName(details),
            systemSshWhy(details),
          ),
          nextStep: vscode.l10n.t(
            'Open a terminal and run "ssh {0}" once: check the key it shows and accept it there.',
            alias(details),
          ),
        };
      }
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
    case 'sshFeatureUnavailable':
      return {
        message: vscode.l10n.t(
          '{0} is reached through the ssh client ({1}), which cannot forward ports or transfer files for this extension.',
          hostName(details),
          systemSshWhy(details),
        ),
        nextStep: vscode.l10n.t('Use "ssh -L" in a terminal for ports, or a host that ssh2 can reach directly.'),
      };
  }
}

/** Why a host is reached through the system's ssh client (src/core/ssh/systemSshNeed.ts). */
export function systemSshWhy(details: ErrorDetails): string {
  switch (str(details, 'why')) {
    case 'hostCertificate':
      return vscode.l10n.t('its host key is vouched for by a certificate authority');
    case 'securityKey':
      return vscode.l10n.t('a security key (FIDO) is among the identities');
    case 'userCertificate':
      return vscode.l10n.t('a user certificate (CertificateFile) is configured');
    case 'pkcs11':
      return vscode.l10n.t('a PKCS#11 provider is configured');
    case 'gssapi':
      return vscode.l10n.t('GSSAPI authentication is on');
    default:
      return vscode.l10n.t('OpenSSH features ssh2 lacks');
  }
}
