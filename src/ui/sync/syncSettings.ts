import * as vscode from 'vscode';
import { SETTINGS_SECTION } from '../base/ids';

/** The `remoteDocker.sync.*` settings, as plain values for the core. */
export interface SyncSettings {
  /** Patterns (Docker's .dockerignore syntax) left out beyond the folder's .dockerignore. */
  readonly exclude: readonly string[];
  /** Sync a folder that was synced before whenever one of its files is saved. */
  readonly onSave: boolean;
}

export function readSyncSettings(): SyncSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const exclude = c.get<unknown>('sync.exclude', ['.git']);
  return {
    exclude: Array.isArray(exclude) ? exclude.filter((p): p is string => typeof p === 'string' && p.trim() !== '') : [],
    onSave: c.get<boolean>('sync.onSave', false) === true,
  };
}
