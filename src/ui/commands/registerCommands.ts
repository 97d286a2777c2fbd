import * as vscode from 'vscode';
import type { Services } from '../services';
import { CommandIds, type CommandKey } from './commandIds';
import { createContext } from './createContext';
import { inspectContext } from './inspectContext';
import { openContextMeta } from './openContextMeta';
import { refresh } from './refresh';
import { removeContext } from './removeContext';
import { showLog } from './showLog';
import { switchToPreviousContext } from './switchToPreviousContext';
import { useContext } from './useContext';
import { addSshHost } from './addSshHost';
import { connectToRemoteHost } from './connectToRemoteHost';
import { copyPublicKey } from './copyPublicKey';
import { createContextForSshHost } from './createContextForSshHost';
import { generateSshKey } from './generateSshKey';
import { openSshConfig } from './openSshConfig';
import { openSshHostInConfig } from './openSshHostInConfig';
import { removeSshHost } from './removeSshHost';
import { testSshConnection } from './testSshConnection';
import { connectEngine } from './connectEngine';
import { diagnoseContext } from './diagnoseContext';
import { showEngineInfo } from './showEngineInfo';
import { wrapCommand } from './runCommand';

type Handler = (s: Services, ...args: unknown[]) => unknown;

/** One handler per command id; a missing entry is a compile error. */
const HANDLERS: Record<CommandKey, Handler> = {
  useContext,
  createContext,
  removeContext,
  inspectContext,
  openContextMeta,
  switchToPreviousContext,
  refresh,
  showLog,
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
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return (Object.keys(CommandIds) as CommandKey[]).map((key) => {
    const id = CommandIds[key];
    const handler = HANDLERS[key];
    return vscode.commands.registerCommand(id, wrapCommand(id, (...args) => handler(s, ...args), s.logger));
  });
}
