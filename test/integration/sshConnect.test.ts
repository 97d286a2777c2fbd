/**
 * connectSsh against a real OpenSSH sshd: key, agent, passphrase, password and
 * keyboard-interactive authentication; known_hosts trust (ask / yes / changed / hashed /
 * [host]:port) checked against the real ssh client; ProxyJump through a real hop; the `closed`
 * promise on a dying server and on a silent one (keepalive); precise reasons for socket faults.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { MemoryLogger } from '../../src/core/common/log';
import { connectSsh, PassphraseCache, type ConnectOptions, type SshConnection } from '../../src/core/ssh/connection';
import { generateKey as generateProjectKey } from '../../src/core/ssh/keys';
import { execRemote } from '../../src/core/ssh/remoteExec';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  closedPort,
  createUser,
  generateKey,
  knownHostsLine,
  requireRoot,
  startSshd,
  tempHome,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { registerProcess } from '../support/cleanup';
import { sleep, terminate, familyOf } from '../support/processes';
import { realSshLogin } from '../support/openssh';
import { rejectsWith } from '../support/rejectsWith';
import { tcpServer } from '../support/ports';

const T = { timeout: 180_000 };

function hostFor(h: TempHome, sshd: Pick<Sshd, 'port'>, user: string, o: Partial<EffectiveHost> = {}): EffectiveHost {
  return {
    alias: 'rdc-target',
    hostname: '127.0.0.1',
    user,
    port: sshd.port,
    identityFiles: [],
    identitiesOnly: false,
    userKnownHostsFiles: [path.join(h.sshDir, 'known_hosts')],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hashKnownHosts: false,
    source: 'builtin',
    ...o,
  };
}

function base(h: TempHome, host: EffectiveHost, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return { host, env: h.env, home: h.home, timeoutMs: 30_000, ...extra };
}

describe('connectSsh against a real sshd', () => {
  let sshd: Sshd;
  let user: TestUser;
  const homes: TempHome[] = [];
  const conns: SshConnection[] = [];

  const home = (): TempHome => {
    const h = tempHome();
    homes.push(h);
    return h;
  };
  const keep = (c: SshConnection): SshConnection => {
    conns.push(c);
    return c;
  };

  before(async () => {
    requireRoot('sshConnect tests');
    sshd = await startSshd();
    user = await createUser();
  });

  after(async () => {
    for (const c of conns) {
      c.close();
    }
    await user?.remove();
    await sshd?.dispose();
    for (const h of homes) {
      h.remove();
    }
  });

  it('logs in with a default-named key, reports the method, key and host key, and runs commands', T, async () => {
    const h = home();
    const key = await generateKey(h.home, 'id_ed25519');
    user.authorizeKey(key.publicLine);
    addKnownHost(h.home, knownHostsLine(sshd));
    const c = keep(await connectSsh(base(h, hostFor(h, sshd, user.name))));
    assert.equal(c.authMethod, 'publickey');
    assert.equal(c.identityFile, key.privateKey);
    assert.deepEqual(c.hostKey, { type: 'ssh-ed25519', fingerprint: sshd.hostKeyFingerprint, outcome: 'trusted' });
    const r = await execRemote(c.client, 'id -un; echo err >&2; exit 7');
    assert.equal(r.stdout.trim(), user.name);
    assert.equal(r.stderr.trim(), 'err');
    assert.equal(r.code, 7);
    const input = await execRemote(c.client, 'cat', { input: 'round trip\n' });
    assert.equal(input.stdout, 'round trip\n');
    c.close();
    assert.equal(await c.closed, undefined, 'a connection we closed ourselves carries no error');
  });

  it(
    'skips identity files that do not exist and never falls back to defaults when IdentitiesOnly names files',
    T,
    async () => {
      const h = home();
      const key = await generateKey(h.home, 'id_ed25519');
      user.authorizeKey(key.publicLine);
      addKnownHost(h.home, knownHostsLine(sshd));
      const missing = path.join(h.sshDir, 'does-not-exist');
      const c = keep(
        await connectSsh(
          base(h, hostFor(h, sshd, user.name, { identityFiles: [missing, key.privateKey], identitiesOnly: true })),
        ),
      );
      assert.equal(c.identityFile, key.privateKey);
      c.close();
      const err = await rejectsWith(
        connectSsh(base(h, hostFor(h, sshd, user.name, { identityFiles: [missing], identitiesOnly: true }))),
        'authFailed',
      );
      assert.equal(err.details.host, '127.0.0.1');
      assert.equal(err.details.port, sshd.port);
      assert.doesNotMatch(
        String(err.details.methodsTried),
        /id_ed25519/,
        'the default key must not be tried under IdentitiesOnly',
      );
    },
  );

  it('asks a passphrase once per key, retries a wrong one, and reuses the cached one', T, async () => {
    const h = home();
    const keyPath = path.join(h.sshDir, 'id_locked');
    const generated = await generateProjectKey({
      privateKeyPath: keyPath,
      passphrase: 'correct horse',
      comment: 'locked',
    });
    user.authorizeKey(generated.publicKey);
    addKnownHost(h.home, knownHostsLine(sshd));
    const asked: Array<{ keyPath: string; attempt: number }> = [];
    const answers = ['wrong', 'correct horse'];
    const cache = new PassphraseCache();
    const host = hostFor(h, sshd, user.name, { identityFiles: [keyPath], identitiesOnly: true });
    const prompts = {
      passphrase: (req: { keyPath: string; attempt: number }) => {
        asked.push(req);
        return Promise.resolve(answers.shift());
      },
    };
    const c = keep(await connectSsh(base(h, host, { prompts, passphrases: cache })));
    assert.equal(c.authMethod, 'publickey');
    assert.deepEqual(asked, [
      { keyPath, attempt: 1 },
      { keyPath, attempt: 2 },
    ]);
    c.close();
    const again = keep(await connectSsh(base(h, host, { prompts, passphrases: cache })));
    assert.equal(asked.length, 2, 'the cached passphrase is used without asking');
    again.close();
    assert.equal(JSON.stringify(cache), '{"size":1}', 'the cache never serialises its values');
  });

  for (const kind of [
    { name: 'rsa (rsa-sha2 signatures)', args: ['-t', 'rsa', '-b', '2048'] },
    { name: 'ecdsa', args: ['-t', 'ecdsa', '-b', '256'] },
    {
      name: 'legacy PEM rsa, encrypted, without its .pub',
      args: ['-t', 'rsa', '-b', '2048', '-m', 'PEM'],
      passphrase: 'pem pass',
      dropPub: true,
    },
  ]) {
    it(`logs in with an ssh-keygen ${kind.name} key`, T, async () => {
      const h = home();
      const keyPath = path.join(h.sshDir, 'id_kind');
      const r = await runProcess(
        '/usr/bin/ssh-keygen',
        ['-q', ...kind.args, '-N', kind.passphrase ?? '', '-C', 'kind', '-f', keyPath],
        { timeoutMs: 60_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      user.authorizeKey(fs.readFileSync(keyPath + '.pub', 'utf8'));
      if (kind.dropPub) {
        fs.rmSync(keyPath + '.pub');
      }
      addKnownHost(h.home, knownHostsLine(sshd));
      let asked = 0;
      const c = keep(
        await connectSsh(
          base(h, hostFor(h, sshd, user.name, { identityFiles: [keyPath], identitiesOnly: true }), {
            prompts: { passphrase: () => Promise.resolve((asked++, kind.passphrase)) },
          }),
        ),
      );
      assert.equal(c.identityFile, keyPath);
      assert.equal(asked, kind.passphrase ? 1 : 0);
      c.close();
    });
  }

  it('does not ask for the passphrase of a key the server would not accept anyway', T, async () => {
    const h = home();
    const keyPath = path.join(h.sshDir, 'id_unauthorized');
    await generateProjectKey({ privateKeyPath: keyPath, passphrase: 'secret', comment: 'not authorized' });
    addKnownHost(h.home, knownHostsLine(sshd));
    let asked = 0;
    const err = await rejectsWith(
      connectSsh(
        base(h, hostFor(h, sshd, user.name, { identityFiles: [keyPath], identitiesOnly: true }), {
          prompts: { passphrase: () => Promise.resolve((asked++, 'secret')) },
        }),
      ),
      'authFailed',
    );
    assert.equal(asked, 0);
    assert.match(String(err.details.methodsTried), /id_unauthorized/, 'the key was offered');
  });

  it(
    'uses the ssh-agent from SSH_AUTH_SOCK, honours IdentityAgent none, and filters agent keys under IdentitiesOnly',
    T,
    async () => {
      const h = home();
      const agentKey = await generateKey(h.home, 'agent_key');
      const otherKey = await generateKey(h.home, 'other_key');
      user.authorizeKey(agentKey.publicLine);
      addKnownHost(h.home, knownHostsLine(sshd));
      const sock = path.join(h.home, 'agent.sock');
      const agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', sock], { stdio: 'ignore', detached: true });
      assert.ok(agent.pid);
      const release = registerProcess(agent.pid, 'ssh-agent', true);
      try {
        for (let i = 0; i < 100 && !fs.existsSync(sock); i++) {
          await sleep(50);
        }
        const add = await runProcess('/usr/bin/ssh-add', [agentKey.privateKey], {
          env: { ...h.env, SSH_AUTH_SOCK: sock },
          timeoutMs: 30_000,
        });
        assert.equal(add.code, 0, add.stderr);
        // Move the key away: only the agent can log in now.
        fs.renameSync(agentKey.privateKey, agentKey.privateKey + '.moved');
        const env = { ...h.env, SSH_AUTH_SOCK: sock };
        const mark = sshd.logMark();
        const c = keep(await connectSsh({ ...base(h, hostFor(h, sshd, user.name)), env }));
        assert.equal(c.authMethod, 'agent');
        c.close();
        await rejectsWith(
          connectSsh({ ...base(h, hostFor(h, sshd, user.name, { identityAgent: 'none' })), env }),
          'authFailed',
        );
        const viaConfig = keep(
          await connectSsh({ ...base(h, hostFor(h, sshd, user.name, { identityAgent: sock })), env: h.env }),
        );
        assert.equal(viaConfig.authMethod, 'agent', 'IdentityAgent names the socket without SSH_AUTH_SOCK');
        viaConfig.close();
        await rejectsWith(
          connectSsh({
            ...base(h, hostFor(h, sshd, user.name, { identityFiles: [otherKey.privateKey], identitiesOnly: true })),
            env,
          }),
          'authFailed',
        );
        // sshd's own account of the logins since the mark: exactly the two agent logins, each with
        // the agent's key (the log is shared with earlier tests, which also logged in by key).
        const fingerprint = await keyFingerprint(agentKey.publicKey);
        const accepted = acceptedSince(sshd, mark);
        assert.deepEqual(accepted, [
          { method: 'publickey', user: user.name, fingerprint },
          { method: 'publickey', user: user.name, fingerprint },
        ]);
      } finally {
        await terminate(familyOf(agent.pid, true), 5_000);
        release();
      }
    },
  );

  it('logs in with a password only when allowed, and never logs it', T, async () => {
    const h = home();
    addKnownHost(h.home, knownHostsLine(sshd));
    const logger = new MemoryLogger();
    const prompts = { password: () => Promise.resolve(user.password) };
    await rejectsWith(connectSsh(base(h, hostFor(h, sshd, user.name), { prompts, logger })), 'authFailed');
    const c = keep(await connectSsh(base(h, hostFor(h, sshd, user.name), { prompts, logger, allowPassword: true })));
    assert.equal(c.authMethod, 'password');
    c.close();
    assert.ok(logger.lines.length > 0);
    for (const line of logger.lines) {
      assert.ok(!line.includes(user.password), `password leaked into: ${line}`);
    }
  });

  it(
    'asks about an unknown host key with the fingerprint ssh-keygen prints; declined leaves known_hosts alone',
    T,
    async () => {
      const h = home();
      const key = await generateKey(h.home, 'id_ed25519');
      user.authorizeKey(key.publicLine);
      const kh = path.join(h.sshDir, 'known_hosts');
      const seen: Array<{ fingerprint: string; keyType: string; name: string }> = [];
      const host = hostFor(h, sshd, user.name, { strictHostKeyChecking: 'ask' });
      await rejectsWith(
        connectSsh(base(h, host, { prompts: { confirmHostKey: (req) => Promise.resolve((seen.push(req), false)) } })),
        'hostKeyRejected',
      );
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.fingerprint, sshd.hostKeyFingerprint);
      assert.equal(seen[0]?.keyType, 'ssh-ed25519');
      assert.equal(seen[0]?.name, `[127.0.0.1]:${sshd.port}`);
      assert.equal(fs.existsSync(kh), false, 'a declined key is not written');

      const c = keep(await connectSsh(base(h, host, { prompts: { confirmHostKey: () => Promise.resolve(true) } })));
      assert.equal(c.hostKey.outcome, 'added');
      c.close();
      assert.match(fs.readFileSync(kh, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `, 'm'));
      const r = await realSshLogin(h, sshd.port, user.name, key.privateKey);
      assert.equal(r.code, 0, `the real ssh must trust the added key: ${r.stderr}`);
      const second = keep(
        await connectSsh(
          base(h, host, { prompts: { confirmHostKey: () => Promise.resolve(assert.fail('asked again')) } }),
        ),
      );
      assert.equal(second.hostKey.outcome, 'trusted');
      second.close();
    },
  );

  it('refuses an unknown key under StrictHostKeyChecking yes, accepts hashed entries', T, async () => {
    const h = home();
    const key = await generateKey(h.home, 'id_ed25519');
    user.authorizeKey(key.publicLine);
    await rejectsWith(connectSsh(base(h, hostFor(h, sshd, user.name))), 'hostKeyUnknown');
    const kh = path.join(h.sshDir, 'known_hosts');
    assert.equal(fs.existsSync(kh), false);
    addKnownHost(h.home, knownHostsLine(sshd));
    const hash = await runProcess('/usr/bin/ssh-keygen', ['-H', '-f', kh], { timeoutMs: 30_000 });
    assert.equal(hash.code, 0, hash.stderr);
    assert.match(fs.readFileSync(kh, 'utf8'), /^\|1\|/m, 'ssh-keygen -H hashed the entry');
    const c = keep(await connectSsh(base(h, hostFor(h, sshd, user.name))));
    assert.equal(c.hostKey.outcome, 'trusted');
    c.close();
  });

  it(
    'travels through a ProxyJump hop (the same sshd as jump host), each hop verified and authenticated',
    T,
    async () => {
      const h = home();
      const key = await generateKey(h.home, 'id_ed25519');
      user.authorizeKey(key.publicLine);
      addKnownHost(h.home, knownHostsLine(sshd));
      const before = await sshd.acceptedLogins();
      const jumpSpecs: string[] = [];
      const target = hostFor(h, sshd, user.name, { proxyJump: 'jumpbox' });
      const c = keep(
        await connectSsh(
          base(h, target, {
            resolveJumpHost: (spec) => {
              jumpSpecs.push(spec);
              return Promise.resolve(hostFor(h, sshd, user.name, { alias: spec }));
            },
          }),
        ),
      );
      assert.deepEqual(jumpSpecs, ['jumpbox']);
      assert.deepEqual(c.jumpHosts, ['jumpbox']);
      const r = await execRemote(c.client, 'echo "$SSH_CONNECTION"');
      // The target sees the hop's forwarded connection, coming from the loopback.
      assert.match(r.stdout, /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+/);
      assert.equal((await sshd.acceptedLogins()) - before, 2, 'one login for the hop, one for the target');
      c.close();
      assert.equal(await c.closed, undefined);

      // Two hops: `ProxyJump j1,j2` reaches j2 through j1, then the target through j2.
      const chainBefore = await sshd.acceptedLogins();
      const chain = keep(
        await connectSsh(
          base(h, hostFor(h, sshd, user.name, { proxyJump: 'j1,j2' }), {
            resolveJumpHost: (spec) => Promise.resolve(hostFor(h, sshd, user.name, { alias: spec })),
          }),
        ),
      );
      assert.deepEqual(chain.jumpHosts, ['j1', 'j2']);
      assert.equal((await execRemote(chain.client, 'echo ok')).stdout.trim(), 'ok');
      assert.equal((await sshd.acceptedLogins()) - chainBefore, 3);
      chain.close();
      assert.equal(await chain.closed, undefined);

      // An unknown key on the hop is refused before anything reaches the target.
      const strictHop = hostFor(h, sshd, user.name, {
        alias: 'hop2',
        userKnownHostsFiles: [path.join(h.home, 'empty_known_hosts')],
      });
      await rejectsWith(
        connectSsh(base(h, target, { resolveJumpHost: () => Promise.resolve(strictHop) })),
        'hostKeyUnknown',
      );
    },
  );

  it('reports connectionRefused for a hop that cannot reach the target port', T, async () => {
    const h = home();
    const key = await generateKey(h.home, 'id_ed25519');
    user.authorizeKey(key.publicLine);
    addKnownHost(h.home, knownHostsLine(sshd));
    const closed = await closedPort();
    const target = hostFor(h, { port: closed }, user.name, { proxyJump: `${user.name}@127.0.0.1:${sshd.port}` });
    // No resolver: the hop spec is read literally and inherits the target's trust settings.
    const err = await rejectsWith(connectSsh(base(h, target)), 'connectionRefused');
    assert.equal(err.details.port, closed);
    assert.equal(err.details.jumpHost, `${user.name}@127.0.0.1:${sshd.port}`);
  });

  it('maps socket faults: refused, DNS, not SSH, closed before greeting', T, async () => {
    const h = home();
    const port = await closedPort();
    const refused = await rejectsWith(connectSsh(base(h, hostFor(h, { port }, user.name))), 'connectionRefused');
    assert.deepEqual([refused.details.host, refused.details.port], ['127.0.0.1', port]);
    await rejectsWith(
      connectSsh(base(h, hostFor(h, { port: 22 }, user.name, { hostname: 'no-such-host.invalid' }))),
      'dnsFailed',
    );

    const http = await tcpServer((s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    try {
      const err = await rejectsWith(connectSsh(base(h, hostFor(h, { port: http.port }, user.name))), 'notSsh');
      assert.match(String(err.details.greeting), /^HTTP\/1\.1 400/);
    } finally {
      await http.close();
    }
    const slam = await tcpServer((s) => s.destroy());
    try {
      await rejectsWith(connectSsh(base(h, hostFor(h, { port: slam.port }, user.name))), 'connectionLost');
    } finally {
      await slam.close();
    }
  });
});

describe('connectSsh: the closed promise on a second sshd', () => {
  let sshd: Sshd;
  let user: TestUser;
  let h: TempHome;
  let key: { privateKey: string; publicLine: string };

  before(async () => {
    requireRoot('sshConnect tests');
    sshd = await startSshd();
    user = await createUser();
    h = tempHome();
    key = await generateKey(h.home, 'id_ed25519');
    user.authorizeKey(key.publicLine);
    addKnownHost(h.home, knownHostsLine(sshd));
  });

  after(async () => {
    await user?.remove();
    await sshd?.dispose();
    h?.remove();
  });

  it('resolves with connectionLost when the server goes away', T, async () => {
    const c = await connectSsh(base(h, hostFor(h, sshd, user.name)));
    await sshd.stop();
    const err = await c.closed;
    assert.ok(err, 'a dropped connection carries an error');
    assert.equal(err.reason, 'connectionLost');
    assert.equal(err.details.port, sshd.port);
    await sshd.start();
  });

  it('resolves with timeout when the server stops answering keepalives', T, async () => {
    const c = await connectSsh(
      base(h, hostFor(h, sshd, user.name), { keepaliveIntervalMs: 300, keepaliveCountMax: 2 }),
    );
    // Freeze the per-connection sshd processes: the TCP link stays up, nothing answers. A child
    // listed a moment ago may have exited since (a previous test's session closing): skip it.
    const frozen = familyOf(sshd.pid, false).filter((p) => {
      if (p === sshd.pid) {
        return false;
      }
      try {
        process.kill(p, 'SIGSTOP');
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') {
          return false;
        }
        throw e;
      }
    });
    assert.ok(frozen.length > 0, 'the session has its own sshd processes');
    try {
      const err = await c.closed;
      assert.ok(err);
      assert.equal(err.reason, 'timeout');
      assert.equal(err.details.detail, 'keepalive');
    } finally {
      for (const p of frozen) {
        try {
          process.kill(p, 'SIGCONT');
        } catch {
          // gone
        }
      }
    }
  });

  it('refuses a changed host key naming the known_hosts file and line', T, async () => {
    const kh = path.join(h.sshDir, 'known_hosts');
    fs.writeFileSync(kh, `# first line is a comment\n${knownHostsLine(sshd)}\n`, { mode: 0o600 });
    const before = fs.readFileSync(kh);
    await sshd.changeHostKey();
    const err = await rejectsWith(
      connectSsh(
        base(h, hostFor(h, sshd, user.name, { strictHostKeyChecking: 'ask' }), {
          prompts: {
            confirmHostKey: () => Promise.resolve(assert.fail('a changed key must never be offered for confirmation')),
          },
        }),
      ),
      'hostKeyChanged',
    );
    assert.equal(err.details.file, kh);
    assert.equal(err.details.line, 2);
    assert.equal(err.details.fingerprint, sshd.hostKeyFingerprint);
    assert.deepEqual(fs.readFileSync(kh), before, 'known_hosts unchanged');
    const r = await realSshLogin(h, sshd.port, user.name, key.privateKey);
    assert.notEqual(r.code, 0, 'the real ssh refuses it too');
    assert.match(r.stderr, /HOST IDENTIFICATION HAS CHANGED/);
  });
});

/** The `Accepted METHOD for USER … KEYTYPE FINGERPRINT` lines sshd wrote since `mark`. */
function acceptedSince(sshd: Sshd, mark: number): { method: string; user: string; fingerprint?: string }[] {
  const out: { method: string; user: string; fingerprint?: string }[] = [];
  for (const m of sshd.logSince(mark).matchAll(/\bAccepted (\S+) for (\S+) from \S+ port \d+ ssh2(?:: \S+ (\S+))?/g)) {
    out.push({ method: m[1], user: m[2], ...(m[3] ? { fingerprint: m[3] } : {}) });
  }
  return out;
}

/** The key's SHA256 fingerprint as ssh-keygen prints it. */
async function keyFingerprint(publicKeyFile: string): Promise<string> {
  const r = await runProcess('/usr/bin/ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split(' ')[1];
}
