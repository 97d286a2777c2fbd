/**
 * Proves the integration harness against the real tools (dockerd, sshd, ssh, the docker CLI), so
 * that a failure in a feature test can be trusted to be the feature's.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import {
  DOCKER_CLI,
  addKnownHost,
  appendSshConfig,
  blackholePort,
  canConnect,
  closedPort,
  createUser,
  freePort,
  engineRequest,
  generateKey,
  harnessProcesses,
  importBusybox,
  knownHostsLine,
  ping,
  requireRoot,
  sshArgs,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { DockerCli } from '../support/dockerCli';
import { isAlive, sleep } from '../support/processes';
import { engineGetOverSsh, ssh2Exec, ssh2Login } from '../support/ssh2Client';

const T = { timeout: 180_000 };

function docker(args: string[], env: NodeJS.ProcessEnv): ReturnType<typeof runProcess> {
  return runProcess(DOCKER_CLI, args, { env, timeoutMs: 120_000 });
}

async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for: ${what}`);
    }
    await sleep(100);
  }
}

function userExists(name: string): boolean {
  return spawnSync('id', ['-u', name]).status === 0;
}

describe('harness', () => {
  let dockerd: Dockerd;
  let sshd: Sshd;
  let user: TestUser;
  let home: TempHome;
  const dirs: string[] = [];
  const users: string[] = [];

  before(async () => {
    requireRoot('the integration tests');
    dockerd = await startDockerd();
    dirs.push(dockerd.dir);
    sshd = await startSshd();
    dirs.push(sshd.dir);
    user = await createUser({ docker: true, dockerHost: dockerd.host });
    users.push(user.name);
    home = tempHome();
    dirs.push(home.home);
  });

  after(async () => {
    await sshd?.dispose();
    await dockerd?.stop();
    await user?.remove();
    home?.remove();
  });

  describe('dockerd', () => {
    it('answers /_ping and the real docker CLI', T, async () => {
      assert.equal(await ping(dockerd.socket), 'OK');
      const version = JSON.parse((await engineRequest(dockerd.socket, 'GET', '/version')).body) as { Version: string };
      const r = await docker(['version', '--format', '{{.Server.Version}}'], {
        ...home.env,
        DOCKER_HOST: dockerd.host,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), version.Version);
      assert.match(version.Version, /^\d+\.\d+/);
    });

    it('makes its socket root:docker 660 in a traversable dir', T, () => {
      const st = fs.statSync(dockerd.socket);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o660);
      const dockerGid = Number(spawnSync('getent', ['group', 'docker'], { encoding: 'utf8' }).stdout.split(':')[2]);
      assert.equal(st.gid, dockerGid);
      assert.equal(fs.statSync(dockerd.dir).mode & 0o777, 0o711);
    });

    it('imports local/busybox, which runs containers', T, async () => {
      await importBusybox(dockerd.socket);
      const env = { ...home.env, DOCKER_HOST: dockerd.host };
      const r = await docker(
        ['run', '--rm', '--network', 'none', 'local/busybox', 'sh', '-c', 'echo hello-from-$(uname -s)'],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'hello-from-Linux');
    });

    it('stops the daemon only, then restarts it with its data', T, async () => {
      const pid = dockerd.pid;
      await dockerd.stopDaemonOnly();
      assert.equal(isAlive(pid), false);
      await assert.rejects(ping(dockerd.socket));
      const down = await docker(['info'], { ...home.env, DOCKER_HOST: dockerd.host });
      assert.notEqual(down.code, 0);
      assert.match(down.stderr, /Cannot connect to the Docker daemon|Is the docker daemon running/);
      await dockerd.restart();
      assert.equal(await ping(dockerd.socket), 'OK');
      const images = await docker(['image', 'ls', '--format', '{{.Repository}}'], {
        ...home.env,
        DOCKER_HOST: dockerd.host,
      });
      assert.match(images.stdout, /^local\/busybox$/m);
    });

    it('runs two daemons side by side', T, async () => {
      const second = await startDockerd();
      try {
        assert.notEqual(second.socket, dockerd.socket);
        assert.equal(await ping(second.socket), 'OK');
        assert.equal(await ping(dockerd.socket), 'OK');
        const a = JSON.parse((await engineRequest(dockerd.socket, 'GET', '/info')).body) as {
          ID: string;
          DockerRootDir: string;
        };
        const b = JSON.parse((await engineRequest(second.socket, 'GET', '/info')).body) as {
          ID: string;
          DockerRootDir: string;
        };
        assert.notEqual(a.DockerRootDir, b.DockerRootDir);
      } finally {
        await second.stop();
      }
      assert.equal(fs.existsSync(second.dir), false);
      assert.equal(await ping(dockerd.socket), 'OK');
    });

    it('a TCP listener whose port was taken between the pick and the bind gets a fresh port', T, async () => {
      // Holds the port; drops whatever connects (a socket left open would keep close() waiting).
      const squatter = net.createServer((c) => c.destroy());
      await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
      const taken = (squatter.address() as net.AddressInfo).port;
      const picks: number[] = [];
      try {
        const d = await startDockerd({
          tcp: {
            pick: async () => {
              const port = picks.length === 0 ? taken : await freePort();
              picks.push(port);
              return port;
            },
          },
        });
        try {
          assert.equal(picks.length, 2, `ports tried: ${picks.join(', ')}`);
          assert.equal(d.tcpPort, picks[1]);
          assert.match(fs.readFileSync(d.logFile, 'utf8'), new RegExp(`:${taken}\\b.*address already in use`));
          const r = await docker(['version', '--format', '{{.Server.Version}}'], {
            ...home.env,
            DOCKER_HOST: `tcp://127.0.0.1:${d.tcpPort}`,
          });
          assert.equal(r.code, 0, r.stderr);
        } finally {
          await d.stop();
        }
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    });

    it('the docker CLI is the one a shell finds on PATH, and reads the platform the daemon reports', T, async () => {
      const which = spawnSync('/bin/sh', ['-c', 'command -v docker'], { env: home.env, encoding: 'utf8' });
      assert.equal(DOCKER_CLI, which.stdout.trim());
      const version = JSON.parse((await engineRequest(dockerd.socket, 'GET', '/version')).body) as {
        Os: string;
        Arch: string;
      };
      const platform = await new DockerCli({ ...home.env, DOCKER_HOST: dockerd.host }).serverPlatform();
      assert.equal(platform, `${version.Os}/${version.Arch}`);
    });
  });

  describe('sshd and users', () => {
    it('lets a created user log in with a password through ssh2, and counts the login', T, async () => {
      const before = await sshd.acceptedLogins();
      const c = await ssh2Login({
        port: sshd.port,
        username: user.name,
        password: user.password,
        hostKeyPub: sshd.hostKeyPub,
        methods: ['password'],
      });
      try {
        const r = await ssh2Exec(c, 'id -un');
        assert.equal(r.stdout.trim(), user.name);
      } finally {
        c.end();
      }
      await sshd.waitForLog(new RegExp(`Accepted password for ${user.name} `));
      assert.equal(await sshd.acceptedLogins(), before + 1);
    });

    it('refuses a wrong password and does not count it', T, async () => {
      const before = await sshd.acceptedLogins();
      await assert.rejects(
        ssh2Login({
          port: sshd.port,
          username: user.name,
          password: `${user.password}x`,
          hostKeyPub: sshd.hostKeyPub,
          methods: ['password'],
        }),
        /authentication methods failed/,
      );
      await sshd.waitForLog(new RegExp(`Failed password for ${user.name} `));
      assert.equal(await sshd.acceptedLogins(), before);
    });

    it('fails the handshake when the host key is not the expected one', T, async () => {
      const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
      await assert.rejects(
        ssh2Login({ port: sshd.port, username: user.name, password: user.password, hostKeyPub: other }),
        /verification failed/i,
      );
    });

    it('lets the user log in with a key through the real ssh client, checking known_hosts strictly', T, async () => {
      const key = await generateKey(home.home);
      user.authorizeKey(key.publicLine);
      appendSshConfig(
        home.home,
        sshHostBlock({ alias: 'harness-key', port: sshd.port, user: user.name, identityFile: key.privateKey }),
      );
      const strict = ['-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
      // Without the host in known_hosts the strict client refuses: the check is real.
      const refused = await runProcess('/usr/bin/ssh', [...sshArgs(home.home), ...strict, 'harness-key', 'true'], {
        env: home.env,
        timeoutMs: 60_000,
      });
      assert.equal(refused.code, 255);
      assert.match(refused.stderr, /Host key verification failed|No ED25519 host key is known/);
      addKnownHost(home.home, knownHostsLine(sshd));
      const r = await runProcess('/usr/bin/ssh', [...sshArgs(home.home), ...strict, 'harness-key', 'id', '-un'], {
        env: home.env,
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), user.name);
      await sshd.waitForLog(new RegExp(`Accepted publickey for ${user.name} `));
    });

    it('points ssh from PATH (as the docker CLI runs it) at the temp home through the shim', T, async () => {
      // No -F, no -o: ~/.ssh/config, known_hosts and identities must come from the temp home.
      const r = await runProcess('ssh', ['-o', 'BatchMode=yes', 'harness-key', 'echo', 'via-shim'], {
        env: home.env,
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'via-shim');
      const g = await runProcess('ssh', ['-G', 'harness-key'], { env: home.env, timeoutMs: 30_000 });
      assert.match(g.stdout, new RegExp(`^port ${sshd.port}$`, 'm'));
      // The same client without the shim reads the real passwd home, where the alias is unknown.
      const bare = await runProcess('/usr/bin/ssh', ['-G', 'harness-key'], { env: home.env, timeoutMs: 30_000 });
      assert.doesNotMatch(bare.stdout, new RegExp(`^port ${sshd.port}$`, 'm'));
    });

    it(
      'runs `docker --context X info` through the ssh alias, reaching the private dockerd via ~/.ssh/environment',
      T,
      async () => {
        const create = await docker(['context', 'create', 'harness', '--docker', 'host=ssh://harness-key'], home.env);
        assert.equal(create.code, 0, create.stderr);
        const before = await sshd.acceptedLogins();
        const r = await docker(
          ['--context', 'harness', 'info', '--format', '{{.OperatingSystem}}|{{.DockerRootDir}}'],
          home.env,
        );
        assert.equal(r.code, 0, r.stderr);
        const info = JSON.parse((await engineRequest(dockerd.socket, 'GET', '/info')).body) as {
          OperatingSystem: string;
          DockerRootDir: string;
        };
        assert.equal(r.stdout.trim(), `${info.OperatingSystem}|${info.DockerRootDir}`);
        assert.ok(info.DockerRootDir.startsWith(dockerd.dir), 'the answer came from the private daemon');
        assert.ok((await sshd.acceptedLogins()) > before, 'the CLI logged in over ssh');
      },
    );

    it('forwards to the daemon socket over direct-streamlocal, and can forbid it', T, async () => {
      const c = await ssh2Login({
        port: sshd.port,
        username: user.name,
        password: user.password,
        hostKeyPub: sshd.hostKeyPub,
      });
      try {
        const r = await engineGetOverSsh(c, dockerd.socket, '/_ping');
        assert.equal(r.status, 200);
        assert.equal(r.body, 'OK');
      } finally {
        c.end();
      }
      const closed = await startSshd({ allowStreamLocal: false });
      dirs.push(closed.dir);
      try {
        const c2 = await ssh2Login({
          port: closed.port,
          username: user.name,
          password: user.password,
          hostKeyPub: closed.hostKeyPub,
        });
        try {
          await assert.rejects(engineGetOverSsh(c2, dockerd.socket, '/_ping'), /prohibited|refused|failure/i);
        } finally {
          c2.end();
        }
        await closed.waitForLog(/streamlocal|refused local port forward|forwarding.*(denied|disabled)/i);
      } finally {
        await closed.dispose();
      }
    });

    it('restarts on the same port with the same host key, and can change the key', T, async () => {
      const { port, hostKeyPub } = sshd;
      await sshd.stop();
      assert.equal(await canConnect(port), false);
      await sshd.start();
      assert.equal(sshd.port, port);
      assert.equal(sshd.hostKeyPub, hostKeyPub);
      const c = await ssh2Login({ port, username: user.name, password: user.password, hostKeyPub });
      c.end();
      await sshd.changeHostKey();
      assert.notEqual(sshd.hostKeyPub, hostKeyPub);
      assert.match(sshd.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      // The real client refuses the changed key recorded in the temp known_hosts.
      const r = await runProcess(
        'ssh',
        ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', 'harness-key', 'true'],
        { env: home.env, timeoutMs: 60_000 },
      );
      assert.equal(r.code, 255);
      assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    });
  });

  describe('keyboard-interactive', () => {
    it('gets no password prompt from OpenSSH without PAM (why kbdInteractive turns PAM on)', T, async () => {
      const noPam = await startSshd({
        passwordAuth: false,
        extraConfig: ['KbdInteractiveAuthentication yes', 'UsePAM no'],
      });
      dirs.push(noPam.dir);
      try {
        const prompts: string[] = [];
        await assert.rejects(
          ssh2Login({
            port: noPam.port,
            username: user.name,
            hostKeyPub: noPam.hostKeyPub,
            methods: ['keyboard-interactive'],
            onKeyboard: (p) => {
              prompts.push(...p);
              return p.map(() => user.password);
            },
          }),
          /authentication methods failed/,
        );
        assert.deepEqual(prompts, []);
        assert.equal(await noPam.acceptedLogins(), 0);
      } finally {
        await noPam.dispose();
      }
    });

    it('asks for the password through keyboard-interactive with kbdInteractive: true', T, async () => {
      const kbd = await startSshd({ kbdInteractive: true });
      dirs.push(kbd.dir);
      try {
        // Password authentication proper is off on this server.
        await assert.rejects(
          ssh2Login({
            port: kbd.port,
            username: user.name,
            password: user.password,
            hostKeyPub: kbd.hostKeyPub,
            methods: ['password'],
          }),
          /authentication methods failed/,
        );
        const prompts: string[] = [];
        const c = await ssh2Login({
          port: kbd.port,
          username: user.name,
          hostKeyPub: kbd.hostKeyPub,
          methods: ['keyboard-interactive'],
          onKeyboard: (p) => {
            prompts.push(...p);
            return p.map(() => user.password);
          },
        });
        try {
          assert.equal((await ssh2Exec(c, 'id -un')).stdout.trim(), user.name);
        } finally {
          c.end();
        }
        assert.deepEqual(prompts, ['Password: ']);
        await kbd.waitForLog(new RegExp(`Accepted keyboard-interactive/pam for ${user.name} `));
        assert.equal(await kbd.acceptedLogins(), 1);
      } finally {
        await kbd.dispose();
      }
    });
  });

  describe('fault ports', () => {
    it('blackholePort accepts and never speaks: the SSH handshake times out', T, async () => {
      const hole = await blackholePort();
      try {
        await assert.rejects(
          ssh2Login({
            port: hole.port,
            username: 'nobody',
            password: 'x',
            hostKeyPub: sshd.hostKeyPub,
            readyTimeoutMs: 1_500,
          }),
          /Timed out while waiting for handshake/,
        );
        assert.equal(hole.accepted(), 1);
      } finally {
        await hole.close();
      }
    });

    it('closedPort refuses connections', T, async () => {
      const port = await closedPort();
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.on('error', (e) => resolve(e));
        s.on('connect', () => {
          s.destroy();
          resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
        });
      });
      assert.equal(err.code, 'ECONNREFUSED');
    });
  });

  describe('cleanup', () => {
    it('leaves no process, user or dir behind after normal stops', T, async () => {
      const d = await startDockerd();
      const s = await startSshd();
      const u = await createUser({ docker: true, dockerHost: d.host });
      const h = tempHome();
      const c = await ssh2Login({ port: s.port, username: u.name, password: u.password, hostKeyPub: s.hostKeyPub });
      // A session that would outlive a careless stop.
      c.exec('sleep 600', () => undefined);
      await waitUntil('the session runs', () => harnessProcesses({ users: [u.name] }).length > 0);
      await s.dispose();
      c.end();
      await d.stop();
      await u.remove();
      h.remove();
      assert.deepEqual(harnessProcesses({ dirs: [d.dir, s.dir, h.home], users: [u.name] }), []);
      assert.equal(userExists(u.name), false);
      for (const dir of [d.dir, s.dir, h.home]) {
        assert.equal(fs.existsSync(dir), false, dir);
      }
    });

    for (const how of ['uncaught exception', 'SIGKILL'] as const) {
      it(`cleans up after a test process that dies by ${how}`, T, async () => {
        const support = path.join(__dirname, '..', 'support', 'index.js');
        const script = `
          const h = require(${JSON.stringify(support)});
          (async () => {
            const d = await h.startDockerd();
            const s = await h.startSshd();
            const u = await h.createUser({ docker: true, dockerHost: d.host });
            const t = h.tempHome();
            process.stdout.write(JSON.stringify({ dirs: [d.dir, s.dir, t.home], user: u.name, pids: [d.pid, s.pid] }) + '\\n', () => {
              ${how === 'SIGKILL' ? "process.kill(process.pid, 'SIGKILL');" : "throw new Error('boom');"}
            });
          })();`;
        const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        await new Promise<void>((resolve) => child.on('close', () => resolve()));
        const line = out.split('\n').find((l) => l.startsWith('{'));
        assert.ok(line, `child printed its resources; stderr: ${err}`);
        const made = JSON.parse(line) as { dirs: string[]; user: string; pids: number[] };
        // The exit hook cleans synchronously; after SIGKILL the reaper does it within a second or so.
        await waitUntil(
          'servers gone',
          () =>
            made.pids.every((p) => !isAlive(p)) &&
            harnessProcesses({ dirs: made.dirs, users: [made.user] }).length === 0,
        );
        await waitUntil(
          'user and dirs gone',
          () => !userExists(made.user) && made.dirs.every((d) => !fs.existsSync(d)),
        );
      });
    }

    it('left nothing of this file running (checked with ps)', T, () => {
      // Runs last: everything above stopped what it started; `before`'s servers are still up.
      const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
      const mine = dirs.filter((d) => d !== dockerd.dir && d !== sshd.dir && d !== home.home);
      for (const d of mine) {
        assert.ok(!ps.includes(d), `a process still mentions ${d}:\n${ps}`);
      }
    });
  });
});
