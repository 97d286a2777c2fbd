import * as vscode from 'vscode';
import { tildePath } from '../../core/connect/connectPlan';
import {
  addSshHost as addHostBlock,
  parseSshDestination,
  suggestAlias,
  type SshDestination,
} from '../../core/sshConfig/sshConfigEdit';
import { CommandIds } from '../base/commandIds';
import { BACK, inputStep, pickStep } from '../base/prompts';
import { createContextForAlias } from '../flows/createContextFlow';
import { aliasProblem, destinationProblem } from '../flows/sshHostSteps';
import { generateKeyInteractive, generateKeyItem, keyItems, localKeys, type KeyItem } from '../flows/sshKeySteps';
import type { Services } from '../services';

const TOTAL_STEPS = 3;

/**
 * "Add SSH Host…": destination (a pasted `ssh -p 2222 user@host` works), an alias, and the key
 * to use (an existing one, a new one, or none: the agent and the default keys). The block goes
 * before the first `Host *` so it applies; nothing else in the file changes.
 */
export async function addSshHost(s: Services): Promise<void> {
  const title = vscode.l10n.t('Add SSH Host');
  const { dest, name, keyPath } = await askHost(s, title);
  const identityFile = keyPath ? tildePath(keyPath, s.ssh.home) : undefined;
  s.logger.info(
    `Adding SSH host ${name} (${dest.user ?? ''}@${dest.host}:${dest.port ?? 22}${identityFile ? `, ${identityFile}` : ''}) to ${s.ssh.configFile}`,
  );
  const { line } = await addHostBlock(
    s.ssh.configFile,
    { alias: name, hostName: dest.host, user: dest.user, port: dest.port, identityFile },
    { home: s.ssh.home },
  );
  await s.refresh.request('sshHosts', 'afterChange');
  const test = vscode.l10n.t('Test Connection');
  const create = vscode.l10n.t('Create Docker Context…');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('Added the SSH host "{0}" to {1} (line {2}).', name, s.ssh.configFile, String(line)),
    test,
    create,
  );
  if (choice === test) {
    // Its own command (progress, report, errors): the host is added whatever the test finds.
    await vscode.commands.executeCommand(CommandIds.testSshConnection, name);
  } else if (choice === create) {
    await createContextForAlias(s, name);
  }
}

/** The three questions; Back goes to the previous one. `keyPath` null: no key. */
async function askHost(
  s: Services,
  title: string,
): Promise<{ dest: SshDestination; name: string; keyPath: string | null }> {
  const snap = await s.ssh.snapshot;
  const taken = snap.hosts.map((h) => h.host.alias);
  let destination: SshDestination | undefined;
  let destText: string | undefined;
  let alias: string | undefined;
  let keyPath: string | undefined | null; // null: no key
  let step = 1;
  while (step <= TOTAL_STEPS) {
    if (step === 1) {
      const v = await inputStep({
        title,
        step,
        totalSteps: TOTAL_STEPS,
        prompt: vscode.l10n.t('SSH destination: user@host, user@host:port, or a pasted "ssh -p 2222 user@host"'),
        placeholder: vscode.l10n.t('for example: ubuntu@192.0.2.10'),
        value: destText,
        validate: destinationProblem,
      });
      if (v === BACK) {
        continue;
      }
      destText = v;
      destination = parseSshDestination(v);
      step++;
    } else if (step === 2) {
      const v = await inputStep({
        title,
        step,
        totalSteps: TOTAL_STEPS,
        prompt: vscode.l10n.t('Alias: the short name for "ssh ALIAS" and "ssh://ALIAS"'),
        value: alias ?? suggestAlias(destination as SshDestination, taken),
        validate: (x) => aliasProblem(x, taken),
      });
      if (v === BACK) {
        step--;
        continue;
      }
      alias = v;
      step++;
    } else {
      const none: KeyItem = {
        label: vscode.l10n.t('No key'),
        description: vscode.l10n.t('use ssh-agent and the default keys'),
        none: true,
      };
      const items = [...keyItems(await localKeys(s), s.ssh.home), generateKeyItem(), none];
      const picked = await pickStep({
        title,
        step,
        totalSteps: TOTAL_STEPS,
        placeholder: vscode.l10n.t('Which key should {0} use?', alias ?? ''),
        items,
      });
      if (picked === BACK) {
        step--;
        continue;
      }
      keyPath = picked.key
        ? picked.key.privateKeyPath
        : picked.generate
          ? (await generateKeyInteractive(s, { title, alias })).privateKeyPath
          : null;
      step++;
    }
  }
  return { dest: destination as SshDestination, name: alias as string, keyPath: keyPath ?? null };
}
