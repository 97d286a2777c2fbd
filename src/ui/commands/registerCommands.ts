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
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return (Object.keys(CommandIds) as CommandKey[]).map((key) => {
    const id = CommandIds[key];
    const handler = HANDLERS[key];
    return vscode.commands.registerCommand(id, wrapCommand(id, (...args) => handler(s, ...args), s.logger));
  });
}
