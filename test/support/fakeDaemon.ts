/**
 * A process-local HTTP server on a unix socket that answers `/_ping`, `/info` and `/version`
 * (and an empty `/containers/json`)
 * the way a hostile or broken daemon might: the test sets the bodies. Reached as a `unix://`
 * context, it lets a test send what no real dockerd sends (Markdown in the host name, a
 * 200 MB /info) through the extension's real Engine API client.
 */
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';

/** A body: text as sent, or a large one made on the fly (prefix, `fill` repeated to `bytes`, suffix). */
export type FakeBody = string | { prefix: string; fill: string; bytes: number; suffix: string };

export interface FakeAnswers {
  info: FakeBody;
  version: FakeBody;
}

export interface FakeDaemon {
  socket: string;
  endpoint: string;
  /** The answers from now on. */
  answers: FakeAnswers;
  /** Bytes the server managed to send for /info and /version since the start. */
  bytesSent(): number;
  close(): Promise<void>;
}

const PING_HEADERS = { 'Api-Version': '1.41', Ostype: 'linux', Server: 'Docker/20.10.24 (linux)' };

export async function startFakeDaemon(dir: string, answers: FakeAnswers): Promise<FakeDaemon> {
  const socket = path.join(dir, 'fake.sock');
  await fs.rm(socket, { force: true });
  let sent = 0;
  const state = { answers };
  const server = http.createServer((req, res) => {
    res.on('error', () => undefined);
    const url = (req.url ?? '').replace(/^\/v[\d.]+/, '').replace(/\?.*$/, '');
    if (url === '/_ping') {
      res.writeHead(200, { ...PING_HEADERS, 'Content-Type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    if (url === '/containers/json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('[]');
      return;
    }
    const body = url === '/info' ? state.answers.info : url === '/version' ? state.answers.version : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"page not found"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (typeof body === 'string') {
      sent += Buffer.byteLength(body);
      res.end(body);
      return;
    }
    streamBody(res, body, (n) => (sent += n));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  return {
    socket,
    endpoint: `unix://${socket}`,
    get answers() {
      return state.answers;
    },
    set answers(a: FakeAnswers) {
      state.answers = a;
    },
    bytesSent: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes the body in 64 KiB chunks as fast as the reader takes them; stops when the reader goes. */
function streamBody(
  res: http.ServerResponse,
  b: { prefix: string; fill: string; bytes: number; suffix: string },
  count: (n: number) => void,
): void {
  const chunk = Buffer.from(b.fill.repeat(Math.max(1, Math.floor(65536 / b.fill.length))));
  let left = b.bytes;
  let closed = false;
  res.on('close', () => (closed = true));
  res.write(b.prefix);
  const pump = (): void => {
    while (!closed && left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      count(piece.length);
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!closed) {
      res.end(b.suffix);
    }
  };
  pump();
}
