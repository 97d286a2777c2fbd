/**
 * An SSH server that never answers a channel open (neither confirmation nor failure) must not
 * wedge the endpoint: the pool closes that connection when the open's deadline passes, forgets
 * it, and the next request connects again. OpenSSH's sshd cannot be made to do this, so the
 * server is ssh2's own, in this process: it leaves the first connection's stream-local opens
 * unanswered and answers the second connection's like a Docker daemon would (HEAD /_ping,
 * /info, /version: just enough HTTP for the pool).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Client, Server, type ServerChannel } from 'ssh2';
import { EnginePool, type ConnectionEvent } from '../../src/core/engine/enginePool';
import type { SshConnection } from '../../src/core/ssh/connection';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import { rejectsWith } from '../support/rejectsWith';

let server: Server;
let port = 0;
let connections = 0;
const unanswered: number[] = [];
let firstClosed: () => void = () => undefined;
/** Resolves when the server sees the first (wedged) connection close. */
const firstClosedOnServer = new Promise<void>((resolve) => (firstClosed = resolve));

/** A minimal Engine API on one channel: keep-alive GET/HEAD requests, no bodies. */
function fakeDaemon(ch: ServerChannel): void {
  let buf = '';
  ch.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let end: number;
    while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
      const [method = '', path = ''] = buf.slice(0, end).split(' ');
      buf = buf.slice(end + 4);
      const body =
        path === '/info'
          ? JSON.stringify({ OperatingSystem: 'Fake OS', OSType: 'linux', Architecture: 'x86_64', ID: 'FAKE' })
          : path === '/version'
            ? JSON.stringify({ Os: 'linux', Arch: 'amd64', ApiVersion: '1.41' })
            : 'OK';
      ch.write(
        `HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nOstype: linux\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${method === 'HEAD' ? '' : body}`,
      );
    }
  });
}

before(async () => {
  // An EC key in PEM, which ssh2 parses; its own ed25519 generator produced an unparsable key once.
  const hostKey = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  server = new Server({ hostKeys: [hostKey] }, (client) => {
    const n = ++connections;
    client.on('authentication', (ctx) => ctx.accept());
    client.on('close', () => {
      if (n === 1) {
        firstClosed();
      }
    });
    client.on('error', () => undefined);
    client.on('ready', () => {
      client.on('openssh.streamlocal', (accept) => {
        if (n === 1) {
          unanswered.push(n); // the fault: neither accept() nor reject()
          return;
        }
        fakeDaemon(accept());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  server.close();
});

/** A connection to the in-process server, in the shape connectSsh returns. */
function connect(): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const closed = new Promise<undefined>((r) => client.once('close', () => r(undefined)));
    client.once('error', reject);
    client.once('ready', () =>
      resolve({
        client,
        // Only the fields the pool reads (for messages and logs).
        host: { alias: 'fake', hostname: '127.0.0.1', port, user: 'u' } as EffectiveHost,
        authMethod: 'none',
        hostKey: { type: 'ssh-ed25519', fingerprint: 'SHA256:test', outcome: 'trusted' },
        jumpHosts: [],
        closed,
        close: () => client.end(),
      }),
    );
    client.connect({ host: '127.0.0.1', port, username: 'u', hostVerifier: () => true });
  });
}

test('an unanswered channel open closes and forgets the connection; the next request connects again', async () => {
  const pool = new EnginePool({ connect, requestTimeoutMs: 1_000, idleTimeoutMs: 600_000 });
  const target = { contextName: 'wedged', endpoint: 'ssh://u@fake' };
  const events: ConnectionEvent[] = [];
  const disconnected = new Promise<'closed'>((resolve) =>
    pool.onDidChangeConnection((e) => {
      events.push(e);
      if (e.state === 'disconnected') {
        resolve('closed');
      }
    }),
  );
  try {
    const e = await rejectsWith(pool.status(target), 'timeout');
    assert.equal(e.details.context, 'wedged');
    assert.deepEqual(unanswered, [1], 'the server left the open unanswered');
    // The connection is closed on the open's deadline (before the fix it stayed, and every
    // later request waited behind it).
    const bound = new Promise<'never'>((r) => setTimeout(() => r('never'), 15_000).unref());
    assert.notEqual(await Promise.race([disconnected, bound]), 'never', 'the wedged connection was never closed');
    assert.equal(pool.stats().connections, 0);
    assert.equal(pool.stats().openChannels, 0);
    const info = await pool.status(target);
    assert.equal(info.operatingSystem, 'Fake OS');
    assert.equal(info.transport, 'streamlocal');
    assert.equal(pool.stats().connectsTotal, 2);
    assert.deepEqual(
      events.map((x) => x.state),
      ['connected', 'disconnected', 'connected'],
    );
    await firstClosedOnServer; // the server saw the wedged connection close
  } finally {
    pool.dispose();
  }
});
