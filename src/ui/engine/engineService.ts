import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';
import type { EngineInfo } from '../../core/engine/engineInfo';
import { engineKey, type EngineKey } from '../../core/engine/engineKey';
import type Dockerode from 'dockerode';
import { EngineMonitor, type EngineSubject, type ProbeOptions } from '../../core/engine/engineMonitor';
import type { ConnectionEvent, SshLease } from '../../core/engine/enginePool';
import type { ProbeResult } from '../../core/engine/engineProbeCache';
import { connectForEngine, systemSshTargetIfNeeded, type EngineConnectDeps } from '../../core/engine/engineSshTarget';
import { controlDirectory, type SystemSshTarget } from '../../core/engine/systemSshLink';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import type { DaemonState } from '../../core/engine/engineStates';
import { localBuildPlatform } from '../../core/engine/engineStatusFormat';
import type { RefreshReason } from '../base/refreshManager';
import type { SettingsService } from '../base/settings';
import { currentSummary } from '../contexts/contextsModel';
import type { ContextsService } from '../contexts/contextsService';
import type { SshService } from '../sshHosts/sshService';
import type { WorkspaceContextService } from '../workspace/workspaceContextService';
import { readEngineSettings, type EngineSettings } from './engineSettings';

export type { ProbeOptions } from '../../core/engine/engineMonitor';

export interface EngineServiceDeps {
  readonly logger: Logger;
  readonly settings: SettingsService;
  readonly ssh: SshService;
  readonly contexts: ContextsService;
  /** Where the last known facts of each daemon persist (globalState). */
  readonly memory?: vscode.Memento;
  /** The context this workspace uses instead of the global one: the status subject follows it. */
  readonly workspace?: WorkspaceContextService;
}

/** A context whose daemon can be asked: it has an endpoint and is not broken. */
function probeable(c: DockerContextSummary | undefined): c is DockerContextSummary {
  return !!c && !c.error && c.endpoint !== '';
}

/**
 * The edge of the engine monitor (src/core/engine/engineMonitor.ts): gives it the SSH side
 * (configuration, prompts, passphrases), the settings, the window's focus and globalState, and
 * turns its events into VS Code events for the status bar and the Docker Contexts view, which
 * subscribe to them. Nothing here pushes into a view.
 */
export class EngineService implements vscode.Disposable {
  private readonly monitor: EngineMonitor;
  private settingsValue: EngineSettings;
  private readonly changeEmitter = new vscode.EventEmitter<EngineKey>();
  private readonly invalidateEmitter = new vscode.EventEmitter<void>();
  private readonly formatEmitter = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The platform images built on this machine would have. */
  readonly localPlatform: string;
  /** A context's daemon state changed. */
  readonly onDidChangeState = this.changeEmitter.event;
  /** Every answer became stale (Refresh, a dropped connection): views should ask again for what they show. */
  readonly onDidInvalidate = this.invalidateEmitter.event;
  /** The status format setting changed. */
  readonly onDidChangeFormat = this.formatEmitter.event;

  constructor(private readonly deps: EngineServiceDeps) {
    this.settingsValue = readEngineSettings();
    const arm = (process.config.variables as Record<string, unknown>).arm_version;
    this.localPlatform = localBuildPlatform(process.arch, {
      armVersion: typeof arm === 'string' || typeof arm === 'number' ? arm : undefined,
      endianness: os.endianness(),
    });
    const s = this.settingsValue;
    this.monitor = new EngineMonitor({
      connect: (endpoint, signal, interaction) =>
        connectForEngine(
          {
            resolve: (alias, sig) => deps.ssh.resolve(alias, sig),
            connectOptions: (host, o) => deps.ssh.connectOptions(host, o),
            passphrases: deps.ssh.passphrases,
            keepaliveIntervalMs: this.settingsValue.keepaliveIntervalMs,
            logger: deps.logger,
            systemSsh: this.systemSsh(),
          },
          endpoint,
          signal,
          interaction,
        ),
      prompts: (signal) => {
        const cts = new vscode.CancellationTokenSource();
        signal.addEventListener('abort', () => cts.cancel(), { once: true });
        return deps.ssh.prompts(cts.token);
      },
      target: (subject) => ({
        contextName: subject.name,
        endpoint: subject.endpoint,
        skipTLSVerify: subject.skipTLSVerify,
        ...(subject.tlsPath !== undefined ? { tlsDir: subject.tlsPath } : {}),
      }),
      settings: s,
      focused: vscode.window.state.focused,
      memory: deps.memory,
      // Nobody sees the result while the status item is hidden; a switch or Refresh still probes.
      statusVisible: () => deps.settings.current.statusBarEnabled,
      logger: deps.logger,
    });
    deps.logger.info(describeInterval(s.refreshIntervalMs));
    this.subscriptions.push(
      this.changeEmitter,
      this.invalidateEmitter,
      this.formatEmitter,
      this.monitor.states.onDidChange((k) => this.changeEmitter.fire(k)),
      this.monitor.states.onDidInvalidate(() => this.invalidateEmitter.fire()),
      vscode.window.onDidChangeWindowState((w) => {
        deps.logger.trace(
          `Window ${w.focused ? 'focused' : 'not focused'}: status refresh ${w.focused ? 'on' : 'paused'}`,
        );
        this.monitor.setFocused(w.focused);
      }),
      deps.settings.onDidChange(() => this.applySettings()),
    );
    if (deps.workspace) {
      // A person chose (or stopped) the workspace's context: its daemon is the subject now.
      this.subscriptions.push(deps.workspace.onDidChange(() => this.onContextsRefreshed(['command'])));
    }
  }

  /**
   * For Diagnose and Test SSH Connection: the way the engine reaches `host` when only the system's
   * ssh client reaches it as OpenSSH does (undefined: ssh2, as usual).
   */
  systemSshFor(host: EffectiveHost): Promise<SystemSshTarget | undefined> {
    return systemSshTargetIfNeeded(this.systemSsh(), host);
  }

  /** How hosts that ssh2 cannot reach as OpenSSH does are reached: the ssh client on PATH, multiplexed. */
  private systemSsh(): EngineConnectDeps['systemSsh'] {
    const ssh = this.deps.ssh;
    const defaultConfig = path.join(ssh.home, '.ssh', 'config');
    return {
      binary: process.platform === 'win32' ? 'ssh.exe' : 'ssh',
      ...(path.resolve(ssh.configFile) !== path.resolve(defaultConfig) ? { configFile: ssh.configFile } : {}),
      env: process.env,
      controlDir: () => {
        if (process.platform === 'win32') {
          return undefined; // Windows' OpenSSH has no ControlMaster
        }
        try {
          return controlDirectory(os.tmpdir(), process.getuid?.());
        } catch (e) {
          this.deps.logger.warn(`No private directory for ssh multiplexing: ${describeError(e)}`);
          return undefined;
        }
      },
      persistSeconds: Math.max(1, Math.round(this.settingsValue.idleTimeoutMs / 1000)),
    };
  }

  get statusFormat(): EngineSettings['statusFormat'] {
    return this.settingsValue.statusFormat;
  }

  // -- for the refresh manager -------------------------------------------------------------------

  /** After every reading of the context store: forget removed contexts; a new current context is probed now. */
  onContextsRefreshed(reasons: readonly RefreshReason[]): void {
    const snap = this.deps.contexts.peek();
    if (!snap) {
      return;
    }
    if (snap.listError === undefined) {
      this.monitor.retain(snap.contexts.filter(probeable));
    }
    // The context this window uses: the workspace's when one is set (DOCKER_HOST still wins).
    const summary = this.deps.workspace ? this.deps.workspace.windowSummary(snap) : currentSummary(snap);
    // A switch the person made in VS Code may ask; one made in a terminal (a file change) may not.
    const interactive = reasons.includes('afterChange') || reasons.includes('command');
    this.monitor.showStatusOf(probeable(summary) ? summary : undefined, {
      interactive,
      why: reasons.includes('activation') ? 'activation' : 'switch',
    });
  }

  /** The `engine` scope: the Refresh command checks everything again (and may ask). */
  onEngineRefresh(reasons: readonly RefreshReason[]): void {
    if (reasons.includes('command')) {
      void this.monitor.refreshAll();
    }
  }

  // -- for views and commands ------------------------------------------------------------------

  /** What is known about a context's daemon, without probing. */
  state(summary: EngineSubject): DaemonState {
    return this.monitor.states.get(engineKey(summary));
  }

  /** For a row of the view: a background probe queued when nothing fresh is known. */
  request(summary: EngineSubject): void {
    this.monitor.request(summary);
  }

  /** Probes a context now (joining a background probe under way unless interactive) and records the answer. */
  probe(summary: EngineSubject, o: ProbeOptions): Promise<ProbeResult<EngineInfo>> {
    return this.monitor.probe(summary, o);
  }

  /** Probes the current context now (the status bar follows by its subscription). */
  refreshStatus(o: ProbeOptions, why: string): Promise<ProbeResult<EngineInfo> | undefined> {
    return this.monitor.refreshStatus(o, why);
  }

  /** `/info` and `/version` as the daemon sent them (for Show Remote Engine Info). */
  rawInfo(summary: EngineSubject, signal: AbortSignal): Promise<{ info: unknown; version: unknown }> {
    return this.monitor.rawInfo(summary, signal);
  }

  /** A hold on the context's pooled SSH connection (ssh:// only); release it when done. */
  lease(summary: EngineSubject, o: ProbeOptions): Promise<SshLease> {
    return this.monitor.lease(summary, o);
  }

  /** A dockerode client for the context's daemon (for ssh://, over the pooled connection). */
  docker(summary: EngineSubject, o: ProbeOptions): Promise<Dockerode> {
    return this.monitor.docker(summary, o);
  }

  /** Pooled connections made and lost (the ports forwarder re-arms on these). */
  onDidChangeConnection(listener: (e: ConnectionEvent) => void): vscode.Disposable {
    return this.monitor.onDidChangeConnection(listener);
  }

  /** Drops the pooled connection of an endpoint, so the next request logs in anew (server setup). */
  closeConnection(endpoint: string): void {
    this.monitor.closeConnection(endpoint);
  }

  /** The status bar's context became another daemon (or none). */
  onDidChangeStatusSubject(listener: (s: EngineSubject | undefined) => void): vscode.Disposable {
    return this.monitor.onDidChangeStatusSubject(listener);
  }

  /** The context whose daemon the status bar shows (undefined: none, or not probeable). */
  get statusSubject(): EngineSubject | undefined {
    return this.monitor.statusSubject;
  }

  private applySettings(): void {
    const previous = this.settingsValue;
    const next = readEngineSettings();
    this.settingsValue = next;
    if (previous.statusFormat !== next.statusFormat) {
      this.formatEmitter.fire();
    }
    if (previous.refreshIntervalMs !== next.refreshIntervalMs) {
      this.deps.logger.info(describeInterval(next.refreshIntervalMs));
    }
    this.monitor.configure(next);
  }

  dispose(): void {
    // Closes every SSH connection of the pool.
    this.monitor.dispose();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}

function describeInterval(ms: number): string {
  return ms > 0 ? `Status check every ${ms / 1000} s while the window is focused` : 'Periodic status check off';
}

/** For log lines and messages that name what a probe found. */
export function describeProbe(r: ProbeResult<EngineInfo>): string {
  return r.ok
    ? `${r.value.operatingSystem} ${r.value.architecture} (${r.value.platform})`
    : `${r.error.reason}: ${describeError(r.error)}`;
}
