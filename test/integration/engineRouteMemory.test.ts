/**
 * The pool remembers, per endpoint and in memory only, which daemon the remote docker CLI dials
 * (so a reconnect does not wait for the question). When the remote user points their CLI at
 * another daemon between two connections, the reconnect's background question notices, and the
 * pool goes to the daemon the CLI now dials: the status never stays on the old one.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EnginePool } from '../../src/core/engine/enginePool';
import { connectSsh, type SshConnection } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  engineRequest,
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
import { waitFor } from '../support/waitFor';

const T = { timeout: 240_000 };

describe('the remote CLI choice remembered between connections', () => {
  let first: Dockerd;
  let second: Dockerd;
  let sshd: Sshd;
  let user: TestUser;
  let h: TempHome;

  before(async () => {
    requireRoot('engine route memory');
    [first, second, sshd] = await Promise.all([startDockerd(), startDockerd(), startSshd()]);
    user = await createUser({ docker: true, dockerHost: first.host });
    fs.chmodSync(path.dirname(second.socket), 0o711);
    h = tempHome();
  });

  after(async () => {
    await user?.remove();
    await sshd?.dispose();
    await Promise.allSettled([first?.stop(), second?.stop()]);
    h?.remove();
  });

  it('follows the remote user to another daemon after a reconnect', T, async () => {
    const key = await generateKey(h.home);
    user.authorizeKey(key.publicLine);
    appendSshConfig(
      h.home,
      sshHostBlock({ alias: 'mem', port: sshd.port, user: user.name, identityFile: key.privateKey }),
    );
    addKnownHost(h.home, knownHostsLine(sshd));
    const host = await resolveHost('mem', {
      configFile: path.join(h.sshDir, 'config'),
      home: h.home,
      localUser: os.userInfo().username,
    });
    const connections: SshConnection[] = [];
    const pool = new EnginePool({
      connect: async (_e, signal) => {
        const c = await connectSsh({ host, env: h.env, home: h.home, signal });
        connections.push(c);
        return c;
      },
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 300_000,
    });
    // The daemons share an ID (the machine's key): their data roots tell them apart.
    const rootOf = async (d: Dockerd): Promise<string> =>
      (JSON.parse((await engineRequest(d.socket, 'GET', '/info')).body) as { DockerRootDir: string }).DockerRootDir;
    const [firstId, secondId] = [await rootOf(first), await rootOf(second)];
    assert.notEqual(firstId, secondId);
    const target = { contextName: 'mem', endpoint: 'ssh://mem' };
    /** The status, then the data root of the daemon it reached. */
    const reached = async (): Promise<string> => {
      await pool.status(target);
      return ((await pool.rawInfo(target)).info as { DockerRootDir: string }).DockerRootDir;
    };
    try {
      assert.equal(await reached(), firstId);
      // The remote user switches their CLI to the other daemon; then the connection drops.
      const envFile = path.join(user.home, '.ssh', 'environment');
      fs.writeFileSync(envFile, `DOCKER_HOST=${second.host}\n`);
      connections[0].close();
      await connections[0].closed;
      // The reconnect may answer once from the remembered daemon; the question asked alongside
      // then closes that connection, and the next status reaches the daemon the CLI now dials.
      await waitFor(
        'the status to follow the remote CLI to the other daemon',
        reached,
        (id) => id === secondId,
        60_000,
      );
      assert.ok(connections.length >= 2);
      // And it stays there: the next reconnect follows the new choice at once.
      connections[connections.length - 1].close();
      await connections[connections.length - 1].closed;
      assert.equal(await reached(), secondId);
    } finally {
      pool.dispose();
    }
  });
});
