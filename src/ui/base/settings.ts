import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SETTINGS_SECTION } from './ids';

/** Every `remoteDocker.*` setting the extension reads, as plain typed values for the core. */
export interface Settings {
  /** Overrides the docker CLI config directory; empty means `DOCKER_CONFIG`, else `~/.docker`. */
  readonly dockerConfigPath: string;
  readonly statusBarEnabled: boolean;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    dockerConfigPath: expandHome(c.get<string>('dockerConfigPath', '').trim()),
    statusBarEnabled: c.get<boolean>('statusBar.enabled', true),
  };
}

/** `~` and `~/x` are what people type into a settings box; the core wants absolute paths, and a
 *  relative one is taken from the home directory (the extension host's cwd means nothing to users). */
export function expandHome(p: string): string {
  if (p === '') {
    return p;
  }
  if (p === '~') {
    return os.homedir();
  }
  if (p.startsWith('~/') || p.startsWith('~\\')) {
    return path.join(os.homedir(), p.slice(2));
  }
  return path.resolve(os.homedir(), p);
}

/** The current settings, re-read when anything under `remoteDocker` changes. */
export class SettingsService implements vscode.Disposable {
  private value: Settings = readSettings();
  private readonly emitter = new vscode.EventEmitter<{ previous: Settings; current: Settings }>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor() {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS_SECTION)) {
        const previous = this.value;
        this.value = readSettings();
        this.emitter.fire({ previous, current: this.value });
      }
    });
  }

  get current(): Settings {
    return this.value;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
