import * as vscode from 'vscode';
import type { Logger } from '../../core/common/log';
import type { HostKeyRequest, SshPrompts } from '../../core/ssh/connection';

/** OpenSSH's name for a key type in its messages ("ED25519 key fingerprint is …"). */
export function keyTypeLabel(keyType: string): string {
  switch (keyType) {
    case 'ssh-ed25519':
      return 'ED25519';
    case 'sk-ssh-ed25519@openssh.com':
      return 'ED25519-SK';
    case 'ssh-rsa':
    case 'rsa-sha2-256':
    case 'rsa-sha2-512':
      return 'RSA';
    case 'ssh-dss':
      return 'DSA';
    case 'sk-ecdsa-sha2-nistp256@openssh.com':
      return 'ECDSA-SK';
    default:
      return keyType.startsWith('ecdsa-') ? 'ECDSA' : keyType;
  }
}

/** The label of the button that trusts an unknown host key (e2e tests click it by this text). */
export function trustHostLabel(): string {
  return vscode.l10n.t('Trust Host');
}

/**
 * The VS Code side of the core's SshPrompts: the host-key question as a modal with the
 * fingerprint (in OpenSSH's words), and password / passphrase boxes that hide what is typed.
 * Answers are handed to the core and never logged; the cancellation token closes an open box
 * when the operation is cancelled (the core then sees "no answer").
 */
export function createSshPrompts(logger: Logger, token?: vscode.CancellationToken): SshPrompts {
  return {
    confirmHostKey: async (req: HostKeyRequest): Promise<boolean> => {
      const trust = trustHostLabel();
      logger.info(`Asking whether to trust the ${req.keyType} host key ${req.fingerprint} of ${req.name}`);
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t("The authenticity of host '{0}' can't be established.", req.name),
        {
          modal: true,
          detail: `${vscode.l10n.t('{0} key fingerprint is {1}.', keyTypeLabel(req.keyType), req.fingerprint)}\n\n${vscode.l10n.t('Trust this host and add it to known_hosts?')}`,
        },
        trust,
      );
      const ok = choice === trust;
      logger.info(
        ok ? `The user trusted the host key of ${req.name}` : `The user did not trust the host key of ${req.name}`,
      );
      return ok;
    },

    passphrase: async (req: { keyPath: string; attempt: number }): Promise<string | undefined> => {
      const value = await vscode.window.showInputBox(
        {
          title: vscode.l10n.t('Passphrase for {0}', req.keyPath),
          prompt:
            req.attempt > 1
              ? vscode.l10n.t('The passphrase was wrong. Enter the passphrase of the key {0} again.', req.keyPath)
              : vscode.l10n.t(
                  'Enter the passphrase of the key {0} (kept in memory for this session only).',
                  req.keyPath,
                ),
          password: true,
          ignoreFocusOut: true,
        },
        token,
      );
      // An empty answer is no passphrase: treated like Escape, so the key is skipped rather than tried wrong.
      return value === undefined || value === '' ? undefined : value;
    },

    password: async (req: {
      user: string;
      host: string;
      port: number;
      attempt: number;
      prompt?: string;
    }): Promise<string | undefined> => {
      const who = req.port === 22 ? `${req.user}@${req.host}` : `${req.user}@${req.host}:${req.port}`;
      // A keyboard-interactive server may ask something other than "Password:"; show its words then.
      const serverPrompt = req.prompt?.trim();
      const unusual =
        serverPrompt !== undefined &&
        serverPrompt !== '' &&
        !/^password:?$/i.test(serverPrompt) &&
        !/'s password:?$/i.test(serverPrompt);
      const value = await vscode.window.showInputBox(
        {
          title: vscode.l10n.t('Password for {0}', who),
          prompt:
            req.attempt > 1
              ? vscode.l10n.t(
                  'Permission denied, please try again. The password is used once to install your key and is not stored.',
                )
              : unusual
                ? vscode.l10n.t('{0} asks: {1}', who, serverPrompt)
                : vscode.l10n.t('The password of {0} is used once to install your key and is not stored.', who),
          password: true,
          ignoreFocusOut: true,
        },
        token,
      );
      return value;
    },
  };
}
