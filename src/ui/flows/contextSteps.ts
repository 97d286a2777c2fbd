import * as vscode from 'vscode';
import { CoreError } from '../../core/common/errors';
import { validateContextName } from '../../core/contexts/contextStore';
import { errorText } from '../base/errorMessages';
import { pickOne } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import type { Services } from '../services';
import { confirmProtectedSwitch } from '../contexts/protectedSwitch';
import { useInWorkspace } from '../workspace/workspaceContextSteps';

/**
 * The context steps that Use, Create, Switch Back, Create Context for SSH Host and Connect to a
 * Remote Docker Host share: checking a typed name, switching (with the warning when an
 * environment variable overrides the switch), and the "Use now?" question after a creation.
 */

/** Why a typed name cannot be used for a new Docker context (the CLI's rule, or taken), or undefined. */
export function contextNameProblem(value: string, taken: ReadonlySet<string>): string | undefined {
  try {
    validateContextName(value);
  } catch (e) {
    if (e instanceof CoreError) {
      return value === '' ? vscode.l10n.t('Enter a name.') : errorText(e).message;
    }
    throw e;
  }
  return taken.has(value) ? vscode.l10n.t('A Docker context named "{0}" already exists.', value) : undefined;
}

/** Writes the switch (the service reloads everything) and says so when an environment variable overrides it. */
export async function switchToContext(s: Services, name: string): Promise<void> {
  if ((await confirmProtectedSwitch(s, name)) === 'workspace') {
    await useInWorkspace(s, name);
    return;
  }
  const snap = await s.contexts.use(name);
  if (
    snap.current &&
    snap.current.name !== name &&
    (snap.current.source === 'DOCKER_HOST' || snap.current.source === 'DOCKER_CONTEXT')
  ) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Docker context "{0}" is now selected in the docker config, but {1} is set in VS Code\'s environment, so docker in VS Code\'s terminals still uses "{2}".',
        name,
        snap.current.source,
        snap.current.name,
      ),
    );
  }
}

/**
 * "Switch to it now?" after a context was created, then the switch. `title` names what happened
 * ("created", "ready"). Dismissing the question means "not now": the context exists either way.
 */
export async function offerToUse(s: Services, name: string, title: string): Promise<void> {
  const useNow = { label: vscode.l10n.t('Use now'), description: vscode.l10n.t('docker context use {0}', name) };
  const notNow = { label: vscode.l10n.t('Not now') };
  let choice: vscode.QuickPickItem;
  try {
    choice = await pickOne({ title, placeholder: vscode.l10n.t('Switch to it now?'), items: [useNow, notNow] });
  } catch (e) {
    if (e instanceof UserCancelledError) {
      return;
    }
    throw e;
  }
  if (choice === useNow) {
    await switchToContext(s, name);
  }
}

/** The description a context for an SSH host gets unless the user types another. */
export function sshContextDescription(user: string, hostname: string, port: number): string {
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return vscode.l10n.t('Docker on {0} via SSH', port === 22 ? `${user}@${host}` : `${user}@${host}:${port}`);
}
