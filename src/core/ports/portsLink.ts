/**
 * The connection side of one context's forwards: a lease on its pooled SSH connection and one
 * long-lived `/events` stream over it. When either ends (the connection dropped, sshd or dockerd
 * restarted) it leases again with backoff; failures that retrying will not heal (a host key, a
 * key that needs its passphrase…) are shown as `failed` and retried slowly. Connections accepted
 * while it is down wait a little for the next lease (currentLease).
 */
import type Dockerode from 'dockerode';
import { CoreError, describeError, isCancelled } from '../common/errors';
import type { Logger } from '../common/log';
import type { SshLease } from '../engine/enginePool';
import { openEvents, type EventStream } from './portsEngine';
import type { PortsSnapshot } from './portsTypes';

export interface PortsSubject {
  name: string;
  /**
   * What the connection is made to (e.g. the endpoint): following a subject of the same name
   * and key keeps its forwards; a changed key starts over. Optional; the name alone otherwise.
   */
  key?: string;
  lease(signal: AbortSignal): Promise<SshLease>;
  docker(signal: AbortSignal): Promise<Dockerode>;
}

export interface LinkOptions {
  logger: Logger;
  /** Backoff between reconnect attempts (ms); the last value repeats. */
  backoffMs?: readonly number[];
  /** How long an accepted connection waits for the connection to come back. */
  waitLeaseMs?: number;
  /** A new connection (or events stream) answered: list the containers; the stream is live after. */
  onUp: (docker: Dockerode) => Promise<void>;
  /** A relevant daemon event arrived. */
  onEvent: () => void;
  onStream: (s: PortsSnapshot['stream']) => void;
}

const BACKOFF_MS = [250, 500, 1_000, 2_000, 4_000, 8_000];
/** Failures that retrying soon will not heal. */
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
  /** The host is reached through the system ssh client, which cannot carry forwards. */
  'sshFeatureUnavailable',
]);
const LASTING_RETRY_MS = 30_000;

export class PortsLink {
  stream: PortsSnapshot['stream'] = { kind: 'idle' };
  docker: Dockerode | undefined;
  private lease: SshLease | undefined;
  /** True from the moment the events stream answered until the connection or stream ends. */
  private up = false;
  private waiters: (() => void)[] = [];

  constructor(
    readonly subject: PortsSubject,
    private readonly signal: AbortSignal,
    private readonly o: LinkOptions,
  ) {
    signal.addEventListener('abort', () => this.wake(), { once: true });
    void this.run();
  }

  /** The live lease, or the next one (waiting at most waitLeaseMs); undefined when none came. */
  currentLease(): Promise<SshLease | undefined> {
    if (this.up && this.lease) {
      return Promise.resolve(this.lease);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(undefined);
      }, this.o.waitLeaseMs ?? 15_000);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.signal.aborted ? undefined : this.lease);
      };
      this.waiters.push(wake);
    });
  }

  private async run(): Promise<void> {
    const signal = this.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let events: EventStream | undefined;
      let wait = this.backoff(attempt);
      try {
        this.lease = await this.subject.lease(signal);
        const docker = await this.subject.docker(signal);
        this.docker = docker;
        events = await openEvents(docker, signal, () => this.o.onEvent());
        this.up = true;
        this.wake();
        await this.o.onUp(docker);
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
        this.up = false;
        events?.close();
        this.lease?.release();
        this.lease = undefined;
      }
      await sleep(wait, signal);
    }
  }

  /** True while a lease is held (the number changes with each new SSH connection). */
  get generation(): number | undefined {
    return this.up ? this.lease?.generation : undefined;
  }

  private backoff(attempt: number): number {
    const steps = this.o.backoffMs ?? BACKOFF_MS;
    return steps[Math.min(attempt, steps.length - 1)] ?? 1_000;
  }

  private setStream(s: PortsSnapshot['stream']): void {
    this.stream = s;
    this.o.onStream(s);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) {
      f();
    }
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
