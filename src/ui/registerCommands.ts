import * as vscode from 'vscode';
import type { Services } from './services';
import { CommandIds, type CommandKey } from './base/commandIds';
import { createContext } from './contexts/createContext';
import { inspectContext } from './contexts/inspectContext';
import { openContextMeta } from './contexts/openContextMeta';
import { removeContext } from './contexts/removeContext';
import { switchToPreviousContext } from './contexts/switchToPreviousContext';
import { useContext } from './contexts/useContext';
import { addSshHost } from './sshHosts/addSshHost';
import { connectToRemoteHost } from './connect/connectToRemoteHost';
import { copyPublicKey } from './sshHosts/copyPublicKey';
import { createContextForSshHost } from './sshHosts/createContextForSshHost';
import { generateSshKey } from './sshHosts/generateSshKey';
import { openSshConfig } from './sshHosts/openSshConfig';
import { openSshHostInConfig } from './sshHosts/openSshHostInConfig';
import { removeSshHost } from './sshHosts/removeSshHost';
import { testSshConnection } from './sshHosts/testSshConnection';
import { connectEngine } from './engine/connectEngine';
import { diagnoseContext } from './engine/diagnoseContext';
import { showEngineInfo } from './engine/showEngineInfo';
import { wrapCommand } from './base/runCommand';
import { stopUsingContextInWorkspace, useContextInWorkspace } from './workspace/workspaceContextCommands';
import { protectContext, unprotectContext } from './contexts/protectContext';
import { syncWorkspaceFolder } from './sync/syncWorkspaceFolder';
import { composeDown, composeLogs, composeRestart, composeUp, runComposeProject } from './sync/runComposeProject';

type Handler = (s: Services, ...args: unknown[]) => unknown;

/** One handler per command id; a missing entry is a compile error. */
const HANDLERS: Record<CommandKey, Handler> = {
  useContext,
  createContext,
  removeContext,
  inspectContext,
  openContextMeta,
  switchToPreviousContext,
  // "Refresh": re-reads everything the views and the status bar show.
  refresh: (s) => s.refresh.request('all', 'command'),
  showLog: (s) => s.logger.show(),
  connectToRemoteHost,
  addSshHost,
  openSshConfig,
  generateSshKey,
  copyPublicKey,
  testSshConnection,
  openSshHostInConfig,
  removeSshHost,
  createContextForSshHost,
  showEngineInfo,
  connectEngine,
  diagnoseContext,
  useContextInWorkspace,
  stopUsingContextInWorkspace,
  protectContext,
  unprotectContext,
  syncWorkspaceFolder,
  runComposeProject,
  composeUp,
  composeDown,
  composeLogs,
  composeRestart,
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return (Object.keys(CommandIds) as CommandKey[]).map((key) => {
    const id = CommandIds[key];
    const handler = HANDLERS[key];
    return vscode.commands.registerCommand(
      id,
      wrapCommand(id, (...args) => handler(s, ...args), s.logger),
    );
  });
}
