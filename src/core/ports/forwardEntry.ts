/**
 * One forward as the session keeps it: where it goes, its local listener, its open sockets and
 * its own trouble (a refused remote port, a taken local port, stopped by the person). The row
 * the view shows is derived from it (toRow).
 */
import type * as net from 'node:net';
import type { CoreError } from '../common/errors';
import type { LocalListener } from './localListener';
import type { ContainerRef, ForwardAddress, ForwardRow, ForwardState } from './portsTypes';

export class ForwardEntry {
  listener: LocalListener | undefined;
  /** The local port last listened on: Forward Again and a re-listen try it first. */
  lastPort: number | undefined;
  stopped = false;
  /** No local port could be bound. */
  taken: CoreError | undefined;
  /** The remote end refused the last connection. */
  refused: CoreError | undefined;
  total = 0;
  readonly sockets = new Set<net.Socket>();
  /** Set when the entry is gone: a listener bound late is closed at once. */
  closed = false;

  constructor(
    readonly id: string,
    public container: ContainerRef,
    readonly containerPort: number,
    readonly remote: ForwardAddress,
    readonly wantedPort: number,
    readonly origin: 'published' | 'manual',
  ) {}

  /** Closes the listener and, when `sockets`, every open connection of this forward. */
  shut(sockets: boolean): void {
    this.listener?.close();
    this.listener = undefined;
    if (sockets) {
      for (const s of this.sockets) {
        s.destroy();
      }
    }
  }

  toRow(forbidden: CoreError | undefined): ForwardRow {
    return {
      id: this.id,
      container: { ...this.container },
      containerPort: this.containerPort,
      remote: { ...this.remote },
      local: this.listener ? { host: this.listener.hosts[0] ?? '127.0.0.1', port: this.listener.port } : undefined,
      origin: this.origin,
      state: this.state(forbidden),
      connections: { total: this.total, open: this.sockets.size },
    };
  }

  private state(forbidden: CoreError | undefined): ForwardState {
    if (this.stopped) {
      return { kind: 'stopped' };
    }
    if (this.taken) {
      return { kind: 'localTaken', error: this.taken };
    }
    if (forbidden) {
      return { kind: 'forbidden', error: forbidden };
    }
    if (this.refused) {
      return { kind: 'remoteRefused', error: this.refused };
    }
    if (this.listener && this.listener.port !== this.wantedPort) {
      return { kind: 'moved', wantedPort: this.wantedPort };
    }
    return { kind: 'forwarding' };
  }
}
