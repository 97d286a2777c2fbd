/**
 * The second fix for the ~40 ms reply stall over SSH (reference §8).
 *
 * sshd leaves Nagle's algorithm on for non-interactive sessions. When it has sent one small
 * packet that is not acknowledged yet, it holds the next small one until the ACK arrives, and
 * Linux delays a bare ACK by up to 40 ms. If the client sends anything as soon as data arrives,
 * the ACK rides along at once and sshd goes on. The stall hits a reply written in two parts, a
 * channel's EOF/CLOSE after its data, and the first channel of every connection: right after
 * authentication sshd sends its `hostkeys-00@openssh.com` notice, and the channel-open
 * confirmation then waits behind it (measured: the first HEAD /_ping took ~48 ms instead of ~2).
 *
 * The packet sent is a `cancel-tcpip-forward` global request WITHOUT want-reply, through ssh2's
 * public `unforwardIn(addr, port)` with no callback: the server answers nothing (an answer would
 * itself be a small packet stalling behind the data; measured: nudging with a keepalive request
 * that expects a reply brings the 44 ms back), and it names a listener that cannot exist (the
 * reserved `.invalid` domain; the pool never asks for remote forwards on its connections), so
 * nothing changes on the server. OpenSSH logs it at debug level only.
 *
 * One nudge per burst: whatever arrives within one turn of the event loop (one TCP read holds
 * many SSH packets) costs a single packet. Only after authentication: a global request is not
 * allowed before, which is why nothing can be done here about the handshake's own stalls.
 */
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';

const NUDGE_ADDRESS = 'nudge.invalid';
const NUDGE_PORT = 1;

export interface AckNudger {
  /** Nudges on data arriving on this channel (only needed when the connection's socket is not reachable). */
  watch(channel: Duplex): void;
  /** Packets sent so far (for tests and benchmarks). */
  readonly sent: number;
  /** True when every packet of the connection is watched, not only channel data. */
  readonly wholeConnection: boolean;
}

/**
 * The stream ssh2 reads the connection from. ssh2 has no public accessor: `_sock` is where
 * `connect({ sock })` keeps the socket it was given (lib/client.js), read here and nowhere else.
 * If a future ssh2 moves it, this returns undefined and the nudge falls back to channel data,
 * which misses only the stall of each connection's first channel.
 */
function connectionStream(client: Client): Duplex | undefined {
  const sock = (client as unknown as { _sock?: unknown })._sock as Partial<Duplex> | undefined;
  return sock && typeof sock.on === 'function' && typeof sock.removeListener === 'function'
    ? (sock as Duplex)
    : undefined;
}

export function createAckNudger(client: Client, options: { wholeConnection?: boolean } = {}): AckNudger {
  let pending = false;
  let sent = 0;
  // Guard: if a future ssh2 lacks the method, the nudge is off (the stall comes back, nothing breaks).
  const usable = typeof (client as Partial<Client>).unforwardIn === 'function';
  const nudge = (): void => {
    if (pending || !usable) {
      return;
    }
    pending = true;
    setImmediate(() => {
      pending = false;
    });
    try {
      client.unforwardIn(NUDGE_ADDRESS, NUDGE_PORT);
      sent++;
    } catch {
      // "Not connected": the connection is going away; its close handling reports that.
    }
  };
  const stream = options.wholeConnection === false ? undefined : connectionStream(client);
  // ssh2 already reads the socket in flowing mode; one more 'data' listener changes nothing there.
  stream?.on('data', nudge);
  return {
    watch(channel: Duplex): void {
      if (!stream) {
        channel.on('data', nudge);
      }
    },
    get sent() {
      return sent;
    },
    wholeConnection: stream !== undefined,
  };
}

/** One nudger per connection, however many endpoints' links share it (one packet per burst, not one each). */
const nudgers = new WeakMap<Client, AckNudger>();

export function ackNudgerOf(client: Client): AckNudger {
  let n = nudgers.get(client);
  if (!n) {
    n = createAckNudger(client);
    nudgers.set(client, n);
  }
  return n;
}
