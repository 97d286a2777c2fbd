/**
 * The daemon an ssh:// context without a socket path reaches is the one the remote docker CLI
 * dials, with two daemons on the "remote" (A on a unix socket, B on a unix socket and on
 * tcp://127.0.0.1) and the docker CLI as the oracle (`docker --context X info --format
 * '{{.ID}}'`): the remote user's DOCKER_HOST naming tcp:// (→ dial-stdio), the remote user's
 * current context (→ stream-local to its socket), DOCKER_HOST beating the current context, and a
 * current context that is itself ssh:// (→ dial-stdio, which the remote CLI routes on). The choice
 * is asked once per endpoint for the pool's life (a reconnect runs no remote command, counted in
 * sshd's log), and asked again when the socket it named goes away.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { ContextStore } from '../../src/core/contexts/contextStore';
import { EnginePool, type EnginePoolOptions, type EngineTarget } from '../../src/core/engine/enginePool';
import { connectSsh } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  DOCKER_CLI,
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
import { SYSTEM_PATH } from '../support/tempHome';

const T = { timeout: 600_000 };

let a: Dockerd;
let b: Dockerd;
let idA: string;
let idB: string;
let sshd: Sshd;
let h: TempHome;
let store: ContextStore;
const users: TestUser[] = [];
/** The remote user whose current context changes in the last test. */
let ctxUser: TestUser;
const pools: EnginePool[] = [];

/** The docker CLI run as a remote user, in that user's home (what their sessions see). */
async function remoteDocker(u: TestUser, args: string[]): Promise<void> {
  const r = await runProcess(
    'runuser',
    ['-u', u.name, '--', 'env', '-i', `HOME=${u.home}`, `PATH=${SYSTEM_PATH}`, DOCKER_CLI, ...args],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, `docker ${args.join(' ')} as ${u.name}: ${r.stderr}`);
}

async function localDocker(args: string[]): Promise<string> {
  const r = await runProcess(DOCKER_CLI, args, { env: h.env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function daemonId(d: Dockerd): Promise<string> {
  return (JSON.parse((await engineRequest(d.socket, 'GET', '/info')).body) as { ID: string }).ID;
}

/** A remote user whose own ssh client logs in to `target` on the test sshd (for an ssh:// remote context). */
async function giveSshClient(u: TestUser, target: TestUser): Promise<void> {
  const key = path.join(u.home, '.ssh', 'id_ed25519');
  const r = await runProcess('runuser', ['-u', u.name, '--', 'ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key]);
  assert.equal(r.code, 0, r.stderr);
  target.authorizeKey(fs.readFileSync(`${key}.pub`, 'utf8'));
  const kh = path.join(u.home, '.ssh', 'known_hosts');
  fs.writeFileSync(kh, `${knownHostsLine(sshd)}\n`, { mode: 0o600 });
  fs.chownSync(kh, u.uid, u.gid);
}

const connect: EnginePoolOptions['connect'] = async (endpoint, signal) => {
  const resolved = await resolveHost(endpoint.host ?? '', {
    configFile: path.join(h.sshDir, 'config'),
    home: h.home,
    localUser: os.userInfo().username,
    signal,
  });
  return connectSsh({ host: resolved, env: h.env, home: h.home, signal, timeoutMs: 60_000 });
};

function newPool(): EnginePool {
  const p = new EnginePool({ connect, requestTimeoutMs: 60_000, idleTimeoutMs: 300_000 });
  pools.push(p);
  return p;
}

async function target(name: string): Promise<EngineTarget> {
  const c = await store.get(name);
  return { contextName: c.name, endpoint: c.endpoint, skipTLSVerify: c.skipTLSVerify };
}

/** Sessions that ran a command (not forwarding) for a user, in a piece of sshd's log. */
function commandSessions(log: string, u: TestUser): number {
  return log.split('\n').filter((l) => l.includes('Starting session: command') && l.includes(` for ${u.name} `)).length;
}

before(async () => {
  requireRoot('remote CLI choice tests');
  [a, b, sshd] = await Promise.all([
    startDockerd({ ownId: true }),
    startDockerd({ ownId: true, tcp: {} }),
    startSshd(),
  ]);
  [idA, idB] = await Promise.all([daemonId(a), daemonId(b)]);
  h = tempHome();
  store = new ContextStore({ configDir: h.dockerConfig, env: h.env });
  addKnownHost(h.home, knownHostsLine(sshd));
  const key = await generateKey(h.home);
  const make = async (alias: string, dockerHost?: string): Promise<TestUser> => {
    const u = await createUser({ docker: true, ...(dockerHost ? { dockerHost } : {}) });
    users.push(u);
    u.authorizeKey(key.publicLine);
    appendSshConfig(h.home, sshHostBlock({ alias, port: sshd.port, user: u.name, identityFile: key.privateKey }));
    await localDocker(['context', 'create', alias, '--docker', `host=ssh://${alias}`]);
    return u;
  };
  // DOCKER_HOST (in ~/.ssh/environment, PermitUserEnvironment) naming B's tcp:// listener.
  await make('cli-tcp', `tcp://127.0.0.1:${String(b.tcpPort)}`);
  // No DOCKER_HOST; the remote user's current context names B's socket (and "ctx-a" names A's).
  ctxUser = await make('cli-ctx');
  await remoteDocker(ctxUser, ['context', 'create', 'ctx-a', '--docker', `host=${a.host}`]);
  await remoteDocker(ctxUser, ['context', 'create', 'ctx-b', '--docker', `host=${b.host}`]);
  await remoteDocker(ctxUser, ['context', 'use', 'ctx-b']);
  // DOCKER_HOST (A) and a current context (B): DOCKER_HOST wins, as in the CLI.
  const both = await make('cli-both', a.host);
  await remoteDocker(both, ['context', 'create', 'ctx-b', '--docker', `host=${b.host}`]);
  await remoteDocker(both, ['context', 'use', 'ctx-b']);
  // The current context is ssh:// to the cli-ctx user: the remote CLI goes on over SSH.
  const hop = await make('cli-ssh');
  await giveSshClient(hop, ctxUser);
  await remoteDocker(hop, [
    'context',
    'create',
    'hop',
    '--docker',
    `host=ssh://${ctxUser.name}@127.0.0.1:${sshd.port}`,
  ]);
  await remoteDocker(hop, ['context', 'use', 'hop']);
});

after(async () => {
  for (const p of pools) {
    p.dispose();
  }
  await Promise.allSettled(users.map((u) => u.remove()));
  await Promise.allSettled([sshd?.dispose(), a?.stop(), b?.stop()]);
  h?.remove();
});

describe('the daemon the remote docker CLI dials', () => {
  it(
    'tcp://, the current context, DOCKER_HOST over the context, ssh://: the same daemon ID as the CLI',
    T,
    async () => {
      assert.notEqual(idA, idB, 'precondition: two daemons with their own IDs');
      const expected: Record<string, { id: string; transport: string }> = {
        'cli-tcp': { id: idB, transport: 'dial-stdio' },
        'cli-ctx': { id: idB, transport: 'streamlocal' },
        'cli-both': { id: idA, transport: 'streamlocal' },
        'cli-ssh': { id: idB, transport: 'dial-stdio' },
      };
      for (const [name, want] of Object.entries(expected)) {
        const cliId = await localDocker(['--context', name, 'info', '--format', '{{.ID}}']);
        assert.equal(cliId, want.id, `oracle for ${name}`);
        const p = newPool();
        const info = await p.info(await target(name));
        assert.equal(info.id, cliId, name);
        assert.equal(info.transport, want.transport, name);
        p.dispose();
      }
    },
  );

  it(
    'a reconnect follows the remembered choice at once (the remote CLI is re-asked alongside, once); a changed choice is followed',
    T,
    async () => {
      const t = await target('cli-ctx');
      const p = newPool();
      let mark = sshd.logMark();
      assert.equal((await p.status(t)).id, idB);
      assert.equal(commandSessions(sshd.logSince(mark), ctxUser), 1, 'the cold connection asks the remote CLI');

      for (let i = 0; i < 3; i++) {
        p.close(t.endpoint);
        mark = sshd.logMark();
        assert.equal((await p.status(t)).id, idB);
        await p.status(t);
        const log = sshd.logSince(mark);
        assert.ok(
          commandSessions(log, ctxUser) <= 1,
          `reconnect ${i + 1} asked the remote CLI more than once:\n${log}`,
        );
      }
      assert.equal(p.stats().connectsTotal, 4, 'the same answer on re-asking: no extra reconnect');

      // The remote user switches to A: the re-ask of the next connection sees it, and the pool
      // then reaches A, as the CLI does.
      await remoteDocker(ctxUser, ['context', 'use', 'ctx-a']);
      try {
        p.close(t.endpoint);
        let id: string | undefined;
        for (let i = 0; i < 50 && id !== idA; i++) {
          id = await p.status(t).then(
            (info) => info.id,
            () => undefined,
          );
          if (id !== idA) {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        assert.equal(id, idA);
        assert.equal(await localDocker(['--context', 'cli-ctx', 'info', '--format', '{{.ID}}']), idA);
      } finally {
        await remoteDocker(ctxUser, ['context', 'use', 'ctx-b']);
      }
    },
  );
});
