/**
 * The daemons behind the contexts the UI shows, kept up to date: owns the EnginePool (one SSH
 * connection per remote, reused), the view model of every daemon (EngineStates), and the
 * status check of the context `docker` uses, periodic while the window is focused and sooner
 * after a failure (1, 2, 4, 8 s, then the interval).
 *
 * Interactivity: probes a person started may show the host-key question and the passphrase
 * box; background probes (the timer, a reconnect, the tree) never do: what they would have
 * asked becomes a failed state whose action reruns the probe with prompts.
 */
import { isCancelled } from '../common/errors';
import { FocusAwareInterval } from '../common/focusAwareInterval';
import type { Logger } from '../common/log';
import type { DockerEndpoint } from '../contexts/endpoint';
import type { SshConnection, SshPrompts } from '../ssh/connection';
import type { SystemSshTarget } from './systemSshLink';
import type { KeyValueStore } from './engineFactsMemory';
import { FactsMemory } from './engineFactsMemory';
import type { EngineInfo } from './engineInfo';
import { engineKey, sameKey } from './engineKey';
import type Dockerode from 'dockerode';
import { EnginePool, type ConnectionEvent, type EngineTarget, type SshLease } from './enginePool';
import type { ProbeResult } from './engineProbeCache';
import { EngineInteractions, type Interaction } from './engineInteractions';
import { EngineStates } from './engineStates';

/** Lazy probes of the Docker Contexts view running at once. */
const PROBE_CONCURRENCY = 4;
/** A probe that may show a prompt waits for the person this long at most. */
const INTERACTIVE_LIMIT_MS = 10 * 60_000;
/** The pool's own deadline ends a probe first; this is the safety net. */
const PROBE_MARGIN_MS = 5_000;

/** A context as the monitor needs it: its key, and what its Engine API target is made of. */
export interface EngineSubject {
  readonly name: string;
  readonly endpoint: string;
  readonly skipTLSVerify: boolean;
  readonly hasTls: boolean;
  /** The folder of ca.pem / cert.pem / key.pem when `hasTls` (the context store's `tlsPath`). */
  readonly tlsPath?: string;
}

export interface EngineMonitorSettings {
  /** 0 = no periodic status check. */
  readonly refreshIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly probeTtlMs: number;
}

export interface EngineMonitorOptions {
  /** An SSH connection for the pool; `interaction` is set while a person waits (prompts allowed). */
  connect(
    endpoint: DockerEndpoint,
    signal: AbortSignal,
    interaction: Interaction | undefined,
  ): Promise<SshConnection | SystemSshTarget>;
  /** Prompts for a person's probe, cancelled when the signal fires. */
  prompts(signal: AbortSignal): SshPrompts;
  /** The Engine API target of a context (TLS material from the store). */
  target(subject: EngineSubject): EngineTarget;
  settings: EngineMonitorSettings;
  focused: boolean;
  /** Where the last known facts persist across sessions. */
  memory?: KeyValueStore;
  /** False while nobody sees the status: the periodic check skips (a switch or Refresh still probes). */
  statusVisible?: () => boolean;
  logger: Logger;
  /** Waits after failures in a row (tests pass their own). */
  retryDelaysMs?: readonly number[];
  now?: () => number;
}

/** Who started a probe: a person (may be asked things) or the background (never asks). */
export interface ProbeOptions {
  interactive: boolean;
  /** The person asked to connect: key passphrases they declined earlier are asked for again. */
  askAgain?: boolean;
  signal?: AbortSignal;
}

export class EngineMonitor {
  readonly states: EngineStates;
  private pool: EnginePool;
  private poolSubscription: { dispose(): void };
  private settings: EngineMonitorSettings;
  private readonly interactions: EngineInteractions;
  private readonly timer: FocusAwareInterval;
  /** The context the status shows. */
  private status: EngineSubject | undefined;
  private refreshes = 0;
  private disposed = false;
  private readonly connectionListeners = new Set<(e: ConnectionEvent) => void>();
  private readonly subjectListeners = new Set<(s: EngineSubject | undefined) => void>();

  constructor(private readonly o: EngineMonitorOptions) {
    this.settings = o.settings;
    this.interactions = new EngineInteractions(o.logger);
    this.states = new EngineStates({
      ttlMs: o.settings.probeTtlMs,
      concurrency: PROBE_CONCURRENCY,
      timeoutMs: o.settings.requestTimeoutMs + PROBE_MARGIN_MS,
      memory: new FactsMemory(o.memory),
      now: o.now,
      onMemoryError: (e) => o.logger.warn(`Could not keep the last known engine facts: ${String(e)}`),
    });
    this.pool = this.createPool();
    this.poolSubscription = this.pool.onDidChangeConnection((e) => this.onConnection(e));
    this.timer = new FocusAwareInterval({
      intervalMs: o.settings.refreshIntervalMs,
      focused: o.focused,
      retryDelaysMs: o.retryDelaysMs,
      now: o.now,
      tick: async () => {
        if (o.statusVisible && !o.statusVisible()) {
          return undefined;
        }
        const r = await this.checkStatus({ interactive: false }, 'interval', true);
        return r === undefined || r.ok;
      },
    });
  }

  /** The context whose daemon the status shows. */
  get statusSubject(): EngineSubject | undefined {
    return this.status;
  }

  /**
   * The status subject changed to another daemon (a switch; later, this workspace's own
   * context). Features that follow "the daemon this window talks to" (ports, diagnostics)
   * listen here and read statusSubject.
   */
  onDidChangeStatusSubject(listener: (s: EngineSubject | undefined) => void): { dispose(): void } {
    this.subjectListeners.add(listener);
    return { dispose: () => this.subjectListeners.delete(listener) };
  }

  /**
   * The context `docker` uses now (after every reading of the store). A different one is
   * probed at once; `interactive` when the person switched in VS Code (a terminal's switch may not ask).
   */
  showStatusOf(subject: EngineSubject | undefined, o: { interactive: boolean; why: string }): void {
    const changed = !sameKey(subject && engineKey(subject), this.status && engineKey(this.status));
    this.status = subject;
    if (changed) {
      for (const l of [...this.subjectListeners]) {
        l(subject);
      }
    }
    if (changed && subject) {
      this.timer.reset();
      void this.refreshStatus({ interactive: o.interactive }, o.why);
    }
  }

  /** Forgets every context not in the list (here and in the persisted facts). */
  retain(subjects: readonly EngineSubject[]): void {
    this.states.retain(subjects.map(engineKey));
  }

  /** Refresh: everything is checked again, the status now (a person asked: it may ask too). */
  refreshAll(): Promise<ProbeResult<EngineInfo> | undefined> {
    this.states.invalidate();
    this.timer.reset();
    return this.refreshStatus({ interactive: true }, 'command');
  }

  /** Probes the status context now; resolves with the answer (undefined when there is nothing to probe). */
  refreshStatus(o: ProbeOptions, why: string): Promise<ProbeResult<EngineInfo> | undefined> {
    return this.checkStatus(o, why, false);
  }

  private async checkStatus(
    o: ProbeOptions,
    why: string,
    byTimer: boolean,
  ): Promise<ProbeResult<EngineInfo> | undefined> {
    const subject = this.status;
    if (this.disposed || !subject) {
      return undefined;
    }
    const started = performance.now();
    const r = await this.probe(subject, o);
    const n = ++this.refreshes;
    this.o.logger.debug(
      `Status refresh #${n} (${why}) of ${subject.name}: ${r.ok ? `${r.value.operatingSystem} · ${r.value.architecture}` : r.error.reason} in ${(performance.now() - started).toFixed(1)} ms`,
    );
    if (!byTimer && !(!r.ok && isCancelled(r.error)) && this.status === subject) {
      // Outside the timer's own ticks: a failure starts the short backoff, a success ends it.
      this.timer.noteResult(r.ok);
    }
    return r;
  }

  /** Probes a context now (joining a background probe under way unless interactive) and records the answer. */
  probe(subject: EngineSubject, o: ProbeOptions): Promise<ProbeResult<EngineInfo>> {
    return this.states.run(
      engineKey(subject),
      (signal) => this.statusCall(subject, { ...o, signal: o.signal ? AbortSignal.any([signal, o.signal]) : signal }),
      { person: o.interactive, ...(o.interactive ? { timeoutMs: INTERACTIVE_LIMIT_MS } : {}) },
    );
  }

  /** For a row of the view: the state, and a background probe queued when nothing fresh is known. */
  request(subject: EngineSubject): void {
    this.states.request(engineKey(subject), (signal) => this.statusCall(subject, { interactive: false, signal }));
  }

  /** `/info` and `/version` as the daemon sent them; a person asked, so the connection may ask. */
  async rawInfo(subject: EngineSubject, signal: AbortSignal): Promise<{ info: unknown; version: unknown }> {
    // Through the pool's bounded reader, not dockerode: dockerode buffers an answer of any size.
    return this.withPrompts(subject.endpoint, { signal, askAgain: false }, () =>
      this.pool.rawInfo(this.o.target(subject), signal),
    );
  }

  /**
   * A hold on the pooled SSH connection of an ssh:// context (ports, SFTP, remote commands);
   * `interactive` lets the connection ask (passphrase, host key). Release it when done.
   */
  lease(subject: EngineSubject, o: ProbeOptions): Promise<SshLease> {
    const target = this.o.target(subject);
    if (!o.interactive) {
      return this.pool.lease(target, o.signal);
    }
    const signal = o.signal ?? new AbortController().signal;
    return this.withPrompts(subject.endpoint, { signal, askAgain: !!o.askAgain }, () =>
      this.pool.lease(target, signal),
    );
  }

  /** A dockerode client for the context's daemon (for ssh://, over the pooled connection). */
  docker(subject: EngineSubject, o: ProbeOptions): Promise<Dockerode> {
    const target = this.o.target(subject);
    if (!o.interactive) {
      return this.pool.docker(target, o.signal);
    }
    const signal = o.signal ?? new AbortController().signal;
    return this.withPrompts(subject.endpoint, { signal, askAgain: !!o.askAgain }, () =>
      this.pool.docker(target, signal),
    );
  }

  /**
   * Every pooled connection made or closed (with the error when it died), across pool
   * replacements. A settings change closes the old pool's connections without an event here:
   * lease holders learn it from their lease's `closed`.
   */
  onDidChangeConnection(listener: (e: ConnectionEvent) => void): { dispose(): void } {
    this.connectionListeners.add(listener);
    return { dispose: () => this.connectionListeners.delete(listener) };
  }

  /**
   * Drops the pooled connection of one endpoint (the next request logs in again: after a change
   * on the host a new login picks up, such as a new group). Its state is asked again.
   */
  closeConnection(endpoint: string): void {
    this.pool.close(endpoint);
    this.states.invalidate(endpoint);
  }

  setFocused(focused: boolean): void {
    this.timer.setFocused(focused);
  }

  /** New settings; new time limits make a new pool (its connections are made again on the next request). */
  configure(next: EngineMonitorSettings): void {
    const previous = this.settings;
    this.settings = next;
    this.timer.setIntervalMs(next.refreshIntervalMs);
    this.states.configure({ ttlMs: next.probeTtlMs, timeoutMs: next.requestTimeoutMs + PROBE_MARGIN_MS });
    if (previous.requestTimeoutMs !== next.requestTimeoutMs || previous.idleTimeoutMs !== next.idleTimeoutMs) {
      this.o.logger.info('Engine settings changed: reconnecting with the new time limits');
      this.poolSubscription.dispose();
      this.pool.dispose();
      this.pool = this.createPool();
      this.poolSubscription = this.pool.onDidChangeConnection((e) => this.onConnection(e));
      this.states.invalidate();
      void this.refreshStatus({ interactive: false }, 'settings');
    }
  }

  /** SSH connections the pool made so far (tests count reconnects). */
  get connectsTotal(): number {
    return this.pool.stats().connectsTotal;
  }

  dispose(): void {
    this.disposed = true;
    this.timer.dispose();
    this.states.dispose();
    this.poolSubscription.dispose();
    this.connectionListeners.clear();
    this.subjectListeners.clear();
    // Closes every SSH connection of the pool.
    this.pool.dispose();
  }

  // -------------------------------------------------------------------------------------------

  /** One status call of the pool; an interactive one may ask, and retries once what a background attempt could not ask. */
  private statusCall(subject: EngineSubject, o: ProbeOptions & { signal: AbortSignal }): Promise<EngineInfo> {
    const target = this.o.target(subject);
    if (!o.interactive) {
      return this.pool.status(target, o.signal);
    }
    return this.withPrompts(subject.endpoint, { signal: o.signal, askAgain: !!o.askAgain }, () =>
      this.pool.status(target, o.signal),
    );
  }

  private withPrompts<T>(
    endpoint: string,
    o: { signal: AbortSignal; askAgain: boolean },
    fn: () => Promise<T>,
  ): Promise<T> {
    if (!/^ssh:/i.test(endpoint)) {
      return fn();
    }
    return this.interactions.run(endpoint, { ...o, prompts: this.o.prompts(o.signal) }, fn);
  }

  private createPool(): EnginePool {
    return new EnginePool({
      connect: (endpoint, signal) => this.o.connect(endpoint, signal, this.interactions.current(endpoint.raw)),
      requestTimeoutMs: this.settings.requestTimeoutMs,
      idleTimeoutMs: this.settings.idleTimeoutMs,
      logger: this.o.logger,
    });
  }

  /** A connection that died makes every answer about its endpoint stale; the status asks at once, then backs off. */
  private onConnection(e: ConnectionEvent): void {
    for (const l of [...this.connectionListeners]) {
      try {
        l(e);
      } catch (err) {
        this.o.logger.error(`engine: a connection listener failed: ${String(err)}`);
      }
    }
    if (e.state !== 'disconnected' || !e.error || this.disposed) {
      return;
    }
    this.o.logger.info(`engine ${e.endpoint}: connection lost (${e.error.reason}), checking again`);
    this.states.invalidate(e.endpoint);
    if (this.status?.endpoint === e.endpoint) {
      void this.refreshStatus({ interactive: false }, 'connection');
    }
  }
}
