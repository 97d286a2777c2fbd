/**
 * The second fix for the ~40 ms reply stall over SSH (reference §8).
 *
 * sshd leaves Nagle's algorithm on for non-interactive sessions. When it has sent one small
 * packet that is not acknowledged yet, it holds the next small one (the rest of a reply, a
 * channel EOF/CLOSE) until the ACK arrives, and Linux delays a bare ACK by up to 40 ms. If the
 * client sends anything as soon as data arrives, the ACK rides along at once and sshd goes on.
 *
 * The packet sent is a `cancel-tcpip-forward` global request WITHOUT want-reply, through ssh2's
 * public `unforwardIn(addr, port)` with no callback: the server answers nothing (an answer
 * would itself be a small packet that stalls behind the data; measured: nudging with a
 * keepalive request that expects a reply brings the 44 ms back), and it names a listener that
 * cannot exist (the reserved `.invalid` domain; the pool never asks for remote forwards on
 * its connections), so nothing changes on the server. OpenSSH logs it at debug level only.
 *
 * One nudge per burst: data that arrives within one turn of the event loop (one TCP read
 * holds many SSH packets) costs a single packet.
 */
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';

const NUDGE_ADDRESS = 'nudge.invalid';
const NUDGE_PORT = 1;

export interface AckNudger {
  /** Nudges on every burst of data this channel receives, for as long as it lives. */
  watch(channel: Duplex): void;
  /** Packets sent so far (for tests and benchmarks). */
  readonly sent: number;
}

export function createAckNudger(client: Client): AckNudger {
  let pending = false;
  let sent = 0;
  // Guard: if a future ssh2 lacks the method, the nudge is simply off (the stall comes back, nothing breaks).
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
  return {
    watch(channel: Duplex): void {
      channel.on('data', nudge);
    },
    get sent() {
      return sent;
    },
  };
}
