/**
 * Two contexts on one SSH host with different Docker sockets (two dockerds behind one sshd)
 * share one SSH connection in the engine pool: a switch between them logs in once (counted in
 * sshd's log), and each still answers with its own daemon's ID, the one
 * `docker --context X info` reports (a context without a path too: the remote CLI's choice is
 * asked on the shared connection). Letting one endpoint go idle keeps the connection for the
 * other; closing one on purpose (a new login wanted) closes it for both.
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { EnginePool, type ConnectionEvent, type EngineTarget } from '../../src/core/engine/enginePool';
import { connectSsh } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  DOCKER_CLI,
  generateKey,
  knownHostsLine,
  requireRoot,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';

const T = { timeout: 300_000 };
const ALIAS = 'shared-host';

let dockerdA: Dockerd;
let dockerdB: Dockerd;
let sshd: Sshd;
let user: TestUser;
let home: TempHome;
let a: EngineTarget;
let b: EngineTarget;
/** No socket path: the remote CLI's choice (the user's DOCKER_HOST, daemon a). */
let plain: EngineTarget;
const pools: EnginePool[] = [];

function newPool(idleTimeoutMs = 300_000): EnginePool {
  const pool = new EnginePool({
    connect: async (endpoint, signal) => {
      const host = await resolveHost(endpoint.host ?? '', {
        configFile: path.join(home.sshDir, 'config'),
        home: home.home,
        localUser: os.userInfo().username,
        signal,
      });
      return connectSsh({ host, env: home.env, home: home.home, signal, timeoutMs: 30_000 });
    },
    requestTimeoutMs: 60_000,
    idleTimeoutMs,
  });
  pools.push(pool);
  return pool;
}

async function cliId(context: string): Promise<string> {
  const r = await runProcess(DOCKER_CLI, ['--context', context, 'info', '--format', '{{.ID}}'], {
    env: home.env,
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

function nextEvent(pool: EnginePool, pred: (e: ConnectionEvent) => boolean): Promise<ConnectionEvent> {
  return new Promise((resolve) => {
    const sub = pool.onDidChangeConnection((e) => {
      if (pred(e)) {
        sub.dispose();
        resolve(e);
      }
    });
  });
}

describe('engine pool: contexts on one host with different sockets share one SSH connection', () => {
  before(async () => {
    requireRoot('engineSharedConnection');
    [dockerdA, dockerdB, sshd] = await Promise.all([
      startDockerd({ ownId: true }),
      startDockerd({ ownId: true }),
      startSshd(),
    ]);
    user = await createUser({ docker: true, dockerHost: dockerdA.host });
    home = tempHome('rdc-shared-conn-');
    const key = await generateKey(home.home);
    user.authorizeKey(key.publicLine);
    appendSshConfig(
      home.home,
      sshHostBlock({ alias: ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey }),
    );
    addKnownHost(home.home, knownHostsLine(sshd));
    a = { contextName: 'shared-a', endpoint: `ssh://${ALIAS}${dockerdA.socket}` };
    b = { contextName: 'shared-b', endpoint: `ssh://${ALIAS}${dockerdB.socket}` };
    plain = { contextName: 'shared-plain', endpoint: `ssh://${ALIAS}` };
    for (const t of [a, b, plain]) {
      const r = await runProcess(DOCKER_CLI, ['context', 'create', t.contextName, '--docker', `host=${t.endpoint}`], {
        env: home.env,
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    for (const p of pools) {
      p.dispose();
    }
    await user?.remove();
    await Promise.allSettled([sshd?.dispose(), dockerdA?.stop(), dockerdB?.stop()]);
    home?.remove();
  });

  it('switching between the two contexts logs in once; each answers with its own daemon', T, async () => {
    const [idA, idB] = [await cliId(a.contextName), await cliId(b.contextName)];
    assert.notEqual(idA, idB, 'the two daemons have IDs of their own');
    const pool = newPool();
    const logins = await sshd.acceptedLogins();
    const first = await pool.status(a);
    const second = await pool.status(b);
    const back = await pool.status(a);
    assert.equal(first.id, idA, 'context a: the daemon docker --context a info reports');
    assert.equal(second.id, idB, 'context b: the daemon docker --context b info reports');
    assert.equal(back.id, idA);
    assert.equal((await sshd.acceptedLogins()) - logins, 1, 'one login in sshd log for both contexts');
    assert.equal(pool.stats().connectsTotal, 1);
    assert.equal(pool.stats().connections, 1);
  });

  it('two contexts of the host asked at once wait for one login', T, async () => {
    const [idA, idB] = [await cliId(a.contextName), await cliId(b.contextName)];
    const pool = newPool();
    const logins = await sshd.acceptedLogins();
    const [ia, ib] = await Promise.all([pool.status(a), pool.status(b)]);
    assert.deepEqual([ia.id, ib.id], [idA, idB]);
    assert.equal((await sshd.acceptedLogins()) - logins, 1);
    assert.equal(pool.stats().connectsTotal, 1);
  });

  it('a context without a socket path on the same host asks the remote CLI on the shared connection', T, async () => {
    const idB = await cliId(b.contextName);
    const idDefault = await cliId(plain.contextName);
    assert.equal(idDefault, await cliId(a.contextName), "the remote user's DOCKER_HOST names daemon a");
    const pool = newPool();
    const logins = await sshd.acceptedLogins();
    assert.equal((await pool.status(b)).id, idB);
    assert.equal((await pool.status(plain)).id, idDefault, 'the daemon the remote docker CLI dials');
    assert.equal((await sshd.acceptedLogins()) - logins, 1);
    assert.equal(pool.stats().connectsTotal, 1);
  });

  it(
    'one endpoint going idle keeps the connection for the other; closing one on purpose closes it for both',
    T,
    async () => {
      const idB = await cliId(b.contextName); // the CLI logs in too: asked before counting
      const pool = newPool(500);
      // b's side first, held: its idle close waits, whatever the machine's speed.
      const lease = await pool.lease(b);
      try {
        let leaseClosed = false;
        void lease.closed.then(() => (leaseClosed = true));
        const aIdle = nextEvent(pool, (e) => e.endpoint === a.endpoint && e.state === 'disconnected');
        await pool.status(a);
        await aIdle;
        const logins = await sshd.acceptedLogins();
        const again = await pool.status(b);
        assert.equal(again.id, idB);
        assert.equal((await sshd.acceptedLogins()) - logins, 0, "a's idle close left the connection to b");
        assert.equal(leaseClosed, false);
        assert.equal(pool.stats().connectsTotal, 1);

        const bGone = nextEvent(pool, (e) => e.endpoint === b.endpoint && e.state === 'disconnected');
        pool.close(a.endpoint);
        await bGone;
        assert.equal(await lease.closed, undefined, 'closed on purpose, not died');
        assert.equal((await pool.status(b)).id, idB);
        assert.equal((await sshd.acceptedLogins()) - logins, 1, 'the next request logged in again');
      } finally {
        lease.release();
      }
    },
  );
});
