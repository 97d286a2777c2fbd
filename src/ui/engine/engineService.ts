import * as os from 'node:os';
import * as vscode from 'vscode';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import { parseEndpoint, type DockerEndpoint } from '../../core/contexts/endpoint';
import { EnginePool, type ConnectionEvent, type EngineInfo, type EngineTarget } from '../../core/engine/enginePool';
import { EngineProbeCache, type ProbeEntry, type ProbeResult } from '../../core/engine/engineProbeCache';
import { needsInteraction, silentPrompts, sshHostForEndpoint } from '../../core/engine/engineSshTarget';
import { isCalmFailure, localBuildPlatform } from '../../core/engine/engineStatusFormat';
import { CoreError, describeError, isCancelled } from '../../core/common/errors';
import { FocusAwareInterval } from '../../core/common/focusAwareInterval';
import type { Logger } from '../../core/common/log';
import { connectSsh, type SshConnection, type SshPrompts } from '../../core/ssh/connection';
import { currentSummary, type ContextsSnapshot } from '../contexts/contextsModel';
import type { ContextsService } from '../contexts/contextsService';
import { readEngineSettings, type EngineSettings } from './engineSettings';
import type { RefreshReason } from '../base/refreshManager';
import type { SettingsService } from '../base/settings';
import type { SshService } from '../sshHosts/sshService';
import type { EngineState, StatusBar } from './statusBar';

/** Lazy probes of the Docker Contexts view running at once. */
const PROBE_CONCURRENCY = 4;
/** A probe that may show a prompt waits for the person this long at most. */
const INTERACTIVE_LIMIT_MS = 10 * 60_000;

export interface EngineServiceDeps {
  readonly logger: Logger;
  readonly settings: SettingsService;
  readonly ssh: SshService;
  readonly contexts: ContextsService;
  readonly statusBar: StatusBar;
}

/** What a row of the Docker Contexts view shows about its daemon. */
export interface EngineRowState extends ProbeEntry<EngineInfo> {
  /** The failure is a normal state (no daemon behind a local socket). */
  calm: boolean;
  localPlatform: string;
}

/** Who started a probe: a person (may be asked things) or the background (never asks). */
export interface ProbeOptions {
  interactive: boolean;
  /**
   * The person asked to connect: key passphrases they declined earlier in this session are
   * asked for again (otherwise a declined key stays skipped, so reconnects do not nag).
   */
  askAgain?: boolean;
  signal?: AbortSignal;
}

/** What a connection attempt to an endpoint may do while a person waits for it. */
interface Interaction {
  prompts: SshPrompts;
  askAgain: boolean;
}

/** The probe cache key of a context: the same name with another endpoint is another daemon. */
export function engineKey(c: Pick<DockerContextSummary, 'name' | 'endpoint' | 'skipTLSVerify'>): string {
  return `${c.name}\n${c.endpoint}\n${c.skipTLSVerify ? 1 : 0}`;
}

function endpointOfKey(key: string): string {
  return key.split('\n')[1] ?? '';
}

function schemeOf(endpoint: string): DockerEndpoint['scheme'] | undefined {
  try {
    return parseEndpoint(endpoint).scheme;
  } catch {
    return undefined;
  }
}

/**
 * The daemon behind every context the UI shows. Owns the EnginePool (one SSH connection per
 * remote, reused), the probe cache shared by the status bar and the Docker Contexts view, and
 * the status refresh timer that runs only while the window is focused.
 *
 * Interactivity: probes a person started (a switch, Refresh, a command) may show the host-key
 * question and the passphrase box; background probes (the timer, a reconnect, the tree) never
 * do: what they would have asked becomes an error state whose action reruns the probe with
 * prompts. The pool makes at most one connection attempt per endpoint at a time, so the
 * prompts an attempt may use are looked up when it starts (`promptsFor`).
 */
export class EngineService implements vscode.Disposable {
  private poolValue: EnginePool;
  private poolSubscription: { dispose(): void };
  private readonly cache: EngineProbeCache<EngineInfo>;
  private settingsValue: EngineSettings;
  /** Interactive probes under way, per endpoint: a connection attempt for it may use the newest one's prompts. */
  private readonly interactive = new Map<string, Interaction[]>();
  /** The key the status bar shows. */
  private statusKey: string | undefined;
  private readonly timer: FocusAwareInterval;
  private readonly changeEmitter = new vscode.EventEmitter<string>();
  private readonly invalidateEmitter = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private disposed = false;
  private refreshCount = 0;
  /** The platform images built on this machine would have. */
  readonly localPlatform: string;
  /** A context's probe result changed (the key of `engineKey`). */
  readonly onDidChangeProbe = this.changeEmitter.event;
  /** Every result became stale (Refresh, a dropped connection): views should ask again for what they show. */
  readonly onDidInvalidate = this.invalidateEmitter.event;

  constructor(private readonly deps: EngineServiceDeps) {
    this.settingsValue = readEngineSettings();
    const arm = (process.config.variables as Record<string, unknown>).arm_version;
    this.localPlatform = localBuildPlatform(process.arch, {
      armVersion: typeof arm === 'string' || typeof arm === 'number' ? arm : undefined,
      endianness: os.endianness(),
    });
    this.cache = new EngineProbeCache<EngineInfo>({
      ttlMs: this.settingsValue.probeTtlMs,
      concurrency: PROBE_CONCURRENCY,
      // The pool's own deadline ends a probe first; this is the safety net.
      timeoutMs: this.settingsValue.requestTimeoutMs + 5_000,
      onDidChange: (key) => this.onProbeChanged(key),
    });
    this.poolValue = this.createPool();
    this.poolSubscription = this.poolValue.onDidChangeConnection((e) => this.onConnection(e));
    deps.statusBar.setFormat(this.settingsValue.statusFormat);
    deps.logger.info(describeInterval(this.settingsValue.refreshIntervalMs));
    this.timer = new FocusAwareInterval({
      intervalMs: this.settingsValue.refreshIntervalMs,
      focused: vscode.window.state.focused,
      // Nobody sees the result while the status item is hidden; a switch or Refresh still probes.
      tick: () =>
        deps.settings.current.statusBarEnabled ? this.refreshStatus({ interactive: false }, 'interval') : undefined,
    });
    this.subscriptions.push(
      this.changeEmitter,
      this.invalidateEmitter,
      vscode.window.onDidChangeWindowState((s) => {
        deps.logger.trace(
          `Window ${s.focused ? 'focused' : 'not focused'}: status refresh ${s.focused ? 'on' : 'paused'}`,
        );
        this.timer.setFocused(s.focused);
      }),
      deps.settings.onDidChange(() => this.applySettings()),
    );
  }

  get pool(): EnginePool {
    return this.poolValue;
  }

  /** Status refreshes so far (the memory benchmark counts them in the log). */
  get statusRefreshes(): number {
    return this.refreshCount;
  }

  // -- for the refresh manager -------------------------------------------------------------------

  /** After every reading of the context store: forget removed contexts; a new current context is probed now. */
  onContextsRefreshed(reasons: readonly RefreshReason[]): void {
    const snap = this.deps.contexts.peek();
    if (!snap) {
      return;
    }
    this.cache.retain(snap.contexts.filter((c) => !c.error && c.endpoint).map(engineKey));
    const summary = currentSummary(snap);
    const key = summary && !summary.error && summary.endpoint ? engineKey(summary) : undefined;
    if (key !== this.statusKey || key === undefined) {
      // A switch the person made in VS Code may ask; one made in a terminal (a file change) may not.
      const interactive = reasons.includes('afterChange') || reasons.includes('command');
      this.timer.reset();
      void this.refreshStatus({ interactive }, reasons.includes('activation') ? 'activation' : 'switch');
    }
  }

  /**
   * The `engine` scope: the Refresh command checks everything again (and may ask). Other
   * reasons ('all' at activation) find the status already probed by the contexts handler,
   * which runs first.
   */
  onEngineRefresh(reasons: readonly RefreshReason[]): void {
    if (reasons.includes('command')) {
      this.cache.invalidate();
      this.invalidateEmitter.fire();
      this.timer.reset();
      void this.refreshStatus({ interactive: true }, 'command');
    } else if (this.statusKey === undefined) {
      void this.refreshStatus({ interactive: false }, reasons.join(','));
    }
  }

  // -- status bar ----------------------------------------------------------------------------

  /** Probes the current context and shows the answer in the status bar; resolves with it (undefined when there is nothing to probe). */
  async refreshStatus(o: ProbeOptions, why: string): Promise<ProbeResult<EngineInfo> | undefined> {
    if (this.disposed) {
      return undefined;
    }
    const snap = this.deps.contexts.peek();
    const summary = snap ? currentSummary(snap) : undefined;
    if (!snap?.current || !summary || summary.error || !summary.endpoint) {
      this.statusKey = undefined;
      if (snap?.current) {
        this.deps.statusBar.setEngine(snap.current.name, { kind: 'unknown' });
      }
      return undefined;
    }
    const key = engineKey(summary);
    const changed = key !== this.statusKey;
    this.statusKey = key;
    const known = this.cache.peek(key)?.result;
    if (!known || (o.interactive && !known.ok)) {
      this.deps.statusBar.setEngine(summary.name, { kind: 'connecting' });
    } else if (changed) {
      this.deps.statusBar.setEngine(summary.name, this.stateOf(summary, known));
    }
    const started = performance.now();
    const r = await this.probe(summary, o, key);
    const n = ++this.refreshCount;
    this.deps.logger.debug(
      `Status refresh #${n} (${why}) of ${summary.name}: ${r.ok ? `${r.value.operatingSystem} · ${r.value.architecture}` : r.error.reason} in ${(performance.now() - started).toFixed(1)} ms`,
    );
    if (this.statusKey === key) {
      // A cancelled probe records nothing: show what the cache holds.
      const shown = this.cache.peek(key)?.result ?? r;
      this.deps.statusBar.setEngine(summary.name, this.stateOf(summary, shown));
    }
    return r;
  }

  // -- probes --------------------------------------------------------------------------------

  /** Probes a context now (joining a background probe under way unless interactive) and records the answer. */
  probe(summary: DockerContextSummary, o: ProbeOptions, key = engineKey(summary)): Promise<ProbeResult<EngineInfo>> {
    return this.cache.run(key, (signal) => this.status(summary, { ...o, signal: anySignal(signal, o.signal) }), {
      join: !o.interactive,
      ...(o.interactive ? { timeoutMs: INTERACTIVE_LIMIT_MS } : {}),
    });
  }

  /** For a row of the view: what is known, and a background probe queued when nothing fresh is. */
  rowState(summary: DockerContextSummary): EngineRowState {
    const entry = this.cache.request(engineKey(summary), (signal) =>
      this.status(summary, { interactive: false, signal }),
    );
    return this.rowOf(summary, entry);
  }

  /** What is known about a context without probing. */
  peekRow(summary: DockerContextSummary): EngineRowState | undefined {
    const entry = this.cache.peek(engineKey(summary));
    return entry ? this.rowOf(summary, entry) : undefined;
  }

  /** The status bar state for a probe result. */
  stateOf(summary: DockerContextSummary, r: ProbeResult<EngineInfo>): EngineState {
    if (r.ok) {
      return { kind: 'ok', info: r.value, localPlatform: this.localPlatform };
    }
    if (isCancelled(r.error)) {
      return { kind: 'unknown' };
    }
    const scheme = schemeOf(summary.endpoint);
    return {
      kind: 'error',
      reason: r.error.reason,
      details: r.error.details,
      calm: isCalmFailure(scheme, r.error.reason),
      interactive: needsInteraction(r.error),
      ssh: scheme === 'ssh',
      at: r.at,
    };
  }

  /** The Engine API target of a context (its TLS material where the store has some). */
  target(summary: DockerContextSummary): EngineTarget {
    return {
      contextName: summary.name,
      endpoint: summary.endpoint,
      skipTLSVerify: summary.skipTLSVerify,
      ...(summary.tlsPath !== undefined ? { tlsDir: summary.tlsPath } : {}),
    };
  }

  /**
   * `/info` and `/version` as the daemon sent them (for Show Remote Engine Info). Interactive:
   * the caller is a person, so the connection may ask.
   */
  async rawInfo(summary: DockerContextSummary, signal: AbortSignal): Promise<{ info: unknown; version: unknown }> {
    return this.withPrompts(summary.endpoint, signal, async () => {
      const docker = await this.poolValue.docker(this.target(summary), signal);
      // dockerode's typings know info() and version() without options; its code takes { abortSignal }.
      type WithOptions = (this: unknown, o: { abortSignal: AbortSignal }) => Promise<unknown>;
      const call = (m: unknown): Promise<unknown> => (m as WithOptions).call(docker, { abortSignal: signal });
      const [info, version] = await Promise.all([call(docker.info), call(docker.version)]);
      return { info, version };
    });
  }

  // -------------------------------------------------------------------------------------------

  /** One status call of the pool; an interactive one may ask, and retries once what a background attempt could not ask. */
  private async status(summary: DockerContextSummary, o: ProbeOptions): Promise<EngineInfo> {
    const target = this.target(summary);
    if (!o.interactive) {
      return this.poolValue.status(target, o.signal);
    }
    const signal = o.signal ?? new AbortController().signal;
    return this.withPrompts(summary.endpoint, signal, () => this.poolValue.status(target, signal), o.askAgain);
  }

  /**
   * Runs `fn` while connection attempts to the endpoint may ask a person. When it fails with
   * what only a prompt resolves (a background attempt that was already under way answered
   * for us), or ran out of time while a prompt was open, it runs once more: the attempt the
   * prompt belongs to goes on and the second call waits for it.
   */
  private async withPrompts<T>(
    endpoint: string,
    signal: AbortSignal,
    fn: () => Promise<T>,
    askAgain = false,
  ): Promise<T> {
    if (schemeOf(endpoint) !== 'ssh') {
      return fn();
    }
    const cts = new vscode.CancellationTokenSource();
    const onAbort = (): void => cts.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    const asked = { open: 0, any: false };
    const base = this.deps.ssh.prompts(cts.token);
    const track = <A extends unknown[], R>(
      f: ((...a: A) => Promise<R>) | undefined,
    ): ((...a: A) => Promise<R>) | undefined =>
      f &&
      (async (...a: A): Promise<R> => {
        asked.open++;
        asked.any = true;
        try {
          return await f(...a);
        } finally {
          asked.open--;
        }
      });
    const prompts: SshPrompts = {
      confirmHostKey: track(base.confirmHostKey?.bind(base)),
      passphrase: track(base.passphrase?.bind(base)),
    };
    const interaction: Interaction = { prompts, askAgain };
    const stack = this.interactive.get(endpoint) ?? [];
    stack.push(interaction);
    this.interactive.set(endpoint, stack);
    try {
      for (let attempt = 1; ; attempt++) {
        const askedBefore = asked.any;
        try {
          return await fn();
        } catch (e) {
          const waitedForPerson = CoreError.is(e, 'timeout') && (asked.open > 0 || asked.any !== askedBefore);
          const retry =
            !signal.aborted && attempt < 3 && ((attempt === 1 && needsInteraction(e) && !asked.any) || waitedForPerson);
          if (!retry) {
            throw e;
          }
          this.deps.logger.debug(`engine ${endpoint}: trying again with prompts after ${(e as CoreError).reason}`);
        }
      }
    } finally {
      const i = stack.indexOf(interaction);
      if (i >= 0) {
        stack.splice(i, 1);
      }
      if (stack.length === 0) {
        this.interactive.delete(endpoint);
      }
      signal.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }

  /** The pool's way to an ssh:// endpoint: the SSH configuration, the user's settings, and prompts only for a person. */
  private async connect(endpoint: DockerEndpoint, signal: AbortSignal): Promise<SshConnection> {
    const interaction = this.interactive.get(endpoint.raw)?.at(-1);
    const prompts = interaction?.prompts;
    const silent = prompts ? undefined : silentPrompts();
    const resolved = await this.deps.ssh.resolve(endpoint.host ?? '', signal);
    const host = sshHostForEndpoint(resolved, endpoint);
    if (interaction?.askAgain) {
      for (const file of host.identityFiles) {
        if (this.deps.ssh.passphrases.isDeclined(file)) {
          this.deps.ssh.passphrases.delete(file);
        }
      }
    }
    this.deps.logger.debug(
      `engine ${endpoint.raw}: connecting to ${host.user}@${host.hostname}:${host.port}${prompts ? '' : ' (in the background: no prompts)'}`,
    );
    try {
      return await connectSsh({
        ...this.deps.ssh.connectOptions(host, { signal, prompts: prompts ?? silent?.prompts }),
        // The host's own ServerAliveInterval wins, as with ssh; the setting covers the others.
        ...(host.serverAliveInterval ? {} : { keepaliveIntervalMs: this.settingsValue.keepaliveIntervalMs }),
      });
    } catch (e) {
      throw silent ? silent.explain(e) : e;
    }
  }

  private createPool(): EnginePool {
    return new EnginePool({
      connect: (endpoint, signal) => this.connect(endpoint, signal),
      requestTimeoutMs: this.settingsValue.requestTimeoutMs,
      idleTimeoutMs: this.settingsValue.idleTimeoutMs,
      logger: this.deps.logger,
    });
  }

  /** A connection that died makes every answer about its endpoint stale; the status bar asks at once. */
  private onConnection(e: ConnectionEvent): void {
    if (e.state !== 'disconnected' || !e.error || this.disposed) {
      return;
    }
    this.deps.logger.info(`engine ${e.endpoint}: connection lost (${e.error.reason}), checking again`);
    for (const key of this.cache.keys()) {
      if (endpointOfKey(key) === e.endpoint) {
        this.cache.invalidate(key);
      }
    }
    this.invalidateEmitter.fire();
    if (this.statusKey && endpointOfKey(this.statusKey) === e.endpoint) {
      void this.refreshStatus({ interactive: false }, 'connection');
    }
  }

  private onProbeChanged(key: string): void {
    if (this.disposed) {
      return;
    }
    this.changeEmitter.fire(key);
    // A row's probe of the current context also brings the status bar up to date.
    const snap = this.deps.contexts.peek();
    const summary = snap ? currentSummary(snap) : undefined;
    const result = this.cache.peek(key)?.result;
    if (key === this.statusKey && summary && engineKey(summary) === key && result) {
      this.deps.statusBar.setEngine(summary.name, this.stateOf(summary, result));
    }
  }

  private rowOf(summary: DockerContextSummary, entry: ProbeEntry<EngineInfo>): EngineRowState {
    const r = entry.result;
    return {
      ...entry,
      calm: !!r && !r.ok && isCalmFailure(schemeOf(summary.endpoint), r.error.reason),
      localPlatform: this.localPlatform,
    };
  }

  private applySettings(): void {
    const previous = this.settingsValue;
    const next = readEngineSettings();
    this.settingsValue = next;
    this.deps.statusBar.setFormat(next.statusFormat);
    if (previous.refreshIntervalMs !== next.refreshIntervalMs) {
      this.deps.logger.info(describeInterval(next.refreshIntervalMs));
    }
    this.timer.setIntervalMs(next.refreshIntervalMs);
    this.cache.configure({ ttlMs: next.probeTtlMs, timeoutMs: next.requestTimeoutMs + 5_000 });
    if (previous.requestTimeoutMs !== next.requestTimeoutMs || previous.idleTimeoutMs !== next.idleTimeoutMs) {
      // The pool takes its deadlines at construction: a new one (its connections are made again on the next request).
      this.deps.logger.info('Engine settings changed: reconnecting with the new time limits');
      this.poolSubscription.dispose();
      this.poolValue.dispose();
      this.poolValue = this.createPool();
      this.poolSubscription = this.poolValue.onDidChangeConnection((e) => this.onConnection(e));
      this.cache.invalidate();
      this.invalidateEmitter.fire();
      void this.refreshStatus({ interactive: false }, 'settings');
    }
  }

  dispose(): void {
    this.disposed = true;
    this.timer.dispose();
    this.cache.dispose();
    this.poolSubscription.dispose();
    // Closes every SSH connection of the pool.
    this.poolValue.dispose();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}

function describeInterval(ms: number): string {
  return ms > 0 ? `Status check every ${ms / 1000} s while the window is focused` : 'Periodic status check off';
}

/** A signal that fires when either does (the probe's time limit, the caller's cancel). */
function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  if (!b) {
    return a;
  }
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  if (a.aborted || b.aborted) {
    ac.abort();
  } else {
    a.addEventListener('abort', abort, { once: true });
    b.addEventListener('abort', abort, { once: true });
  }
  return ac.signal;
}

/** For log lines and messages that name what a probe found. */
export function describeProbe(r: ProbeResult<EngineInfo>): string {
  return r.ok
    ? `${r.value.operatingSystem} ${r.value.architecture} (${r.value.platform})`
    : `${r.error.reason}: ${describeError(r.error)}`;
}

/** Context summaries a snapshot holds by name (the commands' fallback when an argument is only a name). */
export function summaryByName(snap: ContextsSnapshot, name: string): DockerContextSummary | undefined {
  return snap.contexts.find((c) => c.name === name);
}
