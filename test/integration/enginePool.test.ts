/**
 * EnginePool against a real OpenSSH sshd and a real dockerd, with the docker CLI as the oracle:
 * what the pool reports equals `docker --context X info`; 20 calls cost one SSH login (counted
 * in sshd's log); `AllowStreamLocalForwarding no` falls back to `docker system dial-stdio`;
 * unix://, tcp:// and tcp:// with TLS material written by the CLI work directly. The faults
 * (sshd killed or frozen, dockerd stopped, a port that never answers, a user without socket
 * access, 200 refreshes) each end with the right reason and recover without a new pool.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContextStore, contextId } from '../../src/core/contexts/contextStore';
import {
  EnginePool,
  type ConnectionEvent,
  type EnginePoolOptions,
  type EngineTarget,
} from '../../src/core/engine/enginePool';
import { CoreError } from '../../src/core/common/errors';
import type { DockerEndpoint } from '../../src/core/contexts/endpoint';
import { runProcess } from '../../src/core/common/exec';
import { connectSsh, type SshConnection } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  blackholePort,
  createUser,
  DOCKER_CLI,
  engineRequest,
  generateKey,
  knownHostsLine,
  ping,
  requireRoot,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Blackhole,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { register, registerProcess } from '../support/cleanup';
import { familyOf, isAlive, sleep, terminate } from '../support/processes';
import { makeTlsFiles, type TlsFiles } from '../support/tlsFiles';
import { rejectsWith } from '../support/rejectsWith';

const T = { timeout: 300_000 };

interface Setup {
  dockerd: Dockerd;
  sshd: Sshd;
  /** AllowStreamLocalForwarding no. */
  sshdNoForward: Sshd;
  user: TestUser;
  /** Not in the docker group. */
  outsider: TestUser;
  /** Not in the docker group and no docker CLI on the sessions' PATH. */
  outsiderNoCli: TestUser;
  home: TempHome;
  store: ContextStore;
  hole: Blackhole;
}

let s: Setup;
const pools: EnginePool[] = [];

function connectVia(
  h: TempHome,
  o: { keepaliveIntervalMs?: number; keepaliveCountMax?: number; timeoutMs?: number } = {},
): (endpoint: DockerEndpoint, signal: AbortSignal) => Promise<SshConnection> {
  return async (endpoint, signal) => {
    const resolved = await resolveHost(endpoint.host ?? '', {
      configFile: path.join(h.sshDir, 'config'),
      home: h.home,
      localUser: os.userInfo().username,
      signal,
    });
    const host = {
      ...resolved,
      ...(endpoint.user ? { user: endpoint.user } : {}),
      ...(endpoint.port ? { port: endpoint.port } : {}),
    };
    return connectSsh({
      host,
      env: h.env,
      home: h.home,
      signal,
      timeoutMs: o.timeoutMs ?? 30_000,
      keepaliveIntervalMs: o.keepaliveIntervalMs ?? 0,
      ...(o.keepaliveCountMax !== undefined ? { keepaliveCountMax: o.keepaliveCountMax } : {}),
    });
  };
}

function newPool(
  o: Partial<EnginePoolOptions> & {
    keepaliveIntervalMs?: number;
    keepaliveCountMax?: number;
    connectTimeoutMs?: number;
  } = {},
): EnginePool {
  const p = new EnginePool({
    connect:
      o.connect ??
      connectVia(s.home, {
        keepaliveIntervalMs: o.keepaliveIntervalMs,
        keepaliveCountMax: o.keepaliveCountMax,
        timeoutMs: o.connectTimeoutMs,
      }),
    requestTimeoutMs: o.requestTimeoutMs ?? 60_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 300_000,
  });
  pools.push(p);
  return p;
}

async function target(name: string): Promise<EngineTarget> {
  const c = await s.store.get(name);
  return {
    contextName: c.name,
    endpoint: c.endpoint,
    skipTLSVerify: c.skipTLSVerify,
    ...(c.hasTls ? { tlsDir: path.join(s.store.tlsDir, contextId(c.name), 'docker') } : {}),
  };
}

async function docker(args: string[], h: TempHome = s.home): Promise<string> {
  const r = await runProcess(DOCKER_CLI, args, { env: h.env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function waitForEvent(
  p: EnginePool,
  pred: (e: ConnectionEvent) => boolean,
  timeoutMs = 60_000,
): Promise<ConnectionEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error('no such connection event'));
    }, timeoutMs);
    const sub = p.onDidChangeConnection((e) => {
      if (pred(e)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(e);
      }
    });
  });
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** The platform the docker CLI would name: GOOS/GOARCH from `docker version`. */
function cliPlatform(server: { Os: string; Arch: string }): string {
  return `${server.Os}/${server.Arch}`;
}

before(async () => {
  requireRoot('engine pool integration tests');
  const [dockerd, sshd, sshdNoForward] = await Promise.all([
    startDockerd(),
    startSshd(),
    startSshd({ allowStreamLocal: false }),
  ]);
  const user = await createUser({ docker: true, dockerHost: dockerd.host });
  const outsider = await createUser({ docker: false, dockerHost: dockerd.host });
  const outsiderNoCli = await createUser({ docker: false });
  // PermitUserEnvironment: this user's sessions find no docker command.
  const envFile = path.join(outsiderNoCli.home, '.ssh', 'environment');
  fs.writeFileSync(envFile, 'PATH=/nonexistent\n', { mode: 0o600 });
  fs.chownSync(envFile, outsiderNoCli.uid, outsiderNoCli.gid);
  const home = tempHome();
  const key = await generateKey(home.home);
  for (const u of [user, outsider, outsiderNoCli]) {
    u.authorizeKey(key.publicLine);
  }
  const hole = await blackholePort();
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'engine-a', port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'engine-b', port: sshdNoForward.port, user: user.name, identityFile: key.privateKey }),
  );
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'engine-out', port: sshd.port, user: outsider.name, identityFile: key.privateKey }),
  );
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'engine-nocli', port: sshd.port, user: outsiderNoCli.name, identityFile: key.privateKey }),
  );
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'engine-hole', port: hole.port, user: user.name, identityFile: key.privateKey }),
  );
  addKnownHost(home.home, knownHostsLine(sshd));
  addKnownHost(home.home, knownHostsLine(sshdNoForward));
  s = {
    dockerd,
    sshd,
    sshdNoForward,
    user,
    outsider,
    outsiderNoCli,
    home,
    store: new ContextStore({ configDir: home.dockerConfig, env: home.env }),
    hole,
  };
  // Contexts made by the real CLI, read back through the project's store.
  const sock = dockerd.socket;
  await docker(['context', 'create', 'remote-path', '--docker', `host=ssh://engine-a${sock}`]);
  await docker(['context', 'create', 'remote-env', '--docker', 'host=ssh://engine-a']);
  await docker(['context', 'create', 'remote-noforward', '--docker', `host=ssh://engine-b${sock}`]);
  await docker(['context', 'create', 'remote-outsider', '--docker', `host=ssh://engine-out${sock}`]);
  await docker(['context', 'create', 'remote-nocli', '--docker', `host=ssh://engine-nocli${sock}`]);
  await docker(['context', 'create', 'remote-hole', '--docker', 'host=ssh://engine-hole']);
  await docker(['context', 'create', 'local-unix', '--docker', `host=unix://${sock}`]);
});

after(async () => {
  for (const p of pools) {
    p.dispose();
  }
  await Promise.allSettled([s?.user.remove(), s?.outsider.remove(), s?.outsiderNoCli.remove()]);
  await Promise.allSettled([s?.sshd.dispose(), s?.sshdNoForward.dispose(), s?.dockerd.stop(), s?.hole.close()]);
  s?.home.remove();
});

describe('EnginePool with a real sshd and dockerd', () => {
  it('reports what `docker --context X info` reports, over stream-local and over dial-stdio', T, async () => {
    for (const name of ['remote-path', 'remote-env', 'remote-noforward', 'local-unix']) {
      const cli = JSON.parse(await docker(['--context', name, 'info', '--format', '{{json .}}'])) as Record<
        string,
        unknown
      >;
      const server = JSON.parse(await docker(['--context', name, 'version', '--format', '{{json .Server}}'])) as {
        Os: string;
        Arch: string;
        ApiVersion: string;
      };
      const p = newPool();
      const t = await target(name);
      const info = await p.info(t);
      assert.equal(info.operatingSystem, cli.OperatingSystem, name);
      assert.equal(info.osType, cli.OSType, name);
      assert.equal(info.architecture, cli.Architecture, name);
      assert.equal(info.platform, cliPlatform(server), name);
      assert.equal(info.kernelVersion, cli.KernelVersion, name);
      assert.equal(info.serverVersion, cli.ServerVersion, name);
      assert.equal(info.apiVersion, server.ApiVersion, name);
      assert.equal(info.ncpu, cli.NCPU, name);
      assert.equal(info.memTotal, cli.MemTotal, name);
      assert.equal(info.name, cli.Name, name);
      // The oracle of "same daemon as the CLI": the daemon's own ID.
      assert.equal(info.id, cli.ID, name);
      assert.ok(info.rttMs > 0 && info.checkedAt > 0);
      const status = await p.status(t);
      assert.equal(status.platform, info.platform);
      assert.equal(status.operatingSystem, info.operatingSystem);
      // Without a path in the URL, the remote docker CLI is asked which daemon it dials: here
      // the user's DOCKER_HOST (~/.ssh/environment) names a unix socket, so stream-local goes
      // to that socket, whether or not a daemon answers at /var/run/docker.sock on this
      // machine (the "remote" host of these tests). Before, the default socket came first and
      // only its absence led to dial-stdio.
      const expected = {
        'remote-path': 'streamlocal',
        'remote-env': 'streamlocal',
        'remote-noforward': 'dial-stdio',
        'local-unix': 'unix',
      }[name];
      assert.equal(info.transport, expected, name);
      assert.equal(status.transport, expected, name);
      p.dispose();
    }
  });

  it('20 API calls through the pool cost one SSH login; concurrent first calls share it', T, async () => {
    const t = await target('remote-path');
    const before = await s.sshd.acceptedLogins();
    const p = newPool();
    const dk = await p.docker(t);
    const calls = [
      () => dk.ping(),
      () => dk.version(),
      () => dk.info(),
      () => dk.listContainers({ all: true }),
      () => dk.listImages(),
    ];
    for (let i = 0; i < 20; i++) {
      await calls[i % calls.length]();
    }
    await p.status(t);
    await p.info(t);
    assert.equal(p.stats().connectsTotal, 1);
    assert.equal((await s.sshd.acceptedLogins()) - before, 1, 'Accepted lines in the sshd log');

    const before2 = await s.sshd.acceptedLogins();
    const q = newPool();
    const results = await Promise.all(Array.from({ length: 10 }, () => q.status(t)));
    assert.ok(results.every((r) => r.platform === results[0].platform));
    assert.equal(q.stats().connectsTotal, 1);
    assert.equal((await s.sshd.acceptedLogins()) - before2, 1);
    p.dispose();
    q.dispose();
  });

  it('falls back to dial-stdio when sshd forbids stream-local forwarding, and remembers it', T, async () => {
    const t = await target('remote-noforward');
    const refusals = (): number => (s.sshdNoForward.log().match(/refused streamlocal port forward/g) ?? []).length;
    const refusedBefore = refusals();
    const loginsBefore = await s.sshdNoForward.acceptedLogins();
    const p = newPool();
    const info = await p.info(t);
    assert.equal(info.transport, 'dial-stdio');
    assert.equal(p.transportOf(t.endpoint), 'dial-stdio');
    await s.sshdNoForward.waitForLog(/refused streamlocal port forward/);
    // The first status's requests may each try the socket at once (a named socket is opened
    // alongside); every open has been answered, so logged, before info() returned.
    const first = refusals() - refusedBefore;
    assert.ok(first >= 1 && first <= 3, `the first status tried stream-local ${first} times`);
    const dk = await p.docker(t);
    for (let i = 0; i < 10; i++) {
      await dk.version();
      await p.status(t);
    }
    assert.equal(refusals() - refusedBefore, first, 'after the first status, only dial-stdio was used');
    assert.equal((await s.sshdNoForward.acceptedLogins()) - loginsBefore, 1);
    p.dispose();
  });

  it('unix:// works directly, and reports what the ssh:// endpoint reports for the same daemon', T, async () => {
    const p = newPool();
    const viaUnix = await p.info(await target('local-unix'));
    const viaSsh = await p.info(await target('remote-path'));
    assert.equal(viaUnix.transport, 'unix');
    assert.deepEqual(
      { ...viaUnix, rttMs: 0, checkedAt: 0, transport: '' },
      { ...viaSsh, rttMs: 0, checkedAt: 0, transport: '' },
    );
    assert.equal(p.stats().connections, 1, 'only the ssh endpoint holds an SSH connection');
    p.dispose();
  });
});

describe('EnginePool over tcp://', () => {
  let tls: TlsFiles | undefined;
  after(() => tls?.remove());

  it('plain tcp:// works directly, like `docker --context X info`', T, async () => {
    const d = await startDockerd({ tcp: {} });
    try {
      await docker(['context', 'create', 'tcp-plain', '--docker', `host=tcp://127.0.0.1:${d.tcpPort}`]);
      const cli = JSON.parse(await docker(['--context', 'tcp-plain', 'info', '--format', '{{json .}}'])) as Record<
        string,
        unknown
      >;
      const p = newPool();
      const info = await p.info(await target('tcp-plain'));
      assert.equal(info.transport, 'tcp');
      assert.equal(info.operatingSystem, cli.OperatingSystem);
      assert.equal(info.architecture, cli.Architecture);
      assert.equal(info.name, cli.Name);
      const dk = await p.docker(await target('tcp-plain'));
      assert.equal((await dk.version()).Os, 'linux');
      p.dispose();
    } finally {
      await d.stop();
    }
  });

  it('tcp:// with the TLS material the docker CLI stored in the context; a wrong CA is refused', T, async () => {
    tls = await makeTlsFiles();
    const d = await startDockerd({ tcp: { tls } });
    try {
      await docker([
        'context',
        'create',
        'tcp-tls',
        '--docker',
        `host=tcp://127.0.0.1:${d.tcpPort},ca=${tls.caCert},cert=${tls.clientCert},key=${tls.clientKey}`,
      ]);
      const summary = await s.store.get('tcp-tls');
      assert.equal(summary.hasTls, true, 'the CLI stored the certificates in the context');
      const cli = JSON.parse(await docker(['--context', 'tcp-tls', 'info', '--format', '{{json .}}'])) as Record<
        string,
        unknown
      >;
      const p = newPool();
      const t = await target('tcp-tls');
      const info = await p.info(t);
      assert.equal(info.transport, 'tls');
      assert.equal(info.operatingSystem, cli.OperatingSystem);
      assert.equal(info.architecture, cli.Architecture);
      assert.equal((await p.status(t)).name, cli.Name);
      const dk = await p.docker(t);
      assert.equal((await dk.version()).Os, 'linux');

      // TLS without a client certificate (the daemon verifies clients): the handshake is refused.
      const caOnly = fs.mkdtempSync(path.join(tls.dir, 'ca-only-'));
      fs.copyFileSync(tls.caCert, path.join(caOnly, 'ca.pem'));
      const noCert = await p.status({ contextName: 'no-cert', endpoint: t.endpoint, tlsDir: caOnly }).then(
        () => assert.fail('a daemon with --tlsverify accepted a client without a certificate'),
        (e: unknown) => e,
      );
      assert.ok(CoreError.is(noCert, 'tlsMaterialMissing'), String(noCert));
      assert.equal(noCert.details.detail, 'handshake');
      // Without the context's TLS material the pool speaks plain HTTP, as the docker CLI would;
      // the TLS listener answers "Client sent an HTTP request to an HTTPS server": said as such.
      const plain = await rejectsWith(p.status({ contextName: 'no-tls', endpoint: t.endpoint }), 'tlsMaterialMissing');
      assert.equal(plain.details.detail, 'tlsRequired');
      // A CA that did not sign the daemon's certificate.
      const wrong = fs.mkdtempSync(path.join(tls.dir, 'wrong-'));
      fs.copyFileSync(tls.otherCaCert, path.join(wrong, 'ca.pem'));
      fs.copyFileSync(tls.clientCert, path.join(wrong, 'cert.pem'));
      fs.copyFileSync(tls.clientKey, path.join(wrong, 'key.pem'));
      const e = await rejectsWith(
        p.status({ contextName: 'wrong-ca', endpoint: t.endpoint, tlsDir: wrong }),
        'tlsMaterialMissing',
      );
      assert.equal(e.details.detail, 'handshake');
      p.dispose();
    } finally {
      await d.stop();
    }
  });
});

describe('EnginePool faults and recovery', () => {
  it(
    'sshd killed during a session: `disconnected` with the reason, then the next status() reconnects after sshd is back',
    T,
    async () => {
      const t = await target('remote-path');
      const p = newPool({ keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
      const events: ConnectionEvent[] = [];
      p.onDidChangeConnection((e) => events.push(e));
      const dk = await p.docker(t);
      const first = await p.status(t);
      const dropped = waitForEvent(p, (e) => e.state === 'disconnected');
      await s.sshd.stop();
      try {
        const e = await dropped;
        assert.equal(e.endpoint, t.endpoint);
        assert.ok(e.error, 'a dropped connection carries its reason');
        assert.ok(['connectionLost', 'timeout'].includes(e.error.reason), e.error.reason);
        assert.equal(p.stats().connections, 0);
        // While sshd is down the reason is about the SSH server, not the daemon.
        await rejectsWith(p.status(t), 'connectionRefused');
      } finally {
        await s.sshd.start();
      }
      const again = await p.status(t);
      assert.equal(again.platform, first.platform);
      assert.equal((await dk.version()).Os, 'linux', 'a dockerode instance from before the drop works again');
      assert.equal(p.stats().connectsTotal, 2);
      assert.deepEqual(
        events.map((e) => e.state),
        ['connected', 'disconnected', 'connected'],
      );
      p.dispose();
    },
  );

  it('a frozen sshd: keepalive notices, `disconnected` with reason timeout, recovery after it thaws', T, async () => {
    const t = await target('remote-path');
    const p = newPool({
      keepaliveIntervalMs: 300,
      keepaliveCountMax: 2,
      requestTimeoutMs: 3_000,
      connectTimeoutMs: 2_000,
    });
    await p.status(t);
    const dropped = waitForEvent(p, (e) => e.state === 'disconnected');
    const frozen = familyOf(s.sshd.pid, true);
    for (const pid of frozen) {
      process.kill(pid, 'SIGSTOP');
    }
    try {
      const e = await dropped;
      assert.equal(e.error?.reason, 'timeout');
      assert.equal(e.error?.details.detail, 'keepalive');
      await rejectsWith(p.status(t), 'timeout');
    } finally {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // gone
        }
      }
    }
    // The attempt made while frozen may still be waiting for its own deadline; then a new one works.
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      try {
        await p.status(t);
        ok = true;
      } catch (e) {
        assert.ok(CoreError.is(e, 'timeout', 'connectionLost'), String(e));
        await sleep(500);
      }
    }
    assert.ok(ok, 'status() works again after the server thawed');
    p.dispose();
  });

  it('dockerd stopped: daemonNotRunning while the SSH connection stays up; recovers when it restarts', T, async () => {
    const p = newPool();
    const targets = [await target('remote-path'), await target('remote-noforward'), await target('local-unix')];
    for (const t of targets) {
      await p.status(t);
    }
    const events: ConnectionEvent[] = [];
    p.onDidChangeConnection((e) => events.push(e));
    await s.dockerd.stopDaemonOnly();
    try {
      for (const t of targets) {
        const e = await rejectsWith(p.status(t), 'daemonNotRunning');
        assert.equal(e.details.context, t.contextName);
      }
      await rejectsWith(p.info(targets[0]), 'daemonNotRunning');
      const dk = await p.docker(targets[0]);
      await rejectsWith(dk.version(), 'daemonNotRunning');
      assert.equal(p.stats().connections, 2, 'the SSH connections are fine');
      assert.deepEqual(events, [], 'no connection dropped');
    } finally {
      await s.dockerd.restart();
    }
    for (const t of targets) {
      assert.equal((await p.status(t)).osType, 'linux');
    }
    assert.equal(p.stats().connectsTotal, 2);
    p.dispose();
  });

  it(
    'a port that accepts TCP and never answers: timeout within the configured limit, while other calls go on',
    T,
    async () => {
      const limit = 4_000;
      const p = newPool({ requestTimeoutMs: limit, connectTimeoutMs: 60_000 });
      const good = await target('remote-path');
      await p.status(good);
      let holeSettled = false;
      const hung = p.status(await target('remote-hole')).finally(() => {
        holeSettled = true;
      });
      const others = [];
      for (let i = 0; i < 5; i++) {
        others.push(await p.status(good));
      }
      assert.equal(holeSettled, false, 'the other calls did not wait for the hung one');
      assert.equal(others.length, 5);
      const e = await rejectsWith(hung, 'timeout');
      assert.equal(e.details.timeoutMs, limit);
      assert.ok(s.hole.accepted() >= 1, 'the TCP connection was made');
      // The SSH attempt itself keeps its own (longer) deadline; dropping the endpoint ends it.
      p.close((await target('remote-hole')).endpoint);
      p.dispose();
    },
  );

  it(
    'a user without access to the socket: dockerSocketPermission (from dial-stdio, and from the socket probe without a docker CLI); fixed by the group and a new login',
    T,
    async () => {
      const p = newPool();
      const t = await target('remote-outsider');
      const e = await rejectsWith(p.status(t), 'dockerSocketPermission');
      assert.equal(e.details.user, s.outsider.name);
      const viaProbe = await rejectsWith(p.status(await target('remote-nocli')), 'dockerSocketPermission');
      assert.equal(viaProbe.details.user, s.outsiderNoCli.name);
      assert.equal(viaProbe.details.path, s.dockerd.socket);
      const r = await runProcess('usermod', ['-aG', 'docker', s.outsider.name], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      // Group membership applies to new logins only (as with ssh): drop the pooled connection.
      p.close(t.endpoint);
      assert.equal((await p.status(t)).osType, 'linux');
      p.dispose();
    },
  );

  it('200 status() refreshes: no growth of channels, connections or file descriptors', T, async () => {
    const p = newPool();
    const t = await target('remote-path');
    for (let i = 0; i < 5; i++) {
      await p.status(t);
    }
    const fdsBefore = openFds();
    const statsBefore = p.stats();
    for (let i = 0; i < 200; i++) {
      await p.status(t);
    }
    const statsAfter = p.stats();
    const fdsAfter = openFds();
    assert.equal(statsAfter.connections, 1);
    assert.equal(statsAfter.connectsTotal, statsBefore.connectsTotal);
    assert.ok(
      statsAfter.openChannels <= statsBefore.openChannels,
      `channels ${statsBefore.openChannels} → ${statsAfter.openChannels}`,
    );
    assert.ok(fdsAfter - fdsBefore <= 3, `file descriptors ${fdsBefore} → ${fdsAfter}`);
    p.dispose();
  });

  it('an idle connection is closed after idleTimeoutMs and made again on the next request', T, async () => {
    const p = newPool({ idleTimeoutMs: 300 });
    const t = await target('remote-path');
    const closed = waitForEvent(p, (e) => e.state === 'disconnected');
    await p.status(t);
    const e = await closed;
    assert.equal(e.error, undefined, 'closed on purpose, not lost');
    assert.equal(p.stats().connections, 0);
    assert.equal(p.stats().openChannels, 0);
    await p.status(t);
    assert.equal(p.stats().connectsTotal, 2);
    p.dispose();
  });
  it(
    'a lease shares the pooled connection (an exec channel on it), holds off the idle close until released',
    T,
    async () => {
      const p = newPool({ idleTimeoutMs: 300 });
      const t = await target('remote-path');
      await p.status(t);
      const lease = await p.lease(t);
      assert.equal(p.stats().connectsTotal, 1, 'the status connection is reused');
      const out = await new Promise<string>((resolve, reject) => {
        lease.client.exec('printf leased', (err, ch) => {
          if (err) {
            reject(err);
            return;
          }
          let text = '';
          ch.on('data', (d: Buffer) => (text += d.toString()));
          ch.on('close', () => resolve(text));
        });
      });
      assert.equal(out, 'leased');
      await sleep(700);
      assert.equal(p.stats().connections, 1, 'not closed for idleness while leased');
      const closed = waitForEvent(p, (e) => e.state === 'disconnected');
      lease.release();
      lease.release();
      const e = await closed;
      assert.equal(e.error, undefined);
      assert.equal(await lease.closed, undefined, 'the lease sees its connection close');
      await rejectsWith(p.lease({ ...t, endpoint: 'unix:///var/run/docker.sock' }), 'endpointInvalid');
      p.dispose();
    },
  );
});

describe('EnginePool: what it remembers, and when it lets go', () => {
  /** A second dockerd on the socket path of the first (stopped) one, with its own data root and ID. */
  async function otherDaemonOnSameSocket(): Promise<{ stop(): Promise<void> }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-dockerd2-'));
    const releaseDir = register({ kind: 'dir', path: dir });
    const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a');
    // dockerd 20.10 derives its ID from this key: a key of its own makes it another daemon.
    const config = path.join(dir, 'daemon.json');
    fs.writeFileSync(config, JSON.stringify({ 'deprecated-key-path': path.join(dir, 'key.json') }));
    const args = [
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'docker.pid'),
      '--config-file',
      config,
      '-H',
      s.dockerd.host,
      '--iptables=false',
      '--bridge=none',
      '--storage-driver=vfs',
    ];
    const child = spawn('/usr/sbin/dockerd', args, { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    const pid = child.pid ?? 0;
    const release = registerProcess(pid, 'dockerd', true);
    child.unref();
    for (
      let i = 0;
      !(await ping(s.dockerd.socket).then(
        () => true,
        () => false,
      ));
      i++
    ) {
      assert.ok(i < 900 && isAlive(pid), `the second dockerd did not answer; see ${dir}/dockerd.log`);
      await sleep(100);
    }
    return {
      stop: async () => {
        const family = familyOf(pid, true);
        await terminate([pid], 30_000);
        await terminate(family.filter(isAlive), 5_000);
        release();
        fs.rmSync(dir, { recursive: true, force: true });
        releaseDir();
      },
    };
  }

  async function daemonId(): Promise<string> {
    return (JSON.parse((await engineRequest(s.dockerd.socket, 'GET', '/info')).body) as { ID: string }).ID;
  }

  it('another daemon behind the same socket: status() reads /info again (its ID), over ssh and unix', T, async () => {
    const targets = [await target('remote-path'), await target('remote-noforward'), await target('local-unix')];
    const p = newPool();
    const firstId = await daemonId();
    for (const t of targets) {
      assert.equal((await p.status(t)).id, firstId, t.contextName);
      assert.equal((await p.status(t)).id, firstId, 'served from the cache');
    }
    const readsBefore = p.stats().infoReads;
    await s.dockerd.stopDaemonOnly();
    let other: { stop(): Promise<void> } | undefined;
    try {
      other = await otherDaemonOnSameSocket();
      const secondId = await daemonId();
      assert.notEqual(secondId, firstId, 'precondition: the second daemon has another ID');
      // No status() while the socket was empty: only the closed connections can tell.
      for (const t of targets) {
        assert.equal((await p.status(t)).id, secondId, t.contextName);
      }
      assert.equal(p.stats().infoReads - readsBefore, targets.length, 'one /info read per target');
      assert.equal(p.stats().connectsTotal, 2, 'the SSH connections stayed up');
    } finally {
      await other?.stop();
      await s.dockerd.restart();
    }
    // And on a warm pool nothing more is read: the status path stays one round trip.
    const reads = p.stats().infoReads;
    for (const t of targets) {
      await p.status(t);
    }
    const readsAfterRestart = p.stats().infoReads - reads;
    assert.equal(readsAfterRestart, targets.length, 'the restarted daemon is read once per target');
    for (const t of targets) {
      await p.status(t);
    }
    assert.equal(p.stats().infoReads - reads, targets.length, 'then served from the cache');
    p.dispose();
  });

  it('a connection that finishes after close() is closed, not kept', T, async () => {
    const t = await target('remote-path');
    const made: SshConnection[] = [];
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((r) => (arrived = r));
    const real = connectVia(s.home);
    // A connect that ignores the pool's signal (as a slow resolver or jump host might).
    const p = newPool({
      connect: async (endpoint) => {
        const c = await real(endpoint, new AbortController().signal);
        made.push(c);
        arrived();
        return c;
      },
    });
    const events: ConnectionEvent[] = [];
    p.onDidChangeConnection((e) => events.push(e));
    const mark = s.sshd.log().length;
    const pending = p.status(t);
    p.close(t.endpoint);
    await rejectsWith(pending, 'cancelled');
    await arrival;
    const state = await Promise.race([made[0]?.closed.then(() => 'closed'), sleep(30_000).then(() => 'open')]);
    assert.equal(state, 'closed', 'the late connection was closed');
    assert.deepEqual(events, [], 'it was never announced');
    assert.equal(p.stats().connections, 0);
    await s.sshd.waitForLog(/Disconnected from user|Received disconnect/);
    assert.match(s.sshd.log().slice(mark), new RegExp(`Accepted publickey for ${s.user.name} `));
    p.dispose();
  });

  it('the idle timer does not cut a request in flight', T, async () => {
    const idleTimeoutMs = 300;
    const p = newPool({ idleTimeoutMs });
    const t = await target('remote-path');
    const events: ConnectionEvent[] = [];
    p.onDidChangeConnection((e) => events.push(e));
    const dk = await p.docker(t);
    // GET /events with `until` two seconds ahead: one response that lasts far longer than the idle timeout.
    const now = Math.floor(Date.now() / 1000);
    const stream = await dk.getEvents({ since: now, until: now + 2 });
    for await (const _chunk of stream) {
      // drained
    }
    assert.deepEqual(
      events.map((e) => e.state),
      ['connected'],
      'no disconnect while the request ran',
    );
    const closed = await waitForEvent(p, (e) => e.state === 'disconnected');
    assert.equal(closed.error, undefined, 'then closed as idle');
    p.dispose();
  });
});
