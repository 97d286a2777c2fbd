/**
 * The benchmarks' delaying proxy (test/support/delayProxy.ts), against plain loopback servers:
 * it must delay by at least what it is told (a lower bound only: a slow machine adds, never
 * subtracts), keep every byte in order, hold a sender that outruns its reader, pass half-closes
 * through, and count round trips the way a request/answer protocol waits on them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { after, test } from 'node:test';
import { startDelayProxy, type DelayProxy } from '../support/delayProxy';

/** Timers fire on whole milliseconds: allow that much below the configured figure. */
const TIMER_SLACK_MS = 2;

const servers: net.Server[] = [];
const proxies: DelayProxy[] = [];
after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  servers.forEach((s) => s.close());
});

async function server(onConnection: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, onConnection);
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return (srv.address() as net.AddressInfo).port;
}

async function proxy(
  targetPort: number,
  delayMs: number,
  extra: { bitsPerSecond?: number; highWaterMark?: number } = {},
) {
  const p = await startDelayProxy({ targetPort, delayMs, ...extra });
  proxies.push(p);
  return p;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Reads until `n` bytes arrived. */
function readBytes(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        s.removeListener('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

const echo = (s: net.Socket): void => void s.pipe(s);

test('every byte is delayed by at least the one-way delay, and TCP connect costs a round trip', async () => {
  const p = await proxy(await server(echo), 40);
  const t0 = performance.now();
  const c = await connect(p.port);
  c.write('a');
  await readBytes(c, 1);
  // TCP handshake (2 × 40) + the byte's way there and back (2 × 40).
  assert.ok(performance.now() - t0 >= 160 - TIMER_SLACK_MS, `first echo after ${performance.now() - t0} ms`);
  const t1 = performance.now();
  c.write('b');
  await readBytes(c, 1);
  assert.ok(performance.now() - t1 >= 80 - TIMER_SLACK_MS, `echo after ${performance.now() - t1} ms`);
  c.destroy();
});

test('bytes arrive exactly and in order, in both directions, however they were cut', async () => {
  const p = await proxy(await server(echo), 3);
  const c = await connect(p.port);
  const data = randomBytes(3 * 1024 * 1024);
  const back = readBytes(c, data.length);
  for (let i = 0; i < data.length;) {
    const n = 1 + Math.floor(Math.random() * 70_000);
    c.write(data.subarray(i, i + n));
    i += n;
  }
  assert.ok((await back).equals(data));
  assert.equal(p.stats().bytesUp, data.length);
  assert.equal(p.stats().bytesDown, data.length);
  c.destroy();
});

test('a sender faster than its reader is held: the queue stays near the high-water mark', async () => {
  let serverSide: net.Socket | undefined;
  const accepted = new Promise<net.Socket>((resolve) => {
    void server((s) => {
      s.pause(); // reads nothing until told
      serverSide = s;
      resolve(s);
    }).then((port) => startAndConnect(port));
  });
  let client: net.Socket | undefined;
  let p: DelayProxy | undefined;
  const highWaterMark = 256 * 1024;
  async function startAndConnect(port: number): Promise<void> {
    p = await proxy(port, 2, { highWaterMark });
    client = await connect(p.port);
  }
  const s = await accepted;
  while (!client) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const data = randomBytes(32 * 1024 * 1024);
  // Write until the client's own buffer says stop: the proxy must have stopped reading it.
  let written = 0;
  const chunk = 64 * 1024;
  while (written < data.length && client.write(data.subarray(written, written + chunk))) {
    written += chunk;
  }
  written = Math.min(written + chunk, data.length);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(written < data.length, 'the client was never told to wait');
  assert.ok(
    (p as DelayProxy).stats().maxQueued <= highWaterMark + chunk * 2,
    `the proxy queued ${(p as DelayProxy).stats().maxQueued} bytes`,
  );
  // Now the reader reads: everything written arrives, in order.
  const got = readBytes(s, data.length);
  s.resume();
  while (written < data.length) {
    if (!client.write(data.subarray(written, written + chunk))) {
      await new Promise((r) => client?.once('drain', r));
    }
    written += chunk;
  }
  assert.ok((await got).equals(data));
  assert.ok((p as DelayProxy).stats().maxQueued <= highWaterMark + chunk * 2);
  client.destroy();
  serverSide?.destroy();
});

test('a half-close passes through after the data before it, and the other way still works', async () => {
  const port = await server((s) => {
    const parts: Buffer[] = [];
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('end', () => s.end(`got ${Buffer.concat(parts).toString()}`));
  });
  const p = await proxy(port, 10);
  const c = await connect(p.port);
  c.end('hello');
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('end', () => resolve(text));
  });
  assert.equal(answer, 'got hello');
  c.destroy();
});

test('the bandwidth cap holds a transfer to its rate', async () => {
  const p = await proxy(await server(echo), 1, { bitsPerSecond: 80_000_000 });
  const c = await connect(p.port);
  const data = randomBytes(1_000_000);
  const t0 = performance.now();
  const back = readBytes(c, data.length);
  c.write(data);
  assert.ok((await back).equals(data));
  // 8 Mbit at 80 Mbit/s is 100 ms each way; the echo starts before the last byte arrives.
  assert.ok(performance.now() - t0 >= 100 - TIMER_SLACK_MS, `took ${performance.now() - t0} ms`);
  c.destroy();
});

test('round trips: one per answered exchange and one for TCP; parallel requests and unanswered packets add none', async () => {
  // A server that answers "ping" lines and ignores "note" lines.
  const port = await server((s) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('ping')) {
          s.write(`pong${line.slice(4)}\n`);
        }
      }
    });
  });
  const p = await proxy(port, 15);
  const c = await connect(p.port);
  const lines: string[] = [];
  let waiters: (() => void)[] = [];
  let buf = '';
  c.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    waiters.forEach((w) => w());
    waiters = [];
  });
  const until = async (n: number): Promise<void> => {
    while (lines.length < n) {
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  for (let i = 1; i <= 3; i++) {
    c.write(`ping${i}\n`);
    await until(i);
  }
  assert.equal(p.stats().roundTrips, 4, 'TCP + three sequential exchanges');
  // Two requests at once are one round trip.
  c.write('ping4\n');
  c.write('ping5\n');
  await until(5);
  assert.equal(p.stats().roundTrips, 5);
  // A packet sent as soon as an answer arrives (like an ACK nudge) and the request after it.
  c.write('note\n');
  c.write('ping6\n');
  await until(6);
  assert.equal(p.stats().roundTrips, 6);
  // A last packet nobody answers: a flight, never a round trip.
  const flights = p.stats().flights;
  c.write('note\n');
  while (p.stats().flights === flights) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(p.stats().roundTrips, 6, 'an unanswered packet is not a round trip');
  c.destroy();
});
