/**
 * A keep-alive `http.Agent` whose connections are SSH channels opened by the pool (stream-local
 * forwarding to the Docker socket, or `docker system dial-stdio`) instead of TCP sockets. It is
 * stable for the life of a pool entry: each new channel is asked from the opener, which reaches
 * the current SSH connection (connecting again after a drop), so a dockerode instance built on
 * it keeps working across reconnects.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';

export type ChannelOpener = () => Promise<Duplex>;

/** http.ClientRequest calls these on its socket; a channel has no TCP options to set. */
const SOCKET_NO_OPS = ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref'] as const;

export function decorateChannel(ch: Duplex): Duplex {
  const target = ch as unknown as Record<string, unknown>;
  for (const m of SOCKET_NO_OPS) {
    if (typeof target[m] !== 'function') {
      target[m] = function (this: Duplex): Duplex {
        return this;
      };
    }
  }
  if (typeof target.destroySoon !== 'function') {
    target.destroySoon = ch.destroy.bind(ch);
  }
  // A channel may report an error while idle in the free list; http only listens while in use.
  ch.on('error', () => undefined);
  return ch;
}

export class EngineChannelAgent extends http.Agent {
  private readonly channels = new Set<Duplex>();
  private readonly retirers = new WeakMap<Duplex, () => void>();
  private opening = 0;

  constructor(
    private readonly open: ChannelOpener,
    options: http.AgentOptions = {},
  ) {
    // maxSockets stays below sshd's default MaxSessions (10), which limits dial-stdio sessions.
    super({ keepAlive: true, maxSockets: 8, maxFreeSockets: 2, scheduling: 'lifo', ...options });
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.opening++;
    this.open().then(
      (ch) => {
        this.opening--;
        decorateChannel(ch);
        this.track(ch);
        callback?.(null, ch);
      },
      (e: unknown) => {
        this.opening--;
        callback?.(e instanceof Error ? e : new Error(String(e)), undefined as unknown as Duplex);
      },
    );
    // The channel arrives through the callback.
    return undefined;
  }

  /**
   * A TCP socket ends both ways when the peer closes; a channel is half-open by default and
   * ssh2 emits 'close' only once both sides sent CHANNEL_CLOSE. So when the daemon ends an idle
   * kept-alive connection, the channel would stay in the free list, dead. Take it out of the
   * pool at once ('agentRemove' is http.Agent's documented way) and close our side.
   */
  private track(ch: Duplex): void {
    this.channels.add(ch);
    let gone = false;
    const retire = (): void => {
      if (gone) {
        return;
      }
      gone = true;
      this.channels.delete(ch);
      try {
        ch.destroy();
      } catch {
        // the connection is already closed
      }
      // After destroy(): http.Agent drops a socket from its free list only when it is no
      // longer writable.
      ch.emit('agentRemove');
    };
    ch.once('end', retire);
    ch.once('close', () => {
      gone = true;
      this.channels.delete(ch);
      // The channel of a dead connection closes while still "writable"; http.Agent would then
      // keep it in the free list and hand it out again (writes to it vanish). This listener
      // runs before the agent's own 'close' listener, which then drops it for good.
      if (ch.writable) {
        (ch as { writable: boolean }).writable = false;
      }
    });
    this.retirers.set(ch, retire);
  }

  /** Channels that exist now (in use or idle in the free list). */
  get openChannels(): number {
    return this.channels.size;
  }

  /** True while a request holds a channel or waits for one. */
  get busy(): boolean {
    if (this.opening > 0) {
      return true;
    }
    for (const list of [this.sockets, this.requests]) {
      for (const key of Object.keys(list)) {
        if ((list[key]?.length ?? 0) > 0) {
          return true;
        }
      }
    }
    return false;
  }

  /** Destroys every channel (the connection under them is gone or being closed). */
  override destroy(): void {
    super.destroy();
    // ssh2 emits 'close' for the channels of a dead connection only once their data was read,
    // which may never happen for an idle one: forget them explicitly.
    for (const ch of [...this.channels]) {
      this.retirers.get(ch)?.();
    }
    this.channels.clear();
  }
}
