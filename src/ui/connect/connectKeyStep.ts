import * as vscode from 'vscode';
import { keyForReusedAlias, tildePath, type AliasDecision, type KeyChoice } from '../../core/connect/connectPlan';
import { pathExists } from '../../core/common/fsutil';
import { defaultIdentityFiles } from '../../core/ssh/keys';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import { BACK, pickStep, type Back } from '../base/prompts';
import { askNewKey, generateKeyItem, keyItems, localKeys, type KeyItem } from '../flows/sshKeySteps';
import type { Services } from '../services';
import { facts, TOTAL_STEPS } from './connectFacts';

export type ChosenAlias = Exclude<AliasDecision, { kind: 'conflict' }>;

export interface KeyAnswer {
  key: KeyChoice;
  /** For a key to generate; empty = none. */
  passphrase: string;
}

const KEY_STEP = 3;

/**
 * Step 3, the key: for a reused alias, the one its block makes ssh offer (or a new one where the
 * block points); for a new alias, an existing key or a new one. A prefilled path is used as it
 * is (generated there when missing).
 */
export async function keyStep(
  s: Services,
  title: string,
  alias: ChosenAlias,
  reusedHost: EffectiveHost | undefined,
  prefilledPath: string | undefined,
): Promise<KeyAnswer | Back | 'changeAlias'> {
  if (alias.kind === 'reuse' && reusedHost) {
    const choice = await keyOfReusedAlias(s, alias.alias, reusedHost);
    return choice === 'changeAlias' ? choice : withPassphrase(s, title, choice, alias.alias);
  }
  if (prefilledPath !== undefined) {
    const exists = await pathExists(prefilledPath);
    if (exists || !(await pathExists(`${prefilledPath}.pub`))) {
      return withPassphrase(
        s,
        title,
        exists ? { kind: 'existing', path: prefilledPath } : { kind: 'generate', path: prefilledPath },
        alias.alias,
      );
    }
    s.logger.warn(`${prefilledPath}.pub exists without its private key; asking for another key`);
  }
  return pickKey(s, title, alias.alias);
}

/** A new key's name (when not fixed) and passphrase; an existing key needs neither. */
async function withPassphrase(s: Services, title: string, key: KeyChoice, alias: string): Promise<KeyAnswer | Back> {
  if (key.kind === 'existing') {
    return { key, passphrase: '' };
  }
  const r = await askNewKey(s, { title, step: KEY_STEP, totalSteps: TOTAL_STEPS, alias, privateKeyPath: key.path });
  return r === BACK ? BACK : { key: { kind: 'generate', path: r.privateKeyPath }, passphrase: r.passphrase };
}

/** The key a reused alias's block makes ssh offer, or where a new one goes; 'changeAlias' when neither can be. */
async function keyOfReusedAlias(s: Services, alias: string, host: EffectiveHost): Promise<KeyChoice | 'changeAlias'> {
  const files = [...host.identityFiles, ...host.identityFiles.map((f) => `${f}.pub`)];
  const checked = await Promise.all(files.map(async (f) => [f, await pathExists(f)] as const));
  const present = new Set(checked.filter(([, ok]) => ok).map(([f]) => f));
  const choice = keyForReusedAlias(facts(host), (f) => present.has(f), defaultIdentityFiles(s.ssh.home));
  if (!choice) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        '"{0}" names key files that cannot be used or created ({1}). Choose another alias.',
        alias,
        host.identityFiles.map((f) => tildePath(f, s.ssh.home)).join(', '),
      ),
    );
    return 'changeAlias';
  }
  s.logger.info(
    choice.kind === 'existing'
      ? `"${alias}" uses the key ${choice.path}`
      : `"${alias}" names ${choice.path}, which does not exist yet: a new key goes there`,
  );
  return choice;
}

/** An existing key of `~/.ssh`, or a new one (Back from its name returns to the list). */
async function pickKey(s: Services, title: string, alias: string): Promise<KeyAnswer | Back> {
  const items: KeyItem[] = [generateKeyItem(), ...keyItems(await localKeys(s), s.ssh.home)];
  for (;;) {
    const picked = await pickStep({
      title,
      step: KEY_STEP,
      totalSteps: TOTAL_STEPS,
      placeholder: vscode.l10n.t('Which SSH key should log in to {0}?', alias),
      items,
    });
    if (picked === BACK) {
      return BACK;
    }
    if (picked.key) {
      return { key: { kind: 'existing', path: picked.key.privateKeyPath }, passphrase: '' };
    }
    const r = await askNewKey(s, { title, step: KEY_STEP, totalSteps: TOTAL_STEPS, alias });
    if (r !== BACK) {
      return { key: { kind: 'generate', path: r.privateKeyPath }, passphrase: r.passphrase };
    }
  }
}
