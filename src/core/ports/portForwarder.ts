/**
 * The ports forwarder: every TCP port a running container publishes on the remote daemon of the
 * context this window talks to answers on this machine's loopback (same port number when free,
 * else the next), piped through `direct-tcpip` channels of the pooled SSH connection. One
 * session per followed context (portsSession.ts); this class switches between them, holds the
 * settings and gives the view snapshots and actions. Nothing here knows about VS Code.
 */
import { CoreError } from '../common/errors';
import type { Logger } from '../common/log';
import { PortsSession, type PortsSubject } from './portsSession';
import type { ContainerRef, ForwardRow, PortsSnapshot } from './portsTypes';

export type { PortsSubject } from './portsSession';

export interface PortsSettings {
  /** Forward every published TCP port by itself; when false only "Forward a Port…" rows exist. */
  autoForward: boolean;
  /** Published (remote) port numbers never forwarded automatically. */
  ignorePorts: readonly number[];
}

export interface PortForwarderOptions {
  logger: Logger;
  settings: PortsSettings;
  /** Test hooks: the loopback addresses listened on, reconnect backoff, wait for a returning connection. */
  localHosts?: readonly string[];
  backoffMs?: readonly number[];
  waitLeaseMs?: number;
}

export class PortForwarder {
  private settings: PortsSettings;
  private session: PortsSession | undefined;
  private readonly listeners = new Set<(s: PortsSnapshot) => void>();
  private emitQueued = false;
  private disposed = false;

  constructor(private readonly o: PortForwarderOptions) {
    this.settings = { ...o.settings, ignorePorts: [...o.settings.ignorePorts] };
  }

  /**
   * Follows the context this window talks to. The same context again (same name and key) keeps
   * its forwards, unless its session failed for good (`stream.kind === 'failed'`, e.g. a key
   * that needs its passphrase), which starts it again; another one (or undefined) closes every
   * listener and channel of the old one first.
   */
  follow(subject: PortsSubject | undefined): void {
    if (this.disposed) {
      return;
    }
    const current = this.session;
    if (
      current &&
      subject &&
      current.subject.name === subject.name &&
      current.subject.key === subject.key &&
      current.stream.kind !== 'failed'
    ) {
      return;
    }
    current?.close();
    this.session = subject
      ? new PortsSession(subject, {
          logger: this.o.logger,
          settings: () => this.settings,
          changed: () => this.changed(),
          localHosts: this.o.localHosts,
          backoffMs: this.o.backoffMs,
          waitLeaseMs: this.o.waitLeaseMs,
        })
      : undefined;
    this.changed();
  }

  configure(settings: PortsSettings): void {
    this.settings = { ...settings, ignorePorts: [...settings.ignorePorts] };
    this.session?.reapply();
    this.changed();
  }

  snapshot(): PortsSnapshot {
    const s = this.session;
    const rows = s ? [...s.entries.values()].map((e) => e.toRow(s.forbiddenError)) : [];
    rows.sort(
      (a, b) =>
        a.container.name.localeCompare(b.container.name) ||
        a.remote.port - b.remote.port ||
        a.containerPort - b.containerPort ||
        a.id.localeCompare(b.id),
    );
    return {
      context: s?.subject.name,
      auto: this.settings.autoForward,
      stream: s ? s.stream : { kind: 'idle' },
      rows,
    };
  }

  /** Called with a fresh snapshot after changes (coalesced: at most once per turn of the event loop). */
  onDidChange(listener: (s: PortsSnapshot) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Stop Forwarding: closes the row's listener and its open connections; the row stays. */
  stop(rowId: string): void {
    this.session?.stop(rowId);
  }

  /** Forward Again: listens again (on the port it had, when still free). */
  async resume(rowId: string): Promise<void> {
    await this.session?.resume(rowId);
  }

  /** Exposed-but-not-published TCP ports of the running containers, for "Forward a Port…". */
  async unpublished(signal?: AbortSignal): Promise<{ container: ContainerRef; ports: number[] }[]> {
    return this.need().unpublished(signal);
  }

  /**
   * Forwards a port the container does not publish, through its address on its (first) network
   * as the remote side reaches it. The row stays while the container runs.
   */
  async forwardManual(containerId: string, containerPort: number, signal?: AbortSignal): Promise<ForwardRow> {
    if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) {
      throw new CoreError('internal', `Not a port number: ${containerPort}`);
    }
    const s = this.need();
    const e = await s.forwardManual(containerId, containerPort, signal);
    this.changed();
    return e.toRow(s.forbiddenError);
  }

  dispose(): void {
    this.disposed = true;
    this.session?.close();
    this.session = undefined;
    this.listeners.clear();
  }

  private need(): PortsSession {
    if (!this.session) {
      throw new CoreError('portsNoContext', 'No ssh:// context is followed.');
    }
    return this.session;
  }

  private changed(): void {
    if (this.emitQueued || this.disposed) {
      return;
    }
    this.emitQueued = true;
    setImmediate(() => {
      this.emitQueued = false;
      if (this.disposed) {
        return;
      }
      const snap = this.snapshot();
      for (const l of [...this.listeners]) {
        try {
          l(snap);
        } catch (e) {
          this.o.logger.error(e instanceof Error ? e : String(e));
        }
      }
    });
  }
}
