/**
 * EnginePool behaviour that needs no server: one connection attempt shared by concurrent
 * callers, deadlines and cancellation while the attempt hangs, unsafe socket paths refused
 * before any connection, TLS material checks, and dockerode built without this process's
 * DOCKER_* environment. Faults against real sshd/dockerd are in test/integration/engine*.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getEventListeners } from 'node:events';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import type { Client } from 'ssh2';
import { createAckNudger } from '../../src/core/engine/engineAckNudge';
import type { DockerEndpoint } from '../../src/core/contexts/endpoint';
import { EnginePool, type EnginePoolOptions } from '../../src/core/engine/enginePool';
import { CoreError } from '../../src/core/common/errors';
import type { SshConnection } from '../../src/core/ssh/connection';
import { startFakeDaemon } from '../support/fakeDaemon';
import { rejectsWith } from '../support/rejectsWith';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-engine-unit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pool(connect: EnginePoolOptions['connect'], requestTimeoutMs = 2_000): EnginePool {
  return new EnginePool({ connect, requestTimeoutMs, idleTimeoutMs: 60_000 });
}

describe('EnginePool connection attempts', () => {
  test('concurrent calls share one attempt; its error reaches every caller with the context named', async () => {
    const seen: DockerEndpoint[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const p = pool(async (endpoint) => {
      seen.push(endpoint);
      await gate;
      throw new CoreError('hostKeyUnknown', 'unknown host key', { host: 'h', port: 22, fingerprint: 'SHA256:x' });
    });
    const target = { contextName: 'remote', endpoint: 'ssh://u@h' };
    const calls = [
      p.status(target),
      p.info(target),
      p.docker(target),
      p.status({ contextName: 'other', endpoint: 'ssh://u@h' }),
    ];
    release();
    const errors = await Promise.all(calls.map((c) => rejectsWith(c, 'hostKeyUnknown')));
    assert.equal(seen.length, 1, 'one attempt for one endpoint');
    assert.equal(seen[0]?.host, 'h');
    assert.equal(seen[0]?.user, 'u');
    assert.equal(errors[0]?.details.endpoint, 'ssh://u@h');
    assert.equal(errors[0]?.details.fingerprint, 'SHA256:x');
    assert.equal(p.stats().connectsTotal, 0);
    // A failed attempt is not cached: the next call tries again.
    await rejectsWith(p.status(target), 'hostKeyUnknown');
    assert.equal(seen.length, 2);
    p.dispose();
  });

  test('a hanging attempt: each call times out on its own deadline, cancels on its signal, and close() aborts the attempt', async () => {
    let connectSignal: AbortSignal | undefined;
    let calls = 0;
    const p = pool(
      (_e, signal) =>
        new Promise<SshConnection>((_resolve, reject) => {
          calls++;
          connectSignal = signal;
          signal.addEventListener('abort', () => reject(new CoreError('cancelled', 'aborted')), { once: true });
        }),
      300,
    );
    const target = { contextName: 'slow', endpoint: 'ssh://slow.example' };
    const e = await rejectsWith(p.status(target), 'timeout');
    assert.equal(e.details.context, 'slow');
    const ac = new AbortController();
    const pending = p.info(target, ac.signal);
    ac.abort();
    await rejectsWith(pending, 'cancelled');
    await rejectsWith(p.status(target, AbortSignal.abort()), 'cancelled');
    assert.equal(calls, 1, 'the attempt still runs for everyone after a caller gave up');
    assert.equal(connectSignal?.aborted, false);
    p.close('ssh://slow.example');
    assert.equal(connectSignal?.aborted, true);
    p.dispose();
    await rejectsWith(p.status(target), 'cancelled');
  });

  test('a socket path that cannot travel as one stdin line is refused before connecting', async () => {
    let calls = 0;
    const p = pool(() => {
      calls++;
      return Promise.reject(new Error('must not connect'));
    });
    // %0A decodes to a line break: it would end the path line dial-stdio reads.
    const e = await rejectsWith(p.status({ contextName: 'x', endpoint: 'ssh://h/tmp/a%0Ab.sock' }), 'endpointInvalid');
    assert.equal(e.details.rule, 'socketPath');
    await rejectsWith(p.info({ contextName: 'x', endpoint: 'ssh://h/tmp/a%0Db.sock' }), 'endpointInvalid');
    await rejectsWith(p.docker({ contextName: 'x', endpoint: 'ssh://h/tmp/a%00b.sock' }), 'endpointInvalid');
    await rejectsWith(p.status({ contextName: 'x', endpoint: 'ssh://:22' }), 'endpointInvalid');
    assert.equal(calls, 0);
    p.dispose();
  });

  test('a connect callback that throws a plain error becomes a CoreError', async () => {
    const p = pool(() => Promise.reject(new TypeError('boom')));
    const e = await rejectsWith(p.status({ contextName: 'x', endpoint: 'ssh://h' }), 'internal');
    assert.match(e.message, /boom/);
    p.dispose();
  });
});

describe('EnginePool local endpoints', () => {
  test('a unix socket that does not exist', async () => {
    const p = pool(() => assert.fail('no ssh'));
    const sock = path.join(tmp, 'absent.sock');
    const e = await rejectsWith(p.status({ contextName: 'local', endpoint: `unix://${sock}` }), 'dockerSocketMissing');
    assert.equal(e.details.path, sock);
    // A socket of this machine: the message must not name a remote host.
    assert.equal(e.details.local, true);
    assert.equal(e.details.host, undefined);
    p.dispose();
  });

  test('TLS material: an empty directory, or a certificate without its key', async () => {
    const p = pool(() => assert.fail('no ssh'));
    const empty = fs.mkdtempSync(path.join(tmp, 'tls-'));
    const none = await rejectsWith(
      p.status({ contextName: 'tls', endpoint: 'tcp://127.0.0.1:1', tlsDir: empty }),
      'tlsMaterialMissing',
    );
    assert.equal(none.details.detail, 'empty');
    const half = fs.mkdtempSync(path.join(tmp, 'tls-'));
    fs.writeFileSync(path.join(half, 'cert.pem'), 'x');
    const e = await rejectsWith(
      p.info({ contextName: 'tls2', endpoint: 'tcp://127.0.0.1:1', tlsDir: half }),
      'tlsMaterialMissing',
    );
    assert.equal(e.details.name, 'tls2');
    assert.equal(e.details.detail, 'keyMissing');
    assert.equal(e.details.file, path.join(half, 'key.pem'));
    p.dispose();
  });
});

describe('dockerode from the pool', () => {
  test('ignores DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY of this process and leaves them as they were', async () => {
    const names = ['DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'] as const;
    const saved = names.map((n) => process.env[n]);
    // docker-modem's constructor would throw on this DOCKER_HOST and read certificates from this path.
    process.env.DOCKER_HOST = 'tcp://[bad';
    process.env.DOCKER_CERT_PATH = path.join(tmp, 'no-such-dir');
    process.env.DOCKER_TLS_VERIFY = '1';
    const p = pool(() => assert.fail('no ssh'));
    try {
      const sock = path.join(tmp, 'none.sock');
      const docker = await p.docker({ contextName: 'local', endpoint: `unix://${sock}` });
      const modem = docker.modem as { socketPath?: unknown; host?: unknown; protocol?: unknown; ca?: unknown };
      assert.equal(modem.socketPath, sock);
      assert.equal(modem.host, undefined);
      assert.equal(modem.protocol, 'http');
      assert.equal(modem.ca, undefined);
      assert.equal(process.env.DOCKER_HOST, 'tcp://[bad');
      assert.equal(process.env.DOCKER_TLS_VERIFY, '1');
      // Its calls fail with the pool's reasons, not docker-modem's raw errors.
      await rejectsWith(docker.ping(), 'dockerSocketMissing');
    } finally {
      p.dispose();
      names.forEach((n, i) => {
        const v = saved[i];
        if (v === undefined) {
          delete process.env[n];
        } else {
          process.env[n] = v;
        }
      });
    }
  });
});

describe("dockerode calls and the caller's signal", () => {
  test("a complete answer lets go of the caller's signal (a long-lived signal must not collect listeners)", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'fake-'));
    const fake = await startFakeDaemon(dir, { info: '{"ID":"x"}', version: '{"Version":"1"}' });
    const p = pool(() => assert.fail('no ssh'));
    try {
      const docker = await p.docker({ contextName: 'fake', endpoint: fake.endpoint });
      const ac = new AbortController();
      for (let i = 0; i < 20; i++) {
        assert.deepEqual(await docker.listContainers({ abortSignal: ac.signal }), []);
      }
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'a listener per finished call would pile up');
    } finally {
      p.dispose();
      await fake.close();
    }
  });
});

describe('ACK nudge (stall fix 2)', () => {
  test('one packet per burst of data, without asking for a reply', async () => {
    const calls: unknown[][] = [];
    const client = { unforwardIn: (...args: unknown[]) => calls.push(args) } as unknown as Client;
    const nudger = createAckNudger(client);
    const a = new PassThrough();
    const b = new PassThrough();
    nudger.watch(a);
    nudger.watch(b);
    a.write('x');
    a.write('y');
    b.write('z');
    await new Promise((r) => setImmediate(r));
    assert.equal(nudger.sent, 1, 'data within one turn of the event loop');
    assert.equal(calls[0]?.length, 2, 'no callback: the server sends no answer');
    b.write('again');
    await new Promise((r) => setImmediate(r));
    assert.equal(nudger.sent, 2);
  });

  test("watches the whole connection when ssh2 exposes its stream (the first channel waits behind sshd's post-login notice otherwise)", async () => {
    const sock = new PassThrough();
    let calls = 0;
    const client = { _sock: sock, unforwardIn: () => calls++ } as unknown as Client;
    const nudger = createAckNudger(client);
    assert.equal(nudger.wholeConnection, true);
    const ch = new PassThrough();
    nudger.watch(ch);
    ch.write('channel data is part of the connection stream: no second listener');
    sock.write('any packet');
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    assert.equal(createAckNudger(client, { wholeConnection: false }).wholeConnection, false);
  });

  test('a closed connection is not an error', () => {
    const client = {
      unforwardIn: () => {
        throw new Error('Not connected');
      },
    } as unknown as Client;
    const nudger = createAckNudger(client);
    const a = new PassThrough();
    nudger.watch(a);
    assert.doesNotThrow(() => a.write('x'));
    assert.equal(nudger.sent, 0);
  });
});
