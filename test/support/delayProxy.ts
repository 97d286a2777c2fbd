/**
 * A TCP proxy on 127.0.0.1 that makes loopback behave like a real link: every chunk, in both
 * directions, reaches the other side `delayMs` (one way) after it was sent, in order, optionally
 * at a capped bandwidth. Kernel netem is not available on this machine kind, so this is the
 * benchmarks' (and the slow-link tests') network. Point an SSH config `Port` at it and both the
 * code under test (ssh2) and the reference tools (OpenSSH, the docker CLI through it, `ssh -L`,
 * rsync) cross the same link.
 *
 * The model, per connection:
 * - TCP's own handshake costs one round trip: the proxy connects upstream `delayMs` after it
 *   accepted (the SYN's way), and client bytes sent before `2 × delayMs` (when the client's
 *   connect would have completed) count as sent then;
 * - a chunk sent at `t` leaves at `max(t, link free)` plus its serialisation time at the cap and
 *   arrives `delayMs` later; arrival times never decrease, so order is kept;
 * - backpressure: while more than `highWaterMark` bytes wait in one direction, the sending
 *   socket is paused (and resumed below half of it), and a destination that refuses more
 *   (`write` → false) holds the queue until `drain`: memory stays bounded whatever the rates;
 * - half-close: an end from one side is delivered after the data before it, as an end.
 *
 * Round trips are counted the way a step waits on them. A **flight** is a run of client→server
 * data; a new flight starts when the client sends after server data reached it since the current
 * flight began, and at least one one-way delay after the current flight began (so parallel
 * requests triggered by one burst of answers are one flight). A flight is a **round trip** once
 * the server sends anything after the flight reached it (so fire-and-forget packets — a channel
 * CLOSE reply, a window adjust, an ACK nudge — are not counted). The TCP handshake is one round
 * trip. `roundTrips` sums them over every connection; read it before and after a step.
 */
import * as net from 'node:net';

export interface DelayProxyOptions {
  /** Where to forward (the test sshd). */
  targetPort: number;
  targetHost?: string;
  /** One-way delay in ms (the round-trip time is twice this). */
  delayMs: number;
  /** Bandwidth cap per direction, bits per second; undefined: none. */
  bitsPerSecond?: number;
  /** Bytes waiting in one direction before its sender is paused (default 1 MiB). */
  highWaterMark?: number;
}

export interface DelayProxyStats {
  connections: number;
  roundTrips: number;
  flights: number;
  bytesUp: number;
  bytesDown: number;
  /** The most bytes that ever waited in one direction of one connection (backpressure bound). */
  maxQueued: number;
}

export interface DelayProxy {
  readonly port: number;
  /** The one-way delay for connections made from now on. */
  delayMs: number;
  stats(): DelayProxyStats;
  /** Connections open now. */
  readonly openConnections: number;
  close(): Promise<void>;
}

type Item = { at: number; chunk: Buffer } | { at: number; end: true };

/** One direction of one connection: a timed queue from `src` to `dst`. */
class DelayedPipe {
  private readonly queue: Item[] = [];
  private queued = 0;
  private linkFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private blocked = false;
  private paused = false;
  private ended = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly delayMs: number,
    private readonly bitsPerSecond: number | undefined,
    private readonly highWaterMark: number,
    /** The earliest time a byte may count as sent (the simulated TCP connect). */
    private readonly notBefore: number,
    private readonly onSent: (sentAt: number, arriveAt: number, bytes: number) => void,
    private readonly onDelivered: () => void,
    private readonly onQueued: (bytes: number) => void,
  ) {
    src.on('data', (chunk: Buffer) => this.push(chunk));
    src.on('end', () => this.pushEnd());
    dst.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
  }

  private sendTime(bytes: number): { sentAt: number; arriveAt: number } {
    const sentAt = Math.max(performance.now(), this.notBefore);
    const serialise = this.bitsPerSecond ? (bytes * 8 * 1000) / this.bitsPerSecond : 0;
    const leave = Math.max(sentAt, this.linkFreeAt) + serialise;
    this.linkFreeAt = leave;
    return { sentAt, arriveAt: leave + this.delayMs };
  }

  private push(chunk: Buffer): void {
    const { sentAt, arriveAt } = this.sendTime(chunk.length);
    this.onSent(sentAt, arriveAt, chunk.length);
    this.queue.push({ at: arriveAt, chunk });
    this.queued += chunk.length;
    this.onQueued(this.queued);
    if (this.queued > this.highWaterMark && !this.paused) {
      this.paused = true;
      this.src.pause();
    }
    this.schedule();
  }

  private pushEnd(): void {
    this.queue.push({ at: this.sendTime(0).arriveAt, end: true });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.blocked || this.queue.length === 0) {
      return;
    }
    const wait = this.queue[0].at - performance.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, Math.ceil(wait));
  }

  private flush(): void {
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].at <= now && !this.blocked) {
      const item = this.queue.shift() as Item;
      if ('end' in item) {
        this.ended = true;
        this.dst.end();
        continue;
      }
      this.queued -= item.chunk.length;
      if (this.dst.destroyed || this.ended) {
        continue;
      }
      this.onDelivered();
      if (!this.dst.write(item.chunk)) {
        this.blocked = true;
      }
    }
    if (this.paused && this.queued <= this.highWaterMark / 2) {
      this.paused = false;
      this.src.resume();
    }
    this.schedule();
  }

  stop(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.queue.length = 0;
  }
}

/** Flight and round-trip bookkeeping of one connection (see the file comment). */
class RoundTripCounter {
  private flightStart = -Infinity;
  private flightArrive = Infinity;
  private flightAnswered = true;
  private serverSeenSinceFlight = true;

  constructor(
    private readonly delayMs: number,
    private readonly totals: { flights: number; roundTrips: number },
  ) {}

  /** The TCP handshake: one round trip. */
  connected(): void {
    this.totals.roundTrips++;
  }

  clientSent(sentAt: number, arriveAt: number): void {
    if (this.serverSeenSinceFlight && sentAt >= this.flightStart + this.delayMs) {
      this.flightStart = sentAt;
      this.flightArrive = arriveAt;
      this.flightAnswered = false;
      this.serverSeenSinceFlight = false;
      this.totals.flights++;
    }
  }

  /** Server bytes left the server at `sentAt`. */
  serverSent(sentAt: number): void {
    if (!this.flightAnswered && sentAt >= this.flightArrive) {
      this.flightAnswered = true;
      this.totals.roundTrips++;
    }
  }

  /** Server bytes reached the client. */
  clientReceived(): void {
    this.serverSeenSinceFlight = true;
  }
}

export async function startDelayProxy(o: DelayProxyOptions): Promise<DelayProxy> {
  const totals = { connections: 0, flights: 0, roundTrips: 0, bytesUp: 0, bytesDown: 0, maxQueued: 0 };
  const queued = (n: number): void => {
    totals.maxQueued = Math.max(totals.maxQueued, n);
  };
  const live = new Set<net.Socket>();
  const highWaterMark = o.highWaterMark ?? 1024 * 1024;
  const proxy = { delayMs: o.delayMs };
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    totals.connections++;
    const delayMs = proxy.delayMs;
    const accepted = performance.now();
    const counter = new RoundTripCounter(delayMs, totals);
    client.pause();
    live.add(client);
    const upstream = new net.Socket({ allowHalfOpen: true });
    upstream.setNoDelay(true);
    live.add(upstream);
    const pipes: DelayedPipe[] = [];
    const teardown = (): void => {
      pipes.forEach((p) => p.stop());
      client.destroy();
      upstream.destroy();
    };
    const closed = (s: net.Socket): void => {
      live.delete(s);
      // One side gone for good (not a half-close): the link is gone.
      if (s.destroyed && !(s.readableEnded && s.writableFinished)) {
        setTimeout(teardown, delayMs).unref();
      }
    };
    client.on('error', () => undefined).on('close', () => closed(client));
    upstream.on('error', () => undefined).on('close', () => closed(upstream));
    const start = setTimeout(() => {
      upstream.connect(o.targetPort, o.targetHost ?? '127.0.0.1', () => {
        counter.connected();
        const up = new DelayedPipe(
          client,
          upstream,
          delayMs,
          o.bitsPerSecond,
          highWaterMark,
          accepted + 2 * delayMs,
          (sentAt, arriveAt, bytes) => {
            totals.bytesUp += bytes;
            counter.clientSent(sentAt, arriveAt);
          },
          () => undefined,
          queued,
        );
        const down = new DelayedPipe(
          upstream,
          client,
          delayMs,
          o.bitsPerSecond,
          highWaterMark,
          0,
          (sentAt, _arriveAt, bytes) => {
            totals.bytesDown += bytes;
            counter.serverSent(sentAt);
          },
          () => counter.clientReceived(),
          queued,
        );
        pipes.push(up, down);
        client.resume();
      });
    }, delayMs);
    client.once('close', () => clearTimeout(start));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get delayMs() {
      return proxy.delayMs;
    },
    set delayMs(ms: number) {
      proxy.delayMs = ms;
    },
    get openConnections() {
      return [...live].filter((s) => !s.destroyed).length;
    },
    stats: () => ({ ...totals }),
    close: async () => {
      for (const s of live) {
        s.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
