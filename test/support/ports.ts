/**
 * Loopback ports for servers and for fault tests (a port that never answers, a closed port).
 */
import * as net from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Thrown by a server starter whose bind failed because the port was taken (EADDRINUSE). */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    detail: string,
  ) {
    super(`port ${port} is in use: ${detail}`);
  }
}

export interface FreshPortOptions {
  /** How many ports to try before giving up (default 5). */
  attempts?: number;
  /** Picks the next port to try (default `freePort`); a test of the retry passes a taken one first. */
  pick?: () => Promise<number>;
}

/**
 * Starts a server on a port picked just before (`freePort()` closes its probe socket, and the
 * server binds later: another process may take the port in between). When `start` fails with a
 * `PortInUseError`, a fresh port is picked and `start` runs again, at most `attempts` times in all.
 * Any other failure is thrown at once.
 */
export async function onFreshPort<T>(
  what: string,
  start: (port: number) => Promise<T>,
  o: FreshPortOptions = {},
): Promise<T> {
  const attempts = o.attempts ?? 5;
  const taken: number[] = [];
  for (;;) {
    const port = await (o.pick ?? freePort)();
    try {
      return await start(port);
    } catch (e) {
      if (!(e instanceof PortInUseError)) {
        throw e;
      }
      taken.push(port);
      if (taken.length >= attempts) {
        throw new Error(`${what}: every port tried was taken (${taken.join(', ')})`, { cause: e });
      }
    }
  }
}

export interface Blackhole {
  port: number;
  /** Sockets accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that accepts connections and never sends a byte: an SSH client
 * waiting for the server's banner hangs until its own timeout fires.
 */
export function blackholePort(): Promise<Blackhole> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>();
    let count = 0;
    const srv = net.createServer((s) => {
      count++;
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
      s.resume(); // read and drop whatever the client sends
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      resolve({
        port: (srv.address() as net.AddressInfo).port,
        accepted: () => count,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) {
              s.destroy();
            }
            srv.close(() => done());
          }),
      });
    });
  });
}

/**
 * A port on 127.0.0.1 with nothing listening (connecting gets ECONNREFUSED). Another process may
 * bind it later; the kernel hands out ephemeral ports round-robin, so that is unlikely within a test.
 */
export function closedPort(): Promise<number> {
  return freePort();
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export function canConnect(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

/**
 * A TCP server on 127.0.0.1 that hands each connection to `onConnection` (to play a server that
 * speaks something else than SSH, or stops mid-way); `close()` destroys the open sockets too.
 */
export function tcpServer(onConnection: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>();
    const srv = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
      onConnection(s);
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        port: (srv.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) {
              s.destroy();
            }
            srv.close(() => done());
          }),
      }),
    );
  });
}
