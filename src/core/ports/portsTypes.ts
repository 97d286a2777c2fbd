/**
 * What the ports forwarder (portForwarder.ts) tells its views: one row per TCP port a running
 * container publishes on the remote daemon (plus the ports a person forwarded by hand), with
 * where it is reached on this machine. The UI (src/ui/ports) renders these and calls the
 * forwarder's actions; nothing here knows about VS Code.
 */
import type { CoreError } from '../common/errors';

export type ForwardState =
  /** Listening on the laptop's loopback at `local`, piping to `remote`. */
  | { kind: 'forwarding' }
  /** The same port number was taken on this machine: listening at `local.port` instead. */
  | { kind: 'moved'; wantedPort: number }
  /** No free local port could be bound (or the user's chosen one is taken). */
  | { kind: 'localTaken'; error: CoreError }
  /** The remote end refused the last connection (logged once, not retried in a storm). */
  | { kind: 'remoteRefused'; error: CoreError }
  /** sshd forbids TCP forwarding (`AllowTcpForwarding no`): nothing forwards until it changes. */
  | { kind: 'forbidden'; error: CoreError }
  /** The person stopped it (Stop Forwarding); Forward Again resumes it. */
  | { kind: 'stopped' };

export interface ContainerRef {
  id: string;
  /** Without the leading slash. */
  name: string;
  image: string;
}

export interface ForwardAddress {
  host: string;
  port: number;
}

export interface ForwardRow {
  /** Stable across refreshes: container id + remote address + container port. */
  id: string;
  container: ContainerRef;
  /** The container's own port (e.g. 80 of `-p 8080:80`). */
  containerPort: number;
  /** Where the connection goes on the remote side (a published 0.0.0.0/:: becomes the remote's loopback). */
  remote: ForwardAddress;
  /** Where it answers on this machine (loopback only); undefined while not listening. */
  local: ForwardAddress | undefined;
  /** Published by the daemon (auto) or asked for by a person (Forward a Port…). */
  origin: 'published' | 'manual';
  state: ForwardState;
  /** Connections served so far, and open now. */
  connections: { total: number; open: number };
}

export interface PortsSnapshot {
  /** The context whose ports these are; undefined when the current daemon is not ssh:// (nothing forwarded). */
  context: string | undefined;
  /** False while auto-forward is off in the settings. */
  auto: boolean;
  /** The events stream: live, reconnecting (after a drop), or failed with its reason. */
  stream:
    | { kind: 'idle' }
    | { kind: 'live' }
    | { kind: 'reconnecting'; error?: CoreError }
    | { kind: 'failed'; error: CoreError };
  rows: readonly ForwardRow[];
}
