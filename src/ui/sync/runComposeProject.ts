/**
 * "Run Compose Project on <context>" and its four actions: sync the folder holding the compose
 * file, find which compose the remote has, then run it in the mirror in a terminal. Takes the
 * compose file's URI (from a CodeLens or a diagnostic's quick fix) or asks for one.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as Yaml from 'yaml';
import { CoreError } from '../../core/common/errors';
import { composeCommand, detectCompose, laptopProjectName, type ComposeAction } from '../../core/sync/remoteCompose';
import { UserCancelledError } from '../base/userCancelledError';
import type { Services } from '../services';
import { ComposeTerminal } from './composeTerminal';
import { syncWithProgress } from './syncSteps';

const COMPOSE_GLOB = '**/{compose,docker-compose}.{yaml,yml}';
const COMPOSE_SUFFIX_GLOB = '**/*.compose.{yaml,yml}';

async function pickComposeFile(): Promise<vscode.Uri> {
  const found = [
    ...(await vscode.workspace.findFiles(COMPOSE_GLOB, '**/node_modules/**', 200)),
    ...(await vscode.workspace.findFiles(COMPOSE_SUFFIX_GLOB, '**/node_modules/**', 200)),
  ];
  if (found.length === 1) {
    return found[0];
  }
  if (found.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No compose file was found in this workspace.'));
    throw new UserCancelledError('no compose file');
  }
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: vscode.l10n.t('Select the compose file to run') },
  );
  if (!picked) {
    throw new UserCancelledError('compose file');
  }
  return picked.uri;
}

async function pickAction(context: string): Promise<ComposeAction> {
  const items: (vscode.QuickPickItem & { action: ComposeAction })[] = [
    { label: vscode.l10n.t('Up'), description: 'up -d --build', action: 'up' },
    { label: vscode.l10n.t('Down'), description: 'down', action: 'down' },
    { label: vscode.l10n.t('Logs'), description: 'logs -f', action: 'logs' },
    { label: vscode.l10n.t('Restart'), description: 'restart', action: 'restart' },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Run Compose Project on {0}', context),
    placeHolder: vscode.l10n.t('Select what compose should do'),
  });
  if (!picked) {
    throw new UserCancelledError('action');
  }
  return picked.action;
}

/** The top-level `name:` of a compose file, read with a real YAML parser (undefined when absent or unreadable). */
async function topLevelName(uri: vscode.Uri): Promise<unknown> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- yaml is loaded on first use (its own bundle)
    const { parse } = require('yaml') as typeof Yaml;
    const doc = parse(Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8')) as unknown;
    return doc && typeof doc === 'object' ? (doc as { name?: unknown }).name : undefined;
  } catch {
    return undefined;
  }
}

export async function runCompose(s: Services, arg: unknown, action?: ComposeAction): Promise<void> {
  const uri = arg instanceof vscode.Uri ? arg : await pickComposeFile();
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder || uri.scheme !== 'file') {
    throw new CoreError('composeFileOutside', 'The compose file is not in a workspace folder.', { path: uri.fsPath });
  }
  const subject = s.remoteProject.subject();
  const chosen = action ?? (await pickAction(subject.name));
  const synced = await syncWithProgress(s, folder);
  const rel = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
  const projectName = laptopProjectName(uri.fsPath, await topLevelName(uri));
  const lease = await s.remoteProject.lease({ interactive: true });
  try {
    const flavor = await detectCompose(lease.client);
    const command = composeCommand({
      flavor,
      action: chosen,
      remoteRoot: synced.remoteDir,
      composeFile: rel,
      projectName,
      // The socket the context's URL names; otherwise compose finds the remote's own default, as the CLI would.
      ...(lease.socket.explicit ? { dockerSocket: lease.socket.path } : {}),
    });
    s.logger.info(`Compose on ${subject.name}: ${command}`);
    const terminal = vscode.window.createTerminal({
      name: vscode.l10n.t('Compose {0}: {1} on {2}', chosen, projectName, subject.name),
      pty: new ComposeTerminal(lease, command, `${subject.name}$ ${command}`, s.logger),
      iconPath: new vscode.ThemeIcon('remote'),
    });
    terminal.show();
  } catch (e) {
    lease.release();
    throw e;
  }
}

export const runComposeProject = (s: Services, arg?: unknown): Promise<void> => runCompose(s, arg);
export const composeUp = (s: Services, arg?: unknown): Promise<void> => runCompose(s, arg, 'up');
export const composeDown = (s: Services, arg?: unknown): Promise<void> => runCompose(s, arg, 'down');
export const composeLogs = (s: Services, arg?: unknown): Promise<void> => runCompose(s, arg, 'logs');
export const composeRestart = (s: Services, arg?: unknown): Promise<void> => runCompose(s, arg, 'restart');
