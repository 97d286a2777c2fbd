import * as os from 'node:os';
import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';
import { dockerStoreWatchTargets, watchPaths, type PathWatcher } from '../../core/common/watch';
import { ContextStore, dockerConfigDir, type DockerContextSummary } from '../../core/contexts/contextStore';
import type { ContextProtection } from '../../core/contexts/contextProtection';
import { readEnvOverrides } from '../../core/contexts/envOverrides';
import { setContextProtection } from '../../core/contexts/protectContext';
import type { RefreshManager } from '../base/refreshManager';
import type { Settings, SettingsService } from '../base/settings';
import { SnapshotService } from '../base/snapshotService';
import type { ContextsSnapshot } from './contextsModel';

/**
 * The Docker side of the extension, shaped like SshService: where the docker CLI's store is
 * (setting, else DOCKER_CONFIG, else ~/.docker), what it holds (one snapshot shared by the tree,
 * the status bar and pickers, reloaded through the refresh manager and followed by a watcher on
 * its files), and the writes. Every write is followed by its reload, so a command that awaits a
 * write leaves the views, the status bar and the engine probe up to date; commands never ask for
 * a refresh themselves.
 */
export class ContextsService extends SnapshotService<ContextsSnapshot> {
  private current: ContextStore;
  private watcher: PathWatcher | undefined;

  constructor(settings: SettingsService, refresh: RefreshManager, logger: Logger) {
    super(refresh, logger);
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

  /** The store for reads the snapshot does not hold (its paths, e.g. `tlsDir`); write through the methods below. */
  get store(): ContextStore {
    return this.current;
  }

  /** `docker context use NAME`, then the reload that shows it. */
  async use(name: string): Promise<ContextsSnapshot> {
    this.logger.info(`Switching Docker context to ${name}`);
    await this.current.use(name);
    return this.afterWrite();
  }

  /** `docker context create`, then the reload that lists it. */
  async create(input: { name: string; endpoint: string; description?: string }): Promise<DockerContextSummary> {
    this.logger.info(`Creating Docker context ${input.name} for ${input.endpoint}`);
    const created = await this.current.create(input);
    await this.afterWrite();
    return created;
  }

  /** `docker context update`, then the reload that shows it. */
  async update(name: string, changes: { description?: string; endpoint?: string }): Promise<DockerContextSummary> {
    this.logger.info(`Updating Docker context ${name}`);
    const updated = await this.current.update(name, changes);
    await this.afterWrite();
    return updated;
  }

  /** `docker context rm [-f]`, then the reload that drops it (and shows `default` current if it was). */
  async remove(name: string, options: { force?: boolean } = {}): Promise<{ wasCurrent: boolean }> {
    this.logger.info(`Removing Docker context ${name}${options.force ? ' (forced)' : ''}`);
    const result = await this.current.remove(name, options);
    await this.afterWrite();
    return result;
  }

  /** Marks a context protected (with a colour) or not, in its meta.json, then the reload that shows it. */
  async protect(name: string, protection: ContextProtection | undefined): Promise<void> {
    this.logger.info(
      protection
        ? `Protecting Docker context ${name} (${protection.color ?? 'no colour'})`
        : `Unprotecting Docker context ${name}`,
    );
    await setContextProtection(this.current.metaDir, name, protection);
    await this.afterWrite();
  }

  /** `docker context inspect NAME` (one element). */
  inspect(name: string): Promise<unknown> {
    return this.current.inspect(name);
  }

  /**
   * Through the refresh manager rather than a bare reload: the engine probe of a newly current
   * context runs in the same `contexts` scope, and 'afterChange' tells it the person may be asked.
   */
  private async afterWrite(): Promise<ContextsSnapshot> {
    await this.refresh.request('contexts', 'afterChange');
    return this.snapshot;
  }

  protected async load(): Promise<ContextsSnapshot> {
    const store = this.current;
    let snap: ContextsSnapshot;
    try {
      const reading = await store.read();
      snap = {
        configDir: store.configDir,
        configFile: store.configFile,
        contexts: reading.contexts,
        current: reading.current,
        listError: reading.listError,
        env: readEnvOverrides(process.env),
      };
    } catch (e) {
      // Not a broken file (those are reported inside the reading) but an unexpected failure: nothing is known.
      snap = {
        configDir: store.configDir,
        configFile: store.configFile,
        contexts: [],
        listError: e,
        currentError: e,
        env: readEnvOverrides(process.env),
      };
    }
    if (snap.listError !== undefined) {
      this.logger.error(
        `Listing Docker contexts in ${store.configDir} failed: ${describeError(snap.listError)}`,
        snap.listError,
      );
    }
    // A refresh can race a settings change that swapped the store: keep only the newest store's data.
    if (store !== this.current) {
      return this.load();
    }
    return snap;
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
    super.dispose();
  }
}
