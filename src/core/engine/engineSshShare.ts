/**
 * One SSH connection per SSH endpoint. Contexts whose ssh:// URLs differ only in the socket path
 * (two daemons on one host, rootless next to rootful) log in to the same place, so they share the
 * login: a switch between them opens a channel on the live connection instead of logging in again
 * (at 50 ms RTT about nine round trips fewer). The connection is resolved and made once, from the
 * URL without its path (user, host, port: all the SSH configuration is looked up by), and held by
 * every endpoint that uses it; it closes when the last one lets go, or at once when one endpoint
 * is closed on purpose (a new login is what the caller wants, and it is the same login for all).
 *
 * Connections through the system's ssh client are not held here: each endpoint runs its own
 * processes, which OpenSSH's ControlMaster already multiplexes per host.
 */
import { cancelledError } from '../common/errors';
import type { DockerEndpoint } from '../contexts/endpoint';
import type { SshConnection } from '../ssh/connection';
import { isSystemSshTarget, type SystemSshTarget } from './systemSshLink';

/** The SSH side of an ssh:// endpoint: what the connection depends on (not the socket path). */
export function sshEndpointKey(e: DockerEndpoint): string {
  return JSON.stringify([e.user ?? '', e.host ?? '', e.port ?? 0]);
}

export interface SharedConnection {
  connection: SshConnection | SystemSshTarget;
  /** True when another endpoint made it (or was making it): this caller caused no login. */
  reused: boolean;
  /** Lets go of this hold (the connection closes when no hold is left); twice is harmless. */
  release: () => void;
}

interface Shared {
  attempt: Promise<SshConnection | SystemSshTarget>;
  abort: AbortController;
  holds: Set<object>;
  /** Set once the attempt gave an ssh2 connection. */
  live?: SshConnection;
}

export class SharedSshConnections {
  private readonly byKey = new Map<string, Shared>();

  constructor(
    private readonly connect: (
      endpoint: DockerEndpoint,
      signal: AbortSignal,
    ) => Promise<SshConnection | SystemSshTarget>,
  ) {}

  /**
   * The endpoint's SSH connection: the live one another endpoint holds, the attempt under way, or
   * a new attempt. `signal` cancels this caller's wait (and the attempt, when nobody else waits).
   */
  async acquire(endpoint: DockerEndpoint, signal: AbortSignal): Promise<SharedConnection> {
    const key = sshEndpointKey(endpoint);
    const joined = this.byKey.get(key);
    // Joining a live connection or another endpoint's attempt: either way, no login of its own.
    const reused = joined !== undefined;
    const shared = joined ?? this.start(key, endpoint);
    const hold = {};
    shared.holds.add(hold);
    const release = (): void => {
      if (shared.holds.delete(hold) && shared.holds.size === 0) {
        this.drop(key, shared);
      }
    };
    let onAbort: (() => void) | undefined;
    try {
      const connection = await Promise.race([
        shared.attempt,
        new Promise<never>((_, reject) => {
          onAbort = () => reject(cancelledError());
          if (signal.aborted) {
            onAbort();
          }
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      if (isSystemSshTarget(connection)) {
        release(); // nothing to hold: see the file comment
        return { connection, reused: false, release: () => undefined };
      }
      return { connection, reused, release };
    } catch (e) {
      release();
      throw e;
    } finally {
      if (onAbort) {
        signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Closes the connection of this endpoint's SSH side (and any attempt) for every holder. */
  close(endpoint?: DockerEndpoint): void {
    for (const [key, s] of [...this.byKey]) {
      if (endpoint === undefined || key === sshEndpointKey(endpoint)) {
        this.drop(key, s);
      }
    }
  }

  private start(key: string, endpoint: DockerEndpoint): Shared {
    const abort = new AbortController();
    const s: Shared = { attempt: this.connect(endpoint, abort.signal), abort, holds: new Set() };
    this.byKey.set(key, s);
    s.attempt.then(
      (c) => {
        if (isSystemSshTarget(c)) {
          this.forget(key, s);
          return;
        }
        if (this.byKey.get(key) !== s) {
          c.close(); // dropped while connecting: nobody will use it
          return;
        }
        s.live = c;
        // At once, not a turn later: an endpoint asking meanwhile must not be handed a dead connection.
        c.client.once('close', () => this.forget(key, s));
        void c.closed.then(() => this.forget(key, s));
      },
      () => this.forget(key, s),
    );
    return s;
  }

  private drop(key: string, s: Shared): void {
    this.forget(key, s);
    s.holds.clear();
    s.abort.abort();
    s.live?.close();
  }

  private forget(key: string, s: Shared): void {
    if (this.byKey.get(key) === s) {
      this.byKey.delete(key);
    }
  }
}
