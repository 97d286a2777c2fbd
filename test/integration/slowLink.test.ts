/**
 * A far-away host: everything goes through the delaying proxy at 300 ms round-trip time, with
 * the default timeouts (connect 15 s, remote commands 30 s, engine requests 30 s). The guided
 * connect flow's core steps (new key, host key trusted, key installed with the password, Host
 * block written, diagnose through the alias, context created) and the status must work there
 * without a false "unreachable"; and the status must not wait on more round trips than its
 * protocol needs (counted by the proxy, not timed).
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContextStore } from '../../src/core/contexts/contextStore';
import { parseEndpoint } from '../../src/core/contexts/endpoint';
import { diagnoseHost } from '../../src/core/diagnose/diagnose';
import { EnginePool } from '../../src/core/engine/enginePool';
import { connectForEngine } from '../../src/core/engine/engineSshTarget';
import { connectSsh, type SshConnection } from '../../src/core/ssh/connection';
import { copyPublicKey } from '../../src/core/ssh/copyId';
import { generateKey } from '../../src/core/ssh/keys';
import { PassphraseCache } from '../../src/core/ssh/passphraseCache';
import { resolveHost, type EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import { addSshHost } from '../../src/core/sshConfig/sshConfigEdit';
import {
  DOCKER_CLI,
  createUser,
  requireRoot,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { startDelayProxy, type DelayProxy } from '../support/delayProxy';
import { runProcess } from '../../src/core/common/exec';

const T = { timeout: 300_000 };
const RTT_MS = 300;
/** The default of remoteDocker.engine.requestTimeout (30 s). */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * An SSH login's round trips: TCP, the version strings, the key exchange, the userauth service,
 * the public key offered, the signature. One more would mean a method nobody needed ("none").
 */
const LOGIN_ROUND_TRIPS = 6;

describe(`a host ${RTT_MS} ms away`, () => {
  let dockerd: Dockerd;
  let sshd: Sshd;
  let user: TestUser;
  let h: TempHome;
  let proxy: DelayProxy;
  let host: EffectiveHost;
  const config = (): string => path.join(h.sshDir, 'config');

  before(async () => {
    requireRoot('slow link tests');
    [dockerd, sshd] = await Promise.all([startDockerd(), startSshd({ passwordAuth: true })]);
    user = await createUser({ docker: true, dockerHost: dockerd.host });
    h = tempHome();
    proxy = await startDelayProxy({ targetPort: sshd.port, delayMs: RTT_MS / 2 });
  });

  after(async () => {
    await proxy?.close();
    await user?.remove();
    await sshd?.dispose();
    await dockerd?.stop();
    h?.remove();
  });

  it('the guided connect flow: key, host key, password install, Host block, diagnose, context', T, async () => {
    const keyPath = path.join(h.sshDir, 'id_far');
    await generateKey({ privateKeyPath: keyPath, comment: 'far' });
    await addSshHost(
      config(),
      { alias: 'far', hostName: '127.0.0.1', user: user.name, port: proxy.port, identityFile: keyPath },
      { home: h.home },
    );
    host = await resolveHost('far', { configFile: config(), home: h.home, localUser: os.userInfo().username });
    let asked = 0;
    const installed = await copyPublicKey({
      host,
      env: h.env,
      home: h.home,
      privateKeyPath: keyPath,
      prompts: {
        confirmHostKey: () => Promise.resolve(true),
        password: () => {
          asked++;
          return Promise.resolve(user.password);
        },
      },
    });
    assert.equal(installed.status, 'installed');
    assert.equal(asked, 1);
    const steps = await diagnoseHost({ host: { ...host, strictHostKeyChecking: 'yes' }, env: h.env, home: h.home });
    const bad = steps.filter((s) => s.status === 'failed');
    assert.deepEqual(bad, [], JSON.stringify(steps));
    assert.equal(steps.find((s) => s.id === 'daemon')?.status, 'ok');
    const store = new ContextStore({ configDir: h.dockerConfig, env: h.env });
    await store.create({ name: 'far', endpoint: 'ssh://far' });
    // The oracle: the docker CLI through OpenSSH, over the same slow link.
    const info = await runProcess(DOCKER_CLI, ['--context', 'far', 'info', '--format', '{{.Architecture}}'], {
      env: h.env,
      timeoutMs: 120_000,
    });
    assert.equal(info.code, 0, info.stderr);
  });

  it(`an SSH login costs ${LOGIN_ROUND_TRIPS} round trips: the right key is offered first`, T, async () => {
    const before = proxy.stats().roundTrips;
    const conn = await connectSsh({ host: { ...host, strictHostKeyChecking: 'yes' }, env: h.env, home: h.home });
    const used = proxy.stats().roundTrips - before;
    conn.close();
    await conn.closed;
    assert.ok(used <= LOGIN_ROUND_TRIPS, `the login took ${used} round trips`);
  });

  it('the status: cold, warm and after a reconnect, within the round trips its protocol needs', T, async () => {
    const connections: SshConnection[] = [];
    const passphrases = new PassphraseCache();
    let handshake = 0;
    const pool = new EnginePool({
      connect: async (endpoint, signal) => {
        const before = proxy.stats().roundTrips;
        const c = await connectForEngine(
          {
            resolve: () => Promise.resolve(host),
            connectOptions: (hh, o) => ({ host: hh, env: h.env, home: h.home, passphrases, signal: o.signal }),
            passphrases,
            keepaliveIntervalMs: 15_000,
          },
          endpoint,
          signal,
          undefined,
        );
        handshake = proxy.stats().roundTrips - before;
        if ('kind' in c) {
          throw new Error('no system ssh client was configured');
        }
        connections.push(c);
        return c;
      },
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      idleTimeoutMs: 300_000,
    });
    const target = { contextName: 'far', endpoint: 'ssh://far' };
    assert.equal(parseEndpoint(target.endpoint).scheme, 'ssh');
    try {
      const count = async (fn: () => Promise<unknown>): Promise<number> => {
        const before = proxy.stats().roundTrips;
        await fn();
        return proxy.stats().roundTrips - before;
      };
      const cold = await count(async () => assert.equal((await pool.status(target)).architecture, 'x86_64'));
      assert.ok(handshake <= LOGIN_ROUND_TRIPS, `login: ${handshake}`);
      // The first connection also asks the remote CLI which daemon it dials (a session channel
      // and its command: two round trips at least), and this test user's CLI dials a socket other
      // than the default one, which then needs its own channel.
      // (Bounds on the totals: where the proxy puts the boundary between the login's last round
      // trip and the first channel's may shift by one.)
      assert.ok(cold <= LOGIN_ROUND_TRIPS + 5, `cold status: ${handshake} + ${cold - handshake} round trips`);

      // The agent keeps two idle channels of the three: the third one's close must not count as
      // the daemon going away (that would read /info again on the next status).
      while (pool.stats().openChannels > 2) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const reads = pool.stats().infoReads;
      assert.equal(await count(() => pool.status(target)), 1, 'a warm status is one round trip');
      assert.equal(pool.stats().infoReads, reads, 'and reads /info only once per connection');

      // A dropped connection (or the idle close): the remote CLI's choice and the socket are
      // remembered, so the reconnect waits on the login, one channel, and the three requests.
      connections[0].close();
      await connections[0].closed;
      const again = await count(() => pool.status(target));
      assert.equal(connections.length, 2);
      assert.ok(again <= LOGIN_ROUND_TRIPS + 2, `reconnect status: ${handshake} + ${again - handshake} round trips`);
    } finally {
      pool.dispose();
      await Promise.all(connections.map((c) => c.closed));
    }
  });
});
