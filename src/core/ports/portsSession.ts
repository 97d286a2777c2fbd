/**
 * The forwards of ONE context: lists the running containers when its link (portsLink.ts: the
 * lease on the pooled SSH connection and the one `/events` stream) comes up and after each
 * relevant event (coalesced: one listing in flight, one more queued at most), keeps a loopback
 * listener per published port, and pipes each accepted connection through its own channel.
 * Listeners stay bound while the link reconnects, so the local ports stay the same.
 */
import type * as net from 'node:net';
import { CoreError, cancelledError, describeError } from '../common/errors';
import type { Logger } from '../common/log';
import { containerRef, manualRowId, publishedForwards, unpublishedPorts, type WantedForward } from './containerPorts';
import { ForwardEntry } from './forwardEntry';
import { pipeThrough } from './forwardPipe';
import { listenLoopback, LOOPBACK_HOSTS } from './localListener';
import { containerAddresses, listRunning, type ContainerSummary } from './portsEngine';
import { PortsLink, type PortsSubject } from './portsLink';
import type { PortsSnapshot } from './portsTypes';

export type { PortsSubject } from './portsLink';

export interface SessionOptions {
  logger: Logger;
  settings: () => { autoForward: boolean; ignorePorts: readonly number[] };
  changed: () => void;
  localHosts?: readonly string[];
  /** Backoff between reconnect attempts (ms); the last value repeats. */
  backoffMs?: readonly number[];
  /** How long an accepted connection waits for the connection to come back. */
  waitLeaseMs?: number;
}

export class PortsSession {
  readonly entries = new Map<string, ForwardEntry>();
  /** sshd refused a forward on the connection of this generation (AllowTcpForwarding no). */
  forbidden: { error: CoreError; generation: number | undefined } | undefined;
  private readonly ac = new AbortController();
  private readonly link: PortsLink;
  private lastList: ContainerSummary[] | undefined;
  private listing: Promise<void> | undefined;
  private listAgain = false;
  /** Rows the person stopped: they stay stopped when their container restarts (same id). */
  private readonly stoppedIds = new Set<string>();

  constructor(
    readonly subject: PortsSubject,
    private readonly o: SessionOptions,
  ) {
    this.link = new PortsLink(subject, this.ac.signal, {
      logger: o.logger,
      backoffMs: o.backoffMs,
      waitLeaseMs: o.waitLeaseMs,
      onUp: () => this.refreshNow(),
      onEvent: () => this.refresh(),
      onStream: () => o.changed(),
    });
  }

  get stream(): PortsSnapshot['stream'] {
    return this.link.stream;
  }

  /** The forbidden error while it holds: a new SSH connection (sshd_config fixed) tries again. */
  get forbiddenError(): CoreError | undefined {
    const f = this.forbidden;
    return f && f.generation === this.link.generation ? f.error : undefined;
  }

  get closed(): boolean {
    return this.ac.signal.aborted;
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.ac.abort();
    for (const e of this.entries.values()) {
      e.closed = true;
      e.shut(true);
    }
    this.entries.clear();
  }

  // --- listing ---------------------------------------------------------------------------------

  /** An event arrived: list again (at most one listing runs, one more waits). */
  refresh(): void {
    if (this.listing) {
      this.listAgain = true;
      return;
    }
    void this.refreshNow().catch((e: unknown) => {
      if (!this.closed) {
        this.o.logger.warn(`Ports of ${this.subject.name}: listing the containers failed`, describeError(e));
      }
    });
  }

  private async refreshNow(): Promise<void> {
    if (this.listing) {
      this.listAgain = true;
      return this.listing;
    }
    this.listing = (async () => {
      try {
        do {
          this.listAgain = false;
          const docker = this.link.docker;
          if (!docker || this.closed) {
            return;
          }
          const list = await listRunning(docker, this.ac.signal);
          this.lastList = list;
          await this.reconcile(list);
        } while (this.listAgain && !this.closed);
      } finally {
        this.listing = undefined;
      }
    })();
    return this.listing;
  }

  /** Settings changed: the last listing is applied again (no request). */
  reapply(): void {
    if (this.lastList) {
      void this.reconcile(this.lastList);
    }
  }

  // --- rows -----------------------------------------------------------------------------------

  private async reconcile(list: ContainerSummary[]): Promise<void> {
    const s = this.o.settings();
    const wanted = s.autoForward ? publishedForwards(list, s.ignorePorts) : [];
    const running = new Map(list.map((c) => [c.Id, containerRef(c)]));
    const keep = new Set(wanted.map((w) => w.id));
    for (const [id, e] of this.entries) {
      const still = e.origin === 'manual' ? running.has(e.container.id) : keep.has(id);
      if (!still) {
        e.closed = true;
        e.shut(false);
        this.entries.delete(id);
      } else {
        e.container = running.get(e.container.id) ?? e.container;
      }
    }
    const added: Promise<void>[] = [];
    for (const w of wanted) {
      if (!this.entries.has(w.id)) {
        added.push(this.add(w, 'published'));
      }
    }
    this.o.changed();
    await Promise.all(added);
  }

  private async add(w: WantedForward, origin: 'published' | 'manual'): Promise<void> {
    const e = new ForwardEntry(w.id, w.container, w.containerPort, w.remote, w.wantedPort, origin);
    this.entries.set(w.id, e);
    if (this.stoppedIds.has(w.id)) {
      e.stopped = true;
      this.o.changed();
      return;
    }
    await this.listen(e);
  }

  /** Binds the entry's listener: its last port first, else the wanted one, else the next free. */
  async listen(e: ForwardEntry): Promise<void> {
    const start = e.lastPort ?? e.wantedPort;
    let l = await listenLoopback(start, (s) => this.accept(e, s), this.o.localHosts ?? LOOPBACK_HOSTS);
    if (!l && start !== e.wantedPort) {
      l = await listenLoopback(e.wantedPort, (s) => this.accept(e, s), this.o.localHosts ?? LOOPBACK_HOSTS);
    }
    if (e.closed || e.stopped || this.closed) {
      l?.close();
      return;
    }
    e.listener?.close();
    e.listener = l;
    e.taken = l
      ? undefined
      : new CoreError('localPortTaken', `No local port from ${e.wantedPort} on is free.`, { port: e.wantedPort });
    if (l) {
      e.lastPort = l.port;
      this.o.logger.info(
        `Forwarding ${l.hosts.join(', ')} port ${l.port} to ${e.remote.host}:${e.remote.port} (${e.container.name})`,
      );
    } else {
      this.o.logger.warn(`Ports: ${e.taken?.message ?? ''}`);
    }
    this.o.changed();
  }

  private accept(e: ForwardEntry, socket: net.Socket): void {
    e.total++;
    e.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const done = (): void => {
      e.sockets.delete(socket);
      this.o.changed();
    };
    this.o.changed();
    void this.forward(e, socket, done);
  }

  private async forward(e: ForwardEntry, socket: net.Socket, done: () => void): Promise<void> {
    // While sshd forbids forwarding nothing is tried until the connection is made anew.
    const lease = this.forbiddenError ? undefined : await this.link.currentLease();
    if (!lease || e.closed || socket.destroyed) {
      socket.destroy();
      done();
      return;
    }
    const outcome = await pipeThrough(lease.client, socket, e.remote, done);
    if (outcome.kind === 'forbidden') {
      if (!this.forbiddenError) {
        this.o.logger.error(`Ports of ${this.subject.name}: ${outcome.error.message} (AllowTcpForwarding?)`);
      }
      this.forbidden = { error: outcome.error, generation: lease.generation };
      this.o.changed();
    } else if (outcome.kind === 'refused') {
      if (!e.refused) {
        this.o.logger.warn(`Ports: ${outcome.error.message} (${e.container.name})`);
      }
      e.refused = outcome.error;
      this.o.changed();
    } else if (outcome.kind === 'failed') {
      this.o.logger.debug(`Ports: ${outcome.error.message}`);
    } else if (outcome.kind === 'piped' && e.refused) {
      e.refused = undefined;
      this.o.changed();
    }
  }

  // --- actions --------------------------------------------------------------------------------

  stop(id: string): void {
    const e = this.entries.get(id);
    if (e && !e.stopped) {
      e.stopped = true;
      this.stoppedIds.add(id);
      e.shut(true);
      this.o.changed();
    }
  }

  async resume(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) {
      return;
    }
    e.stopped = false;
    this.stoppedIds.delete(id);
    e.refused = undefined;
    if (!e.listener) {
      await this.listen(e);
    }
    this.o.changed();
  }

  async unpublished(signal: AbortSignal | undefined): Promise<ReturnType<typeof unpublishedPorts>> {
    const docker = await this.subject.docker(this.both(signal));
    return unpublishedPorts(await listRunning(docker, this.both(signal)));
  }

  async forwardManual(containerId: string, port: number, signal: AbortSignal | undefined): Promise<ForwardEntry> {
    const s = this.both(signal);
    const docker = await this.subject.docker(s);
    const list = await listRunning(docker, s);
    const c = list.find((x) => x.Id === containerId || x.Id.startsWith(containerId));
    if (!c) {
      throw new CoreError('containerNotReachable', `Container ${containerId} is not running.`, {
        container: containerId,
      });
    }
    const ref = containerRef(c);
    const [ip] = await containerAddresses(docker, c.Id, s);
    if (!ip) {
      throw new CoreError('containerNotReachable', `Container ${ref.name} has no address.`, { container: ref.name });
    }
    const remote = { host: ip, port };
    const id = manualRowId(c.Id, remote, port);
    const existing = this.entries.get(id);
    if (existing) {
      await this.resume(id);
      return existing;
    }
    if (this.closed) {
      throw cancelledError();
    }
    await this.add({ id, container: ref, containerPort: port, remote, wantedPort: port }, 'manual');
    return this.entries.get(id) as ForwardEntry;
  }

  private both(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.ac.signal]) : this.ac.signal;
  }
}
