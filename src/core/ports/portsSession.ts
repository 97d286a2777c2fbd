/**
 * The forwards of ONE context: holds a lease on its pooled SSH connection, follows the daemon
 * through one long-lived `/events` stream (no polling), lists the running containers at start
 * and after each relevant event (coalesced: one listing in flight, one more queued at most),
 * and keeps a local listener per published port. After the connection drops it re-leases with
 * backoff while the listeners stay bound (same local ports); connections accepted meanwhile
 * wait a little for the new lease.
 */
import type * as net from 'node:net';
import type Dockerode from 'dockerode';
import { CoreError, cancelledError, describeError, isCancelled } from '../common/errors';
import type { Logger } from '../common/log';
import type { SshLease } from '../engine/enginePool';
import { containerRef, manualRowId, publishedForwards, unpublishedPorts, type WantedForward } from './containerPorts';
import { ForwardEntry } from './forwardEntry';
import { pipeThrough } from './forwardPipe';
import { listenLoopback, LOOPBACK_HOSTS } from './localListener';
import { containerAddresses, listRunning, openEvents, type ContainerSummary, type EventStream } from './portsEngine';
import type { PortsSnapshot } from './portsTypes';

export interface PortsSubject {
  name: string;
  lease(signal: AbortSignal): Promise<SshLease>;
  docker(signal: AbortSignal): Promise<Dockerode>;
}

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

const BACKOFF_MS = [250, 500, 1_000, 2_000, 4_000, 8_000];
/** Failures that retrying soon will not heal: shown as `failed`, retried slowly. */
const LASTING = new Set([
  'hostKeyUnknown',
  'hostKeyChanged',
  'hostKeyRevoked',
  'hostKeyRejected',
  'authFailed',
  'keyPassphraseRequired',
  'keyPassphraseWrong',
  'keyPermissions',
  'keyInvalid',
  'sshHostNotFound',
  'sshConfigUnparsable',
  'endpointInvalid',
  'dockerSocketPermission',
]);
const LASTING_RETRY_MS = 30_000;

export class PortsSession {
  readonly entries = new Map<string, ForwardEntry>();
  stream: PortsSnapshot['stream'] = { kind: 'idle' };
  forbidden: CoreError | undefined;
  private readonly ac = new AbortController();
  private lease: SshLease | undefined;
  private docker: Dockerode | undefined;
  /** True from the moment the events stream answered until the connection or stream ends. */
  private leaseLive = false;
  private leaseWaiters: (() => void)[] = [];
  private lastList: ContainerSummary[] | undefined;
  private listing: Promise<void> | undefined;
  private listAgain = false;

  constructor(
    readonly subject: PortsSubject,
    private readonly o: SessionOptions,
  ) {
    void this.run();
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
    this.wakeWaiters();
  }

  // --- the connection and the events stream -------------------------------------------------

  private async run(): Promise<void> {
    const signal = this.ac.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let events: EventStream | undefined;
      let wait = this.backoff(attempt);
      try {
        this.lease = await this.subject.lease(signal);
        this.forbidden = undefined;
        this.docker = await this.subject.docker(signal);
        events = await openEvents(this.docker, signal, () => this.refresh());
        this.leaseLive = true;
        this.wakeWaiters();
        await this.refreshNow();
        this.setStream({ kind: 'live' });
        attempt = 0;
        const end = await Promise.race([this.lease.closed, events.done]);
        if (signal.aborted) {
          break;
        }
        this.o.logger.info(
          `Ports of ${this.subject.name}: the connection or the events stream ended`,
          describeError(end ?? 'closed'),
        );
        this.setStream(end instanceof CoreError ? { kind: 'reconnecting', error: end } : { kind: 'reconnecting' });
        wait = this.backoff(0);
      } catch (e) {
        if (signal.aborted) {
          break;
        }
        const error = e instanceof CoreError ? e : new CoreError('connectionLost', describeError(e));
        const lasting = LASTING.has(error.reason) && !isCancelled(error);
        this.o.logger.warn(`Ports of ${this.subject.name}: ${describeError(error)}`);
        this.setStream(lasting ? { kind: 'failed', error } : { kind: 'reconnecting', error });
        wait = lasting ? LASTING_RETRY_MS : wait;
        attempt++;
      } finally {
        this.leaseLive = false;
        events?.close();
        this.lease?.release();
        this.lease = undefined;
      }
      await sleep(wait, signal);
    }
    this.lease?.release();
    this.lease = undefined;
  }

  private backoff(attempt: number): number {
    const steps = this.o.backoffMs ?? BACKOFF_MS;
    return steps[Math.min(attempt, steps.length - 1)] ?? 1_000;
  }

  private setStream(s: PortsSnapshot['stream']): void {
    this.stream = s;
    this.o.changed();
  }

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
          const docker = this.docker;
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
    const lease = this.forbidden ? undefined : await this.currentLease();
    if (!lease || e.closed || socket.destroyed) {
      socket.destroy();
      done();
      return;
    }
    const outcome = await pipeThrough(lease.client, socket, e.remote, done);
    if (outcome.kind === 'forbidden') {
      if (!this.forbidden) {
        this.o.logger.error(`Ports of ${this.subject.name}: ${outcome.error.message} (AllowTcpForwarding?)`);
      }
      this.forbidden = outcome.error;
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

  /** The live lease, or the next one (waiting at most waitLeaseMs). */
  private currentLease(): Promise<SshLease | undefined> {
    if (this.leaseLive && this.lease) {
      return Promise.resolve(this.lease);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.leaseWaiters = this.leaseWaiters.filter((w) => w !== wake);
        resolve(undefined);
      }, this.o.waitLeaseMs ?? 15_000);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.closed ? undefined : this.lease);
      };
      this.leaseWaiters.push(wake);
    });
  }

  private wakeWaiters(): void {
    const w = this.leaseWaiters;
    this.leaseWaiters = [];
    for (const f of w) {
      f();
    }
  }

  // --- actions --------------------------------------------------------------------------------

  stop(id: string): void {
    const e = this.entries.get(id);
    if (e && !e.stopped) {
      e.stopped = true;
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
