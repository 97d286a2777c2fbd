import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';
import type { ConnectOptions, SshPrompts } from '../../core/ssh/connection';
import { PassphraseCache } from '../../core/ssh/passphraseCache';
import { ResolveCache, volatileSshConfig } from '../../core/sshConfig/resolveCache';
import { resolveHost, resolveHostBuiltin, type EffectiveHost } from '../../core/sshConfig/resolveHost';
import { readSshConfig, type SshConfigProblem, type SshHost } from '../../core/sshConfig/sshConfig';
import { parseSshDestination } from '../../core/sshConfig/sshConfigEdit';
import { sshConfigWatchTargets } from '../../core/sshConfig/sshConfigWatch';
import { watchPaths, type PathWatcher } from '../../core/common/watch';
import type { RefreshManager } from '../base/refreshManager';
import type { SettingsService } from '../base/settings';
import { SnapshotService } from '../base/snapshotService';
import { createSshPrompts } from './sshPrompts';
import { readSshSettings, type SshSettings } from './sshSettings';

/** One concrete host of the SSH configuration, with its effective settings for display. */
export interface SshHostEntry {
  host: SshHost;
  /** From the builtin resolver (cheap, no process): good enough for a description and a tooltip. */
  effective?: EffectiveHost;
  resolveError?: unknown;
}

/** One reading of the SSH configuration, shared by the SSH Hosts view, pickers and suggestions. */
export interface SshHostsSnapshot {
  configFile: string;
  /** Every file read (the main one and each Include), for the watcher. */
  files: string[];
  hosts: SshHostEntry[];
  problems: SshConfigProblem[];
  /** Set when the configuration could not be read at all. */
  error?: unknown;
}

/** Builtin resolutions run this many at a time, so a long config does not open every file at once. */
const RESOLVE_CONCURRENCY = 8;

/**
 * The SSH side of the extension: where the configuration is (setting), what it lists (reloaded
 * through the refresh manager, followed by a watcher on every file it includes), how a host
 * resolves for a connection (`ssh -G` when there is an ssh client), the in-memory passphrase
 * cache, and the ConnectOptions every connection is opened with.
 */
export class SshService extends SnapshotService<SshHostsSnapshot> {
  readonly passphrases = new PassphraseCache();
  private settingsValue: SshSettings;
  private watcher: PathWatcher | undefined;
  private watchKey = '';
  private disposed = false;
  /** `ssh -G` answers, kept only while the watcher follows every file they came from. */
  private readonly resolved = new ResolveCache();
  private resolveCacheUsable = false;

  constructor(settings: SettingsService, refresh: RefreshManager, logger: Logger) {
    super(refresh, logger);
    this.settingsValue = readSshSettings(this.home);
    this.subscriptions.push(
      settings.onDidChange(() => {
        const previous = this.settingsValue;
        this.settingsValue = readSshSettings(this.home);
        if (previous.configFile !== this.settingsValue.configFile) {
          this.resolved.invalidate();
          this.resolveCacheUsable = false;
          this.logger.info(`SSH configuration file: ${this.settingsValue.configFile}`);
          void this.refresh.request('sshHosts', 'settings');
        }
      }),
    );
  }

  get settings(): SshSettings {
    return this.settingsValue;
  }

  /** The user's home as the extension host sees it (HOME on POSIX). */
  get home(): string {
    return os.homedir();
  }

  get sshDir(): string {
    return path.join(this.home, '.ssh');
  }

  get configFile(): string {
    return this.settingsValue.configFile;
  }

  /** The login name ssh uses when a host sets no User. */
  localUser(): string {
    try {
      return os.userInfo().username;
    } catch {
      return process.env.USER ?? process.env.USERNAME ?? 'root';
    }
  }

  protected async load(): Promise<SshHostsSnapshot> {
    const configFile = this.configFile;
    const home = this.home;
    let snap: SshHostsSnapshot;
    try {
      const config = await readSshConfig({ configFile, home });
      const hosts = await mapLimit(config.hosts, RESOLVE_CONCURRENCY, async (host): Promise<SshHostEntry> => {
        try {
          return {
            host,
            effective: await resolveHostBuiltin(host.alias, { configFile, home, localUser: this.localUser() }),
          };
        } catch (e) {
          return { host, resolveError: e };
        }
      });
      snap = { configFile, files: config.files, hosts, problems: config.problems };
      for (const p of config.problems) {
        this.logger.warn(`SSH configuration: ${p.message}`);
      }
    } catch (e) {
      this.logger.error(`Reading the SSH configuration ${configFile} failed: ${describeError(e)}`);
      snap = { configFile, files: [], hosts: [], problems: [], error: e };
    }
    if (configFile !== this.configFile) {
      return this.load(); // the setting changed while reading: only the newest file counts
    }
    // Whatever was resolved before this reading may be stale; the watch then keeps it honest.
    this.resolved.invalidate();
    await this.armWatcher(snap);
    this.resolveCacheUsable =
      this.watcher !== undefined && snap.error === undefined && !(await volatileSshConfig(snap.files));
    return snap;
  }

  /**
   * Follows the main file (even before it exists), every included file, and the folders Include
   * globs look in (see sshConfigWatchTargets). Re-armed only when that set changes, so a reload
   * caused by the watcher does not rebuild it.
   */
  private async armWatcher(snap: SshHostsSnapshot): Promise<void> {
    const targets = await sshConfigWatchTargets({ configFile: snap.configFile, files: snap.files, home: this.home });
    const key = JSON.stringify(targets);
    if (this.disposed || (key === this.watchKey && this.watcher)) {
      return;
    }
    this.watcher?.close();
    this.watchKey = key;
    this.watcher = watchPaths(
      targets,
      (change) => {
        this.logger.debug(`SSH configuration changed on disk: ${change.targets.join(', ')}`);
        this.resolved.invalidate();
        void this.refresh.request('sshHosts', 'files');
      },
      { logger: this.logger },
    );
  }

  /**
   * The host's effective settings for a connection: `ssh -G` when an ssh client exists, else the
   * builtin resolver. Answers are reused until the configuration's watch sees a change (a cold
   * connect then costs no process), unless nothing watches yet or the configuration has a Match
   * that can answer differently with no file changed.
   */
  resolve(alias: string, signal?: AbortSignal): Promise<EffectiveHost> {
    const configFile = this.configFile;
    const run = (): Promise<EffectiveHost> =>
      resolveHost(alias, { configFile, home: this.home, localUser: this.localUser(), signal });
    if (!this.resolveCacheUsable) {
      // Reading the configuration arms its watch, after which answers can be kept (files only, no network).
      this.snapshot.catch(() => undefined);
      return run();
    }
    return this.resolved.resolve(`${configFile}\n${alias}`, run);
  }

  /** Prompts bound to a cancellation token (a progress notification's Cancel closes an open box). */
  prompts(token?: vscode.CancellationToken): SshPrompts {
    return createSshPrompts(this.logger, token);
  }

  /** What every connection of the extension is opened with: the user's settings, the cache, a deadline. */
  connectOptions(host: EffectiveHost, o: { signal?: AbortSignal; prompts?: SshPrompts }): ConnectOptions {
    return {
      host,
      env: process.env,
      home: this.home,
      prompts: o.prompts,
      passphrases: this.passphrases,
      // The host's own ConnectTimeout wins (as with ssh); the setting covers the others.
      timeoutMs: host.connectTimeout ? undefined : this.settingsValue.connectTimeoutSeconds * 1000,
      resolveJumpHost: (spec) => this.resolveJump(spec, o.signal),
      signal: o.signal,
      logger: this.logger,
    };
  }

  /** A ProxyJump hop as ssh reads it: `[user@]host[:port]`, where host may be an alias of the config. */
  private async resolveJump(spec: string, signal: AbortSignal | undefined): Promise<EffectiveHost> {
    const d = parseSshDestination(spec);
    const h = await this.resolve(d.host, signal);
    return {
      ...h,
      ...(d.user !== undefined ? { user: d.user } : {}),
      ...(d.port !== undefined ? { port: d.port } : {}),
    };
  }

  dispose(): void {
    this.disposed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.resolveCacheUsable = false;
    this.resolved.invalidate();
    this.passphrases.clear();
    super.dispose();
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
