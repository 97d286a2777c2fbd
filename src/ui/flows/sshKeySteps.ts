/**
 * The key steps that Generate SSH Key, Copy Public Key, Add SSH Host and Connect to a Remote
 * Docker Host share: the key list, the "Generate a new key…" row, the name and passphrase of a
 * new key, writing it, and installing a key on a host (ssh-copy-id).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  keyFileNameProblem,
  suggestKeyFileName,
  tildePath,
  type KeyFileNameProblem,
} from '../../core/connect/connectPlan';
import { copyPublicKey as copyId, type CopyIdResult } from '../../core/ssh/copyId';
import { generateKey, listLocalKeys, type GeneratedKey, type LocalKey } from '../../core/ssh/keys';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import type { ProgressStep } from '../base/progress';
import { BACK, inputStep, type Back } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import type { Services } from '../services';

export function keyDescription(k: LocalKey): string {
  const enc = k.encrypted ? ` · ${vscode.l10n.t('passphrase')}` : '';
  return `${k.type}${k.fingerprint ? ` ${k.fingerprint}` : ''}${enc}`;
}

export interface KeyItem extends vscode.QuickPickItem {
  key?: LocalKey;
  generate?: true;
  none?: true;
}

/** Rows for the keys in `~/.ssh`, `preferred` (an IdentityFile of the host) first. */
export function keyItems(keys: readonly LocalKey[], home: string, preferred: readonly string[] = []): KeyItem[] {
  const rank = (k: LocalKey): number => {
    const i = preferred.indexOf(k.privateKeyPath);
    return i < 0 ? preferred.length : i;
  };
  return [...keys]
    .sort((a, b) => rank(a) - rank(b))
    .map((k) => ({
      label: path.basename(k.privateKeyPath),
      description: keyDescription(k),
      detail: preferred.includes(k.privateKeyPath)
        ? vscode.l10n.t('{0} — used by this host', tildePath(k.privateKeyPath, home))
        : tildePath(k.privateKeyPath, home),
      key: k,
    }));
}

export function generateKeyItem(): KeyItem {
  return {
    label: vscode.l10n.t('Generate a new key…'),
    description: vscode.l10n.t('ed25519, in ~/.ssh'),
    iconPath: new vscode.ThemeIcon('key'),
    generate: true,
    alwaysShow: true,
  };
}

export async function localKeys(s: Services): Promise<LocalKey[]> {
  return listLocalKeys(s.ssh.sshDir);
}

/** Names in `~/.ssh` right now, for "never overwrite" checks made as the user types. */
export async function sshDirNames(sshDir: string): Promise<Set<string>> {
  try {
    return new Set(await fs.readdir(sshDir));
  } catch {
    return new Set();
  }
}

function keyNameProblemText(problem: KeyFileNameProblem): string {
  switch (problem) {
    case 'empty':
      return vscode.l10n.t('Enter a file name.');
    case 'separator':
      return vscode.l10n.t('Enter a file name only; the key is written to ~/.ssh.');
    case 'dot':
      return vscode.l10n.t('The name may not start with ".".');
    case 'pub':
      return vscode.l10n.t('Enter the name of the private key; ".pub" is added for the public key.');
    case 'reserved':
      return vscode.l10n.t('That name belongs to a file ssh keeps in ~/.ssh.');
    case 'characters':
      return vscode.l10n.t('Use letters, digits, ".", "_", "-", "+" and "@" only, not starting with "-".');
  }
}

export interface NewKeyAnswers {
  privateKeyPath: string;
  /** Empty: no passphrase. */
  passphrase: string;
}

/**
 * The name of a new key in `~/.ssh` (never an existing file: the user is offered a free name)
 * and an optional passphrase typed twice. Part of a multi-step input: Back from the name
 * returns BACK. A fixed `privateKeyPath` skips the name.
 */
export async function askNewKey(
  s: Services,
  o: { title: string; step?: number; totalSteps?: number; alias?: string; privateKeyPath?: string },
): Promise<NewKeyAnswers | Back> {
  const step = o.step ?? 1;
  const totalSteps = o.totalSteps ?? 1;
  const sshDir = s.ssh.sshDir;
  let privateKeyPath = o.privateKeyPath;
  if (privateKeyPath === undefined) {
    const names = await sshDirNames(sshDir);
    const suggestion = suggestKeyFileName(o.alias ?? 'key', (n) => names.has(n));
    const name = await inputStep({
      title: o.title,
      step,
      totalSteps,
      prompt: vscode.l10n.t(
        'File name of the new ed25519 key in {0} (the public key gets ".pub")',
        tildePath(sshDir, s.ssh.home),
      ),
      value: suggestion,
      validate: async (v) => {
        const problem = keyFileNameProblem(v.trim());
        if (problem) {
          return keyNameProblemText(problem);
        }
        const current = await sshDirNames(sshDir);
        if (current.has(v.trim()) || current.has(`${v.trim()}.pub`)) {
          const free = suggestKeyFileName(o.alias ?? 'key', (n) => current.has(n) || n === v.trim());
          return vscode.l10n.t(
            '{0} already exists and is never overwritten. Choose another name, for example {1}.',
            v.trim(),
            free,
          );
        }
        return undefined;
      },
    });
    if (name === BACK) {
      return BACK;
    }
    privateKeyPath = path.join(sshDir, name.trim());
  }
  const title = vscode.l10n.t('Passphrase for the new key {0}', tildePath(privateKeyPath, s.ssh.home));
  for (;;) {
    const passphrase = await vscode.window.showInputBox({
      title,
      prompt: vscode.l10n.t('Optional: a passphrase protects the key file. Press Enter for none.'),
      password: true,
      ignoreFocusOut: true,
    });
    if (passphrase === undefined) {
      throw new UserCancelledError(o.title);
    }
    if (passphrase === '') {
      return { privateKeyPath, passphrase: '' };
    }
    const again = await vscode.window.showInputBox({
      title,
      prompt: vscode.l10n.t('Enter the same passphrase again.'),
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) =>
        v === passphrase || v.length < passphrase.length ? undefined : vscode.l10n.t('The passphrases do not match.'),
    });
    if (again === undefined) {
      throw new UserCancelledError(o.title);
    }
    if (again === passphrase) {
      return { privateKeyPath, passphrase };
    }
    void vscode.window.showWarningMessage(vscode.l10n.t('The passphrases do not match. Enter them again.'));
  }
}

/** Asks for a name and passphrase and writes the key; shared by the commands that offer "Generate a new key…". */
export async function generateKeyInteractive(s: Services, o: { title: string; alias?: string }): Promise<GeneratedKey> {
  const answers = await askNewKey(s, { title: o.title, alias: o.alias });
  if (answers === BACK) {
    throw new UserCancelledError(o.title);
  }
  return writeNewKey(s, answers);
}

/** Writes a key the person named (never over an existing file) and keeps its passphrase for this session. */
export async function writeNewKey(s: Services, answers: NewKeyAnswers): Promise<GeneratedKey> {
  const key = await generateKey({
    privateKeyPath: answers.privateKeyPath,
    passphrase: answers.passphrase || undefined,
  });
  if (answers.passphrase) {
    // Typed twice just now: no reason to ask again for this session's connections.
    s.ssh.passphrases.set(key.privateKeyPath, answers.passphrase);
  }
  s.logger.info(
    `Generated the SSH key ${key.privateKeyPath} (${key.fingerprint})${answers.passphrase ? ' with a passphrase' : ''}`,
  );
  return key;
}

/** copy-id with the extension's prompts (host key modal, passphrase, password box) inside a progress notification. */
export async function installKey(
  s: Services,
  host: EffectiveHost,
  keyPath: string,
  p: ProgressStep,
): Promise<CopyIdResult> {
  p.report(vscode.l10n.t('Trying the key {0} on {1}…', tildePath(keyPath, s.ssh.home), host.alias));
  s.logger.info(`Installing ${keyPath}.pub on ${host.user}@${host.hostname}:${host.port} (${host.alias})`);
  const result = await copyId({
    ...s.ssh.connectOptions(host, { signal: p.signal, prompts: s.ssh.prompts(p.token) }),
    privateKeyPath: keyPath,
  });
  s.logger.info(
    result.status === 'alreadyInstalled'
      ? `The key ${keyPath} already logs in to ${host.alias}`
      : `Installed ${keyPath}.pub into ${result.authorizedKeysFile} on ${host.alias}`,
  );
  return result;
}
