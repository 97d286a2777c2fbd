import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SETTINGS_SECTION } from '../base/ids';
import { expandHome } from '../base/settings';

/** The `remoteDocker.*` settings of the SSH features, as plain values for the core. */
export interface SshSettings {
  /** Absolute path of the user's SSH configuration (`~/.ssh/config` when the setting is empty). */
  readonly configFile: string;
  /** Seconds; used for hosts whose SSH configuration sets no ConnectTimeout. */
  readonly connectTimeoutSeconds: number;
  /** Log in once before creating a context for an SSH host (so an unknown host key is asked about). */
  readonly checkConnectionOnCreate: boolean;
}

export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 15;

export function readSshSettings(home: string = os.homedir()): SshSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const configured = expandHome(c.get<string>('sshConfigFile', '').trim());
  const timeout = c.get<number>('ssh.connectTimeout', DEFAULT_CONNECT_TIMEOUT_SECONDS);
  return {
    configFile: configured || path.join(home, '.ssh', 'config'),
    connectTimeoutSeconds:
      Number.isFinite(timeout) && timeout >= 1 ? Math.min(timeout, 600) : DEFAULT_CONNECT_TIMEOUT_SECONDS,
    checkConnectionOnCreate: c.get<boolean>('ssh.checkConnectionOnCreate', true),
  };
}
