/**
 * ProxyCommand against the real sshd and dockerd, with the docker CLI (which runs OpenSSH, which
 * runs the same command) as the oracle: `ProxyCommand ssh -W %h:%p jump` (the jump host is the
 * same sshd under another alias, with its own key and known_hosts file) and a netcat-style pipe
 * (`nc %h %p` when a netcat is installed, else a small Node pipe with the same arguments); the
 * engine's OS/arch equal `docker --context X version`'s; the precedence between ProxyJump and
 * ProxyCommand as both resolvers read it; a jump host that refuses shows ssh's own stderr in the
 * reason; and 50 reconnects leave no process behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContextStore } from '../../src/core/contexts/contextStore';
import { runProcess } from '../../src/core/common/exec';
import { EnginePool, type EnginePoolOptions } from '../../src/core/engine/enginePool';
import { connectSsh } from '../../src/core/ssh/connection';
import { execRemote } from '../../src/core/ssh/remoteExec';
import { resolveHost, resolveHostBuiltin, type EffectiveHost } from '../../src/core/sshConfig/resolveHost';
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
import { commandPath } from '../support/busybox';
import { descendants, isAlive } from '../support/processes';
import { rejectsWith } from '../support/rejectsWith';
import { waitUntil } from '../support/waitFor';

const T = { timeout: 600_000 };

let dockerd: Dockerd;
let sshd: Sshd;
let user: TestUser;
let h: TempHome;
let config: string;
/** What stands in for `nc %h %p`, and why. */
let pipeCommand: string;

before(async () => {
  requireRoot('ProxyCommand integration tests');
  [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
  user = await createUser({ docker: true, dockerHost: dockerd.host });
  h = tempHome();
  config = path.join(h.sshDir, 'config');
  const key = await generateKey(h.home);
  const jumpKey = await generateKey(h.home, 'jump_key');
  user.authorizeKey(key.publicLine);
  user.authorizeKey(jumpKey.publicLine);
  addKnownHost(h.home, knownHostsLine(sshd));
  const jumpKnownHosts = path.join(h.sshDir, 'known_hosts_jump');
  fs.writeFileSync(jumpKnownHosts, `${knownHostsLine(sshd)}\n`, { mode: 0o600 });

  // No netcat on some machines: a Node pipe taking the same two arguments stands in for it.
  const nc = ['nc', 'ncat', 'netcat'].map((n) => commandPath(n)).find((p) => p.startsWith('/'));
  if (nc) {
    pipeCommand = `${nc} %h %p`;
  } else {
    const pipe = path.join(h.home, 'pipe.js');
    fs.writeFileSync(
      pipe,
      "const s = require('net').connect(Number(process.argv[3]), process.argv[2]);\n" +
        'process.stdin.pipe(s).pipe(process.stdout);\n' +
        "s.on('close', () => process.exit(0)); s.on('error', () => process.exit(1));\n",
    );
    pipeCommand = `${process.execPath} ${pipe} %h %p`;
  }

  const block = (alias: string, extra: string[] = []): string =>
    sshHostBlock({ alias, port: sshd.port, user: user.name, identityFile: key.privateKey }) +
    extra.map((l) => `  ${l}\n`).join('');
  appendSshConfig(
    h.home,
    [
      sshHostBlock({ alias: 'pc-jump', port: sshd.port, user: user.name, identityFile: jumpKey.privateKey }),
      `  UserKnownHostsFile ${jumpKnownHosts}\n  BatchMode yes\n`,
      // A jump host whose key nobody recorded: its ssh refuses, and says so on stderr.
      sshHostBlock({ alias: 'pc-jump-unknown', port: sshd.port, user: user.name, identityFile: jumpKey.privateKey }),
      `  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
      block('pc-w', [`ProxyCommand ssh -F ${config} -W %h:%p pc-jump`]),
      block('pc-nc', [`ProxyCommand ${pipeCommand}`]),
      block('pc-refused', [`ProxyCommand ssh -F ${config} -W %h:%p pc-jump-unknown`]),
      // The first of ProxyCommand / ProxyJump wins (ssh_config(5)); the loser here would fail.
      block('pc-command-first', [`ProxyCommand ${pipeCommand}`, 'ProxyJump pc-jump-unknown']),
      block('pc-jump-first', ['ProxyJump pc-jump', `ProxyCommand sh -c 'exit 9'`]),
      block('pc-none', ['ProxyCommand none', 'ProxyJump pc-jump-unknown']),
    ].join(''),
  );
  for (const name of ['pc-w', 'pc-nc']) {
    await docker(['context', 'create', name, '--docker', `host=ssh://${name}`]);
  }
});

after(async () => {
  await user?.remove();
  await Promise.allSettled([sshd?.dispose(), dockerd?.stop()]);
  h?.remove();
});

async function docker(args: string[]): Promise<string> {
  const r = await runProcess(DOCKER_CLI, args, { env: h.env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function resolve(alias: string, builtin = false): Promise<EffectiveHost> {
  const o = { configFile: config, home: h.home, localUser: os.userInfo().username };
  return builtin ? resolveHostBuiltin(alias, { ...o, systemConfigFile: null }) : resolveHost(alias, o);
}

async function connect(alias: string, builtin = false): ReturnType<typeof connectSsh> {
  return connectSsh({ host: await resolve(alias, builtin), env: h.env, home: h.home, timeoutMs: 60_000 });
}

const connectForPool: EnginePoolOptions['connect'] = async (endpoint, signal) =>
  connectSsh({ host: await resolve(endpoint.host ?? ''), env: h.env, home: h.home, signal, timeoutMs: 60_000 });

describe('ProxyCommand against the real sshd', () => {
  it('`ssh -W %h:%p jump` and a netcat pipe: the engine shows what `docker --context X` shows', T, async () => {
    const store = new ContextStore({ configDir: h.dockerConfig, env: h.env });
    for (const name of ['pc-w', 'pc-nc']) {
      const platform = await docker(['--context', name, 'version', '--format', '{{.Server.Os}}/{{.Server.Arch}}']);
      const cli = JSON.parse(await docker(['--context', name, 'info', '--format', '{{json .}}'])) as Record<
        string,
        unknown
      >;
      const pool = new EnginePool({ connect: connectForPool, requestTimeoutMs: 60_000, idleTimeoutMs: 300_000 });
      try {
        const c = await store.get(name);
        const info = await pool.info({ contextName: c.name, endpoint: c.endpoint, skipTLSVerify: c.skipTLSVerify });
        assert.equal(info.platform, platform, name);
        assert.equal(info.operatingSystem, cli.OperatingSystem, name);
        assert.equal(info.architecture, cli.Architecture, name);
        assert.equal(info.id, cli.ID, name);
      } finally {
        pool.dispose();
      }
    }
  });

  it('the command runs with the expanded tokens, and commands travel over it', T, async () => {
    const mark = sshd.logMark();
    const c = await connect('pc-w');
    try {
      const r = await execRemote(c.client, 'id -un', { timeoutMs: 30_000 });
      assert.equal(r.stdout.trim(), user.name);
    } finally {
      c.close();
      await c.closed;
    }
    // Two logins: the jump host's (its own key) and the target's, through the jump's channel.
    const log = sshd.logSince(mark);
    assert.equal((log.match(/Accepted publickey/g) ?? []).length, 2, log);
  });

  it(
    'ProxyJump and ProxyCommand: the first one written wins, as ssh -G and the builtin resolver read it',
    T,
    async () => {
      for (const builtin of [false, true]) {
        const first = await resolve('pc-command-first', builtin);
        assert.equal(first.proxyJump, undefined);
        assert.equal(first.proxyCommand, pipeCommand);
        (await connect('pc-command-first', builtin)).close();
        const jump = await resolve('pc-jump-first', builtin);
        assert.equal(jump.proxyCommand, undefined);
        assert.equal(jump.proxyJump, 'pc-jump');
        const none = await resolve('pc-none', builtin);
        assert.equal(none.proxyCommand, undefined, '`ProxyCommand none` also keeps a later ProxyJump out');
        assert.equal(none.proxyJump, undefined);
        (await connect('pc-none', builtin)).close();
      }
      // And the jump-first host does reach the target through its jump (the ProxyCommand would exit 9).
      const viaJump = await connectSsh({
        host: await resolve('pc-jump-first'),
        env: h.env,
        home: h.home,
        timeoutMs: 60_000,
        resolveJumpHost: (spec) => resolve(spec),
      });
      assert.deepEqual(viaJump.jumpHosts, ['pc-jump']);
      viaJump.close();
    },
  );

  it("a jump host that refuses: ssh's own message is the reason", T, async () => {
    const e = await rejectsWith(connect('pc-refused'), 'proxyCommandFailed');
    assert.equal(e.details.exitCode, 255);
    assert.match(String(e.details.stderr), /Host key verification failed/);
  });

  it('50 reconnects leave no process behind (children counted by pid)', T, async () => {
    const before = new Set(descendants(process.pid));
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const c = await connect('pc-w');
      for (const pid of descendants(process.pid)) {
        if (!before.has(pid)) {
          seen.add(pid);
        }
      }
      c.close();
      await c.closed;
    }
    assert.ok(seen.size >= 50, `each connection ran its own command (${seen.size} processes seen)`);
    await waitUntil('every command of the 50 connections has ended', () => [...seen].every((pid) => !isAlive(pid)));
    const left = descendants(process.pid).filter((pid) => !before.has(pid));
    assert.deepEqual(left, []);
  });
});
