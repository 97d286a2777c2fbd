import * as os from 'node:os';
import type * as vscode from 'vscode';
import { ContextStore, dockerConfigDir } from '../../core/contexts/contextStore';
import type { Logger } from '../../core/common/log';
import { dockerStoreWatchTargets, watchPaths, type PathWatcher } from '../../core/common/watch';
import type { RefreshManager } from '../base/refreshManager';
import type { Settings, SettingsService } from '../base/settings';

/**
 * Owns the ContextStore for the configured docker config directory and the watcher on its files.
 * When `remoteDocker.dockerConfigPath` changes, both are rebuilt and the UI refreshed.
 */
export class DockerStoreService implements vscode.Disposable {
  private current: ContextStore;
  private watcher: PathWatcher | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    settings: SettingsService,
    private readonly refresh: RefreshManager,
    private readonly logger: Logger,
  ) {
    this.current = this.build(settings.current);
    this.subscriptions.push(
      settings.onDidChange(({ previous, current }) => {
        if (previous.dockerConfigPath !== current.dockerConfigPath) {
          this.current = this.build(current);
          void this.refresh.request('contexts', 'settings');
        }
      }),
    );
  }

  get store(): ContextStore {
    return this.current;
  }

  private build(settings: Settings): ContextStore {
    const configDir = settings.dockerConfigPath || dockerConfigDir(process.env, os.homedir());
    // The extension host's environment is what terminals opened from VS Code inherit, so it is
    // the right one to resolve DOCKER_HOST / DOCKER_CONTEXT against.
    const store = new ContextStore({ configDir, env: process.env, platform: process.platform });
    this.watcher?.close();
    this.watcher = watchPaths(
      dockerStoreWatchTargets(store.configDir),
      (change) => {
        this.logger.debug(`Docker config changed on disk: ${change.targets.join(', ')}`);
        void this.refresh.request('contexts', 'files');
      },
      { logger: this.logger },
    );
    this.logger.info(`Docker config directory: ${store.configDir}`);
    return store;
  }

  dispose(): void {
    this.watcher?.close();
    this.watcher = undefined;
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
