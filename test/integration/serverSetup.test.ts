/**
 * The server setup of the guided flow against a real sshd, dockerd, sudo and real accounts:
 * a user with sudo rights (an entry that requires a password) who is not in the docker group
 * is added to it over SSH; a connection opened before still lacks the group, a new login has
 * it, and once the pool's connection is dropped the engine answers what `docker --context X
 * info` answers. A user without sudo rights and a wrong password end with their reasons, the
 * command for an administrator, and the group unchanged. The host's facts (os-release,
 * systemd) equal what this machine says of itself.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { diagnoseHost } from '../../src/core/diagnose/diagnose';
import { ContextStore } from '../../src/core/contexts/contextStore';
import { EnginePool, type EngineTarget } from '../../src/core/engine/enginePool';
import { parseOsRelease, readRemoteFacts } from '../../src/core/serverSetup/osRelease';
import { setupNeeds, setupOffers } from '../../src/core/serverSetup/setupOffers';
import { runSudo, type PrivilegedFix } from '../../src/core/serverSetup/sudo';
import { connectSsh, type SshConnection } from '../../src/core/ssh/connection';
import { execRemote } from '../../src/core/ssh/remoteExec';
import { resolveHost, type EffectiveHost } from '../../src/core/sshConfig/resolveHost';
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
import { rejectsWith } from '../support/rejectsWith';
import { grantSudo, type SudoersEntry } from '../support/sudoers';

const T = { timeout: 240_000 };

let dockerd: Dockerd;
let sshd: Sshd;
let home: TempHome;
let keyFile: string;
const users: TestUser[] = [];
const grants: SudoersEntry[] = [];
const pools: EnginePool[] = [];
const conns: SshConnection[] = [];

/** A user outside the docker group whose sessions use the test daemon, reached as `alias`. */
async function remoteUser(alias: string, o: { sudo?: boolean; noPassword?: boolean } = {}): Promise<TestUser> {
  const u = await createUser({ docker: false, dockerHost: dockerd.host });
  users.push(u);
  u.authorizeKey(fs.readFileSync(`${keyFile}.pub`, 'utf8'));
  if (o.sudo) {
    grants.push(await grantSudo(u.name, { noPassword: o.noPassword }));
  }
  appendSshConfig(home.home, sshHostBlock({ alias, port: sshd.port, user: u.name, identityFile: keyFile }));
  return u;
}

async function resolved(alias: string): Promise<EffectiveHost> {
  return resolveHost(alias, {
    configFile: path.join(home.sshDir, 'config'),
    home: home.home,
    localUser: os.userInfo().username,
  });
}

async function login(alias: string): Promise<SshConnection> {
  const c = await connectSsh({ host: await resolved(alias), env: home.env, home: home.home, timeoutMs: 30_000 });
  conns.push(c);
  return c;
}

async function groupsOverSsh(c: SshConnection): Promise<string[]> {
  const r = await execRemote(c.client, 'id -nG', { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split(/\s+/);
}

/** The account's groups as the system's database has them (not a session's). */
async function groupsOf(u: TestUser): Promise<string[]> {
  const r = await runProcess('id', ['-nG', u.name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split(/\s+/);
}

async function docker(args: string[]): Promise<string> {
  const r = await runProcess(DOCKER_CLI, args, { env: home.env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function newPool(): EnginePool {
  const p = new EnginePool({
    connect: async (endpoint, signal) =>
      connectSsh({
        host: await resolved(endpoint.host ?? ''),
        env: home.env,
        home: home.home,
        signal,
        timeoutMs: 30_000,
      }),
    requestTimeoutMs: 60_000,
    idleTimeoutMs: 300_000,
  });
  pools.push(p);
  return p;
}

const addToDocker = (u: TestUser): PrivilegedFix => ({ kind: 'addToGroup', group: 'docker', user: u.name });

before(async () => {
  requireRoot('server setup tests');
  [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
  home = tempHome();
  keyFile = (await generateKey(home.home)).privateKey;
  addKnownHost(home.home, knownHostsLine(sshd));
});

after(async () => {
  for (const c of conns) {
    c.close();
  }
  for (const p of pools) {
    p.dispose();
  }
  for (const g of grants) {
    g.remove();
  }
  await Promise.allSettled(users.map((u) => u.remove()));
  await Promise.allSettled([sshd?.dispose(), dockerd?.stop()]);
  home?.remove();
});

describe('server setup with sudo over SSH', () => {
  it('adds a sudoer to the docker group; a new login has it and the engine answers like the CLI', T, async () => {
    const u = await remoteUser('setup-ok', { sudo: true });
    await docker(['context', 'create', 'setup-ok', '--docker', 'host=ssh://setup-ok']);
    const store = new ContextStore({ configDir: home.dockerConfig, env: home.env });
    const ctx = await store.get('setup-ok');
    const target: EngineTarget = { contextName: ctx.name, endpoint: ctx.endpoint, skipTLSVerify: false };

    // The diagnosis the flow shows, and what it offers for it.
    const steps = await diagnoseHost({ host: await resolved('setup-ok'), env: home.env, home: home.home });
    const needs = setupNeeds(steps);
    assert.deepEqual(needs, [{ kind: 'addToGroup', user: u.name, group: 'docker' }]);
    assert.deepEqual(setupOffers(needs, undefined), [{ kind: 'sudo', fix: addToDocker(u) }]);

    // The pool's connection, made before the fix, cannot use the socket.
    const pool = newPool();
    await rejectsWith(pool.status(target), 'dockerSocketPermission');
    const before = await login('setup-ok');

    let asked = 0;
    const how = await runSudo(before.client, addToDocker(u), {
      askPassword: () => {
        asked++;
        return Promise.resolve(u.password);
      },
      where: { user: u.name, host: 'setup-ok' },
      deadline: { timeoutMs: 60_000 },
    });
    assert.equal(how, 'password');
    assert.equal(asked, 1);
    assert.ok((await groupsOf(u)).includes('docker'));

    // A session keeps the groups of its login: the old one still lacks docker, a new one has it.
    assert.ok(!(await groupsOverSsh(before)).includes('docker'));
    assert.ok((await groupsOverSsh(await login('setup-ok'))).includes('docker'));

    // The pool's connection is the old login too: it fails until it is dropped.
    await rejectsWith(pool.status(target), 'dockerSocketPermission');
    pool.close(ctx.endpoint);
    const info = await pool.info(target);
    const cli = JSON.parse(await docker(['--context', 'setup-ok', 'info', '--format', '{{json .}}'])) as Record<
      string,
      unknown
    >;
    assert.equal(info.operatingSystem, cli.OperatingSystem);
    assert.equal(info.architecture, cli.Architecture);
    assert.equal(info.name, cli.Name);
  });

  it(
    'a user without sudo rights gets sudoNotAllowed with the command for an administrator; the group is unchanged',
    T,
    async () => {
      const u = await remoteUser('setup-nosudo');
      const groups = await groupsOf(u);
      const c = await login('setup-nosudo');
      const err = await rejectsWith(
        runSudo(c.client, addToDocker(u), {
          askPassword: () => Promise.resolve(u.password),
          where: { user: u.name, host: 'setup-nosudo' },
          deadline: { timeoutMs: 60_000 },
        }),
        'sudoNotAllowed',
      );
      assert.equal(err.details.command, `sudo usermod -aG docker ${u.name}`);
      assert.equal(err.details.host, 'setup-nosudo');
      assert.deepEqual(await groupsOf(u), groups);
      assert.ok(!groups.includes('docker'));
    },
  );

  it('a wrong password gets sudoPasswordWrong, asked once; nothing changes', T, async () => {
    const u = await remoteUser('setup-wrongpw', { sudo: true });
    const groups = await groupsOf(u);
    const c = await login('setup-wrongpw');
    let asked = 0;
    const err = await rejectsWith(
      runSudo(c.client, addToDocker(u), {
        askPassword: () => {
          asked++;
          return Promise.resolve(`${u.password}-wrong`);
        },
        where: { user: u.name, host: 'setup-wrongpw' },
        deadline: { timeoutMs: 60_000 },
      }),
      'sudoPasswordWrong',
    );
    assert.equal(asked, 1);
    assert.equal(err.details.command, `sudo usermod -aG docker ${u.name}`);
    assert.deepEqual(await groupsOf(u), groups);
    // The session still works for the next try.
    assert.deepEqual(await groupsOverSsh(c), groups);
  });

  it('a sudoer who needs no password is not asked one', T, async () => {
    const u = await remoteUser('setup-nopasswd', { sudo: true, noPassword: true });
    const c = await login('setup-nopasswd');
    let asked = 0;
    const how = await runSudo(c.client, addToDocker(u), {
      askPassword: () => {
        asked++;
        return Promise.resolve(undefined);
      },
      where: { user: u.name, host: 'setup-nopasswd' },
      deadline: { timeoutMs: 60_000 },
    });
    assert.equal(how, 'noPassword');
    assert.equal(asked, 0);
    assert.ok((await groupsOf(u)).includes('docker'));
  });

  it('cancelling the password box runs nothing', T, async () => {
    const u = await remoteUser('setup-cancel', { sudo: true });
    const groups = await groupsOf(u);
    const c = await login('setup-cancel');
    await rejectsWith(
      runSudo(c.client, addToDocker(u), {
        askPassword: () => Promise.resolve(undefined),
        where: { user: u.name, host: 'setup-cancel' },
        deadline: { timeoutMs: 60_000 },
      }),
      'cancelled',
    );
    assert.deepEqual(await groupsOf(u), groups);
  });

  it("reads the host's os-release and whether systemd runs it, as this machine says of itself", T, async () => {
    await remoteUser('setup-facts');
    const facts = await readRemoteFacts((await login('setup-facts')).client, { timeoutMs: 30_000 });
    const local = parseOsRelease(fs.readFileSync('/etc/os-release', 'utf8'));
    assert.deepEqual(facts.os, local);
    assert.notEqual(facts.os.id, 'linux');
    assert.equal(facts.systemd, fs.existsSync('/run/systemd/system'));
  });
});
