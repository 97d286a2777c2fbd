/**
 * diagnoseHost against a real sshd + dockerd with real users: the ok path, each Docker-side
 * failure with its reason and fix, the connection-side failures with later steps skipped; and
 * the whole chain the product promises: an alias this project wrote, a key it installed, a host
 * key it trusted, then the real docker CLI through `docker context create … host=ssh://ALIAS`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { copyPublicKey } from '../../src/core/ssh/copyId';
import { diagnoseHost, type DiagnoseStep, type DiagnoseStepId } from '../../src/core/diagnose/diagnose';
import { generateKey } from '../../src/core/ssh/keys';
import { resolveHost, type EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import { addSshHost } from '../../src/core/sshConfig/sshConfigEdit';
import {
  DOCKER_CLI,
  addKnownHost,
  closedPort,
  createUser,
  engineRequest,
  knownHostsLine,
  requireRoot,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { ssh2Exec, ssh2Login } from '../support/ssh2Client';

const T = { timeout: 240_000 };

function step(steps: DiagnoseStep[], id: DiagnoseStepId): DiagnoseStep {
  const s = steps.find((x) => x.id === id);
  assert.ok(s, `no step ${id}`);
  return s;
}

function statuses(steps: DiagnoseStep[]): Record<string, string> {
  return Object.fromEntries(steps.map((s) => [s.id, s.reason ? `${s.status}:${s.reason}` : s.status]));
}

describe('diagnoseHost against a real sshd and dockerd', () => {
  let dockerd: Dockerd;
  let sshd: Sshd;
  let noForwarding: Sshd;
  let h: TempHome;
  let keyLine: string;
  const users: TestUser[] = [];

  const user = async (o: Parameters<typeof createUser>[0]): Promise<TestUser> => {
    const u = await createUser(o);
    users.push(u);
    u.authorizeKey(keyLine);
    return u;
  };
  const host = (server: Pick<Sshd, 'port'>, u: TestUser | string, o: Partial<EffectiveHost> = {}): EffectiveHost => ({
    alias: 'diag',
    hostname: '127.0.0.1',
    user: typeof u === 'string' ? u : u.name,
    port: server.port,
    identityFiles: [path.join(h.sshDir, 'id_ed25519')],
    identitiesOnly: true,
    userKnownHostsFiles: [path.join(h.sshDir, 'known_hosts')],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hashKnownHosts: false,
    source: 'builtin',
    ...o,
  });
  const run = (
    server: Pick<Sshd, 'port'>,
    u: TestUser | string,
    socketPath: string | undefined,
    o: Partial<EffectiveHost> = {},
  ): Promise<DiagnoseStep[]> =>
    diagnoseHost({
      host: host(server, u, o),
      env: h.env,
      home: h.home,
      timeoutMs: 30_000,
      ...(socketPath ? { socketPath } : {}),
    });

  before(async () => {
    requireRoot('diagnose tests');
    dockerd = await startDockerd();
    sshd = await startSshd();
    noForwarding = await startSshd({ allowStreamLocal: false });
    h = tempHome();
    const key = await generateKey({ privateKeyPath: path.join(h.sshDir, 'id_ed25519'), comment: 'diag' });
    keyLine = key.publicKey;
    addKnownHost(h.home, knownHostsLine(sshd));
    addKnownHost(h.home, knownHostsLine(noForwarding));
  });

  after(async () => {
    for (const u of users) {
      await u.remove();
    }
    await sshd?.dispose();
    await noForwarding?.dispose();
    await dockerd?.stop();
    h?.remove();
  });

  it('reports every step ok for a user in the docker group', T, async () => {
    const u = await user({ docker: true, dockerHost: dockerd.host });
    const steps = await run(sshd, u, dockerd.socket);
    assert.deepEqual(statuses(steps), {
      resolve: 'ok',
      tcp: 'ok',
      hostKey: 'ok',
      auth: 'ok',
      dockerCli: 'ok',
      dockerSocket: 'ok',
      daemon: 'ok',
    });
    // The oracle: `command -v docker` in a session of the same sshd, by a client independent of the code.
    const c = await ssh2Login({
      port: sshd.port,
      username: u.name,
      hostKeyPub: sshd.hostKeyPub,
      privateKey: fs.readFileSync(path.join(h.sshDir, 'id_ed25519')),
    });
    try {
      const which = await ssh2Exec(c, 'command -v docker');
      assert.equal(step(steps, 'dockerCli').params?.path, which.stdout.trim());
    } finally {
      c.end();
    }
    assert.equal(step(steps, 'hostKey').params?.fingerprint, sshd.hostKeyFingerprint);
    assert.equal(step(steps, 'daemon').note, 'pingOk');
    // The same way to the socket as the engine pool: forwarding to the URL's path.
    assert.equal(step(steps, 'dockerSocket').route, 'streamlocal');
    assert.equal(step(steps, 'dockerSocket').params?.path, dockerd.socket);
    assert.equal(step(steps, 'daemon').route, 'streamlocal');
    const version = JSON.parse((await engineRequest(dockerd.socket, 'GET', '/version')).body) as { ApiVersion: string };
    assert.equal(step(steps, 'daemon').params?.apiVersion, version.ApiVersion);
    for (const s of steps) {
      assert.ok(s.durationMs >= 0);
    }
  });

  it('tells a user outside the docker group how to fix it', T, async () => {
    const u = await user({ docker: false, dockerHost: dockerd.host });
    const steps = await run(sshd, u, dockerd.socket);
    const sock = step(steps, 'dockerSocket');
    assert.equal(sock.status, 'failed');
    assert.equal(sock.reason, 'dockerSocketPermission');
    assert.deepEqual(sock.fix, { kind: 'addToDockerGroup', command: `sudo usermod -aG docker ${u.name}` });
    assert.equal(step(steps, 'daemon').status, 'skipped');
    assert.equal(step(steps, 'auth').status, 'ok');

    // Following the fix, a new login works.
    const r = await runProcess('usermod', ['-aG', 'docker', u.name], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(step(await run(sshd, u, dockerd.socket), 'dockerSocket').status, 'ok');
  });

  it('warns when docker is not on the PATH of non-interactive sessions but the socket is reachable', T, async () => {
    const u = await user({ docker: true, dockerHost: dockerd.host });
    // A PATH with a shell and a few tools, but no docker (sshd reads ~/.ssh/environment).
    const bin = path.join(u.home, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['sh', 'id', 'ls']) {
      fs.symlinkSync(`/bin/${tool}`, path.join(bin, tool));
    }
    fs.appendFileSync(path.join(u.home, '.ssh', 'environment'), `PATH=${bin}\n`);
    const steps = await run(sshd, u, dockerd.socket);
    const cli = step(steps, 'dockerCli');
    assert.equal(cli.status, 'warning');
    assert.equal(cli.reason, 'dockerCliMissing');
    // The CLI found off PATH is a real executable here, and the fix names its folder.
    const found = String(cli.params?.path ?? '');
    assert.ok(path.isAbsolute(found) && path.basename(found) === 'docker', found);
    fs.accessSync(found, fs.constants.X_OK);
    assert.deepEqual(cli.fix, { kind: 'addDockerToRemotePath', value: path.dirname(found) });
    assert.equal(step(steps, 'dockerSocket').status, 'ok');
    assert.equal(step(steps, 'daemon').status, 'ok');

    // Without socket forwarding nothing is left: the same gap is a failure.
    const blocked = await run(noForwarding, u, dockerd.socket);
    assert.equal(step(blocked, 'dockerCli').status, 'failed');
    assert.equal(step(blocked, 'dockerSocket').status, 'failed');
  });

  it(
    'says the login shell cannot run commands (nologin) while the socket still works through forwarding',
    T,
    async () => {
      const u = await user({ docker: true, shell: '/usr/sbin/nologin' });
      const steps = await run(sshd, u, dockerd.socket);
      const cli = step(steps, 'dockerCli');
      assert.equal(cli.status, 'warning');
      assert.equal(cli.reason, 'remoteShellNotPosix');
      assert.match(String(cli.params?.output), /not available/i);
      assert.deepEqual(cli.fix, { kind: 'changeLoginShell', command: `sudo chsh -s /bin/bash ${u.name}` });
      assert.equal(step(steps, 'dockerSocket').status, 'ok');
      assert.equal(step(steps, 'daemon').status, 'ok');
    },
  );

  it(
    'without a path in the URL, goes where the remote docker CLI goes (its DOCKER_HOST), like the pool',
    T,
    async () => {
      // The user's ~/.ssh/environment sets DOCKER_HOST to this dockerd; the default socket is
      // another place (absent on this machine, or another daemon): the CLI's choice wins.
      const u = await user({ docker: true, dockerHost: dockerd.host });
      const steps = await run(sshd, u, undefined);
      const sock = step(steps, 'dockerSocket');
      assert.equal(sock.status, 'ok', JSON.stringify(steps));
      assert.equal(sock.route, 'streamlocal');
      assert.equal(sock.params?.path, dockerd.socket);
      assert.equal(step(steps, 'daemon').status, 'ok');
      assert.equal(step(steps, 'daemon').route, 'streamlocal');
    },
  );

  it('falls back to docker system dial-stdio when the server refuses socket forwarding', T, async () => {
    const u = await user({ docker: true, dockerHost: dockerd.host });
    const steps = await run(noForwarding, u, dockerd.socket);
    const sock = step(steps, 'dockerSocket');
    assert.equal(sock.status, 'warning');
    assert.equal(sock.reason, 'streamLocalForbidden');
    assert.equal(sock.route, 'dial-stdio');
    assert.equal(step(steps, 'daemon').status, 'ok');
    assert.equal(step(steps, 'daemon').route, 'dial-stdio');
    assert.equal(step(steps, 'dockerCli').status, 'ok');
  });

  it('a socket path with quotes and $( ) is data: it reaches the remote on stdin, never a shell', T, async () => {
    const u = await user({ docker: true, dockerHost: dockerd.host });
    const marker = path.join(dockerd.dir, 'pwned');
    const evil = `${dockerd.dir}/x'$(touch ${marker})'";touch ${marker};".sock`;
    for (const server of [sshd, noForwarding]) {
      const steps = await run(server, u, evil);
      const sock = step(steps, 'dockerSocket');
      assert.equal(sock.status, 'failed', JSON.stringify(steps));
      assert.equal(sock.params?.path, evil);
      assert.equal(fs.existsSync(marker), false, 'no shell ran the path');
    }
    // A line break cannot travel as one stdin line: refused before anything runs.
    const broken = await run(sshd, u, '/tmp/a\nb.sock');
    assert.equal(step(broken, 'dockerSocket').reason, 'endpointInvalid');
  });

  it('reports daemonNotRunning when dockerd is stopped', T, async () => {
    const u = await user({ docker: true, dockerHost: dockerd.host });
    await dockerd.stopDaemonOnly();
    try {
      const steps = await run(sshd, u, dockerd.socket);
      const failed = steps.filter((s) => s.status === 'failed');
      assert.equal(failed.length, 1, JSON.stringify(statuses(steps)));
      assert.equal(failed[0]?.reason, 'daemonNotRunning');
      assert.equal(failed[0]?.fix?.kind, 'startDaemon');
      assert.equal(step(steps, 'auth').status, 'ok');
      assert.equal(step(steps, 'dockerCli').status, 'ok');
      // A socket file nobody listens on (a crashed daemon's leftover): the socket is fine, the daemon is not.
      const stale = path.join(dockerd.dir, 'stale.sock');
      const made = await runProcess(
        'python3',
        ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale],
        { timeoutMs: 30_000 },
      );
      assert.equal(made.code, 0, made.stderr);
      fs.chownSync(stale, 0, Number((await runProcess('getent', ['group', 'docker'])).stdout.split(':')[2]));
      fs.chmodSync(stale, 0o660);
      const staleSteps = await run(sshd, u, stale);
      assert.equal(step(staleSteps, 'dockerSocket').status, 'ok', JSON.stringify(statuses(staleSteps)));
      assert.equal(step(staleSteps, 'daemon').status, 'failed');
      assert.equal(step(staleSteps, 'daemon').reason, 'daemonNotRunning');
    } finally {
      await dockerd.restart();
    }
    assert.equal(step(await run(sshd, u, dockerd.socket), 'daemon').status, 'ok');
  });

  it('stops at the first failing connection step and skips the rest', T, async () => {
    const u = await user({ docker: true });
    const port = await closedPort();
    const refused = await run({ port }, u, dockerd.socket);
    assert.deepEqual(statuses(refused), {
      resolve: 'ok',
      tcp: 'failed:connectionRefused',
      hostKey: 'skipped',
      auth: 'skipped',
      dockerCli: 'skipped',
      dockerSocket: 'skipped',
      daemon: 'skipped',
    });

    const unknownKey = await run(sshd, u, dockerd.socket, {
      userKnownHostsFiles: [path.join(h.home, 'nothing_known')],
    });
    assert.deepEqual(statuses(unknownKey).hostKey, 'failed:hostKeyUnknown');
    assert.equal(step(unknownKey, 'tcp').status, 'ok');
    assert.equal(step(unknownKey, 'auth').status, 'skipped');

    const noKey = await run(sshd, 'rdc-nobody-here', dockerd.socket);
    assert.deepEqual(statuses(noKey), {
      resolve: 'ok',
      tcp: 'ok',
      hostKey: 'ok',
      auth: 'failed:authFailed',
      dockerCli: 'skipped',
      dockerSocket: 'skipped',
      daemon: 'skipped',
    });
    assert.equal(step(noKey, 'auth').fix?.kind, 'copyPublicKey');

    const dns = await run(sshd, u, dockerd.socket, { hostname: 'no-such-host.invalid' });
    assert.equal(statuses(dns).resolve, 'failed:dnsFailed');
    assert.equal(step(dns, 'tcp').status, 'skipped');
  });
});

describe('the docker CLI through an alias, key and host key this project wrote', () => {
  let dockerd: Dockerd;
  let sshd: Sshd;
  let user: TestUser;
  let h: TempHome;

  before(async () => {
    requireRoot('docker CLI end-to-end');
    dockerd = await startDockerd();
    sshd = await startSshd();
    user = await createUser({ docker: true, dockerHost: dockerd.host });
    h = tempHome();
  });

  after(async () => {
    await user?.remove();
    await sshd?.dispose();
    await dockerd?.stop();
    h?.remove();
  });

  it('docker --context X info reports the daemon behind the sshd', T, async () => {
    const keyPath = path.join(h.sshDir, 'id_remote');
    await generateKey({ privateKeyPath: keyPath, comment: 'remote' });
    const config = path.join(h.sshDir, 'config');
    await addSshHost(
      config,
      { alias: 'rdc-remote', hostName: '127.0.0.1', user: user.name, port: sshd.port, identityFile: keyPath },
      { home: h.home },
    );
    const host = await resolveHost('rdc-remote', {
      configFile: config,
      home: h.home,
      localUser: 'root',
      timeoutMs: 30_000,
    });
    let confirmed = 0;
    const result = await copyPublicKey({
      host,
      env: h.env,
      home: h.home,
      timeoutMs: 30_000,
      privateKeyPath: keyPath,
      prompts: {
        confirmHostKey: (req) => {
          confirmed++;
          assert.equal(req.fingerprint, sshd.hostKeyFingerprint);
          return Promise.resolve(true);
        },
        password: () => Promise.resolve(user.password),
      },
    });
    assert.equal(result.status, 'installed');
    assert.equal(confirmed, 1);

    const steps = await diagnoseHost({
      host: { ...host, strictHostKeyChecking: 'yes' },
      env: h.env,
      home: h.home,
      timeoutMs: 30_000,
    });
    assert.equal(step(steps, 'daemon').status, 'ok', JSON.stringify(statuses(steps)));

    // The CLI runs `ssh` from PATH: the temp home's shim, so ~/.ssh is the one written above.
    const create = await runProcess(DOCKER_CLI, ['context', 'create', 'rdc-x', '--docker', 'host=ssh://rdc-remote'], {
      env: h.env,
      timeoutMs: 60_000,
    });
    assert.equal(create.code, 0, create.stderr);
    // Only what sshd logs from here on counts: earlier steps logged in with the same key.
    const mark = sshd.log().length;
    const info = await runProcess(DOCKER_CLI, ['--context', 'rdc-x', 'info', '--format', '{{.OperatingSystem}}'], {
      env: h.env,
      timeoutMs: 120_000,
    });
    assert.equal(info.code, 0, info.stderr);
    const direct = JSON.parse((await engineRequest(dockerd.socket, 'GET', '/info')).body) as {
      OperatingSystem: string;
    };
    assert.equal(info.stdout.trim(), direct.OperatingSystem);
    const fresh = sshd.log().slice(mark);
    assert.ok(
      (fresh.match(new RegExp(`Accepted publickey for ${user.name} `, 'g')) ?? []).length >= 1,
      `the CLI logged in with the installed key; new sshd log lines:\n${fresh}`,
    );
    assert.doesNotMatch(fresh, /Accepted password/, 'and not with a password');
  });
});
