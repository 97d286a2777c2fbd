/**
 * The bad-input matrix of the key install / connection flow: each case fails with its own reason,
 * and nothing changes on disk (the local temp home, and the remote user's ~/.ssh) — snapshots
 * before and after prove it. Cancelled attempts leave no TCP connection behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreError, type Reason } from '../../src/core/common/errors';
import { MemoryLogger } from '../../src/core/common/log';
import { connectSsh, type ConnectOptions } from '../../src/core/ssh/connection';
import { copyPublicKey } from '../../src/core/ssh/copyId';
import { generateKey } from '../../src/core/ssh/keys';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  blackholePort,
  closedPort,
  createUser,
  knownHostsLine,
  requireRoot,
  startSshd,
  tempHome,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { sleep } from '../support/processes';

const T = { timeout: 180_000 };

/** Every file and directory under `dir`: path → type, mode, owner and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(d).sort();
    } catch {
      out[d] = 'absent';
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      const st = fs.lstatSync(p);
      const kind = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file';
      const hash = st.isFile() ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '';
      out[path.relative(dir, p)] = `${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${hash}`;
      if (st.isDirectory()) {
        walk(p);
      }
    }
  };
  walk(dir);
  return out;
}

/** Connections from this machine to 127.0.0.1:port that are still ESTABLISHED (client side). */
function establishedTo(port: number): number {
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const rem = f[2];
      const state = f[3];
      if (rem && state === '01' && parseInt(rem.split(':')[1] ?? '', 16) === port) {
        n++;
      }
    }
  }
  return n;
}

async function noConnectionsTo(port: number): Promise<void> {
  for (let i = 0; i < 100 && establishedTo(port) > 0; i++) {
    await sleep(50);
  }
  assert.equal(establishedTo(port), 0, `a connection to port ${port} is still open`);
}

async function fails(p: Promise<unknown>, reason: Reason): Promise<CoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CoreError, `expected a CoreError, got ${String(e)}`);
    assert.equal(e.reason, reason, `${e.reason}: ${e.message}`);
    assert.equal(typeof e.details.host, 'string', 'details name the host');
    assert.equal(typeof e.details.port, 'number', 'details name the port');
    return e;
  }
  assert.fail(`expected ${reason}, but it succeeded`);
}

describe('bad input: nothing changes, every failure has its reason', () => {
  let sshd: Sshd;
  let user: TestUser;
  let nologin: TestUser;
  let h: TempHome;
  let keyPath: string;
  let lockedPath: string;

  const host = (o: Partial<EffectiveHost> = {}): EffectiveHost => ({
    alias: 'bad',
    hostname: '127.0.0.1',
    user: user.name,
    port: sshd.port,
    identityFiles: [],
    identitiesOnly: false,
    userKnownHostsFiles: [path.join(h.sshDir, 'known_hosts')],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'ask',
    hashKnownHosts: false,
    source: 'builtin',
    ...o,
  });
  const opts = (o: Partial<ConnectOptions> = {}): ConnectOptions => ({
    host: host(),
    env: h.env,
    home: h.home,
    timeoutMs: 30_000,
    ...o,
  });

  /** Runs the case and checks that neither side's files changed. */
  const unchanged = async (run: () => Promise<void>, remoteUser: TestUser = user): Promise<void> => {
    const local = snapshot(h.home);
    const remote = snapshot(path.join(remoteUser.home, '.ssh'));
    await run();
    assert.deepEqual(snapshot(h.home), local, 'the local home changed');
    assert.deepEqual(snapshot(path.join(remoteUser.home, '.ssh')), remote, "the remote user's ~/.ssh changed");
  };

  before(async () => {
    requireRoot('bad-input tests');
    sshd = await startSshd();
    user = await createUser();
    nologin = await createUser({ shell: '/usr/sbin/nologin' });
    h = tempHome();
    addKnownHost(h.home, knownHostsLine(sshd));
    keyPath = path.join(h.sshDir, 'id_new');
    await generateKey({ privateKeyPath: keyPath, comment: 'new' });
    lockedPath = path.join(h.sshDir, 'id_locked');
    const locked = await generateKey({ privateKeyPath: lockedPath, passphrase: 'the right one', comment: 'locked' });
    user.authorizeKey(locked.publicKey);
  });

  after(async () => {
    await user?.remove();
    await nologin?.remove();
    await sshd?.dispose();
    h?.remove();
  });

  it('wrong password three times → authFailed, the password appears in no log line or error', T, async () => {
    const secret = 'Wr0ng-But-Secret-Pa55';
    const logger = new MemoryLogger();
    const attempts: number[] = [];
    await unchanged(async () => {
      const err = await fails(
        copyPublicKey({
          ...opts({ logger }),
          privateKeyPath: keyPath,
          prompts: { password: (r) => Promise.resolve((attempts.push(r.attempt), secret)) },
        }),
        'authFailed',
      );
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.match(String(err.details.methodsTried), /password/);
      const everything = [err.message, JSON.stringify(err.details), String(err.stack), ...logger.lines].join('\n');
      assert.ok(!everything.includes(secret), 'the password leaked');
    });
  });

  it('wrong passphrase three times → keyPassphraseWrong', T, async () => {
    const attempts: number[] = [];
    await unchanged(async () => {
      const err = await fails(
        connectSsh(
          opts({
            host: host({ identityFiles: [lockedPath], identitiesOnly: true }),
            prompts: { passphrase: (r) => Promise.resolve((attempts.push(r.attempt), 'nope')) },
          }),
        ),
        'keyPassphraseWrong',
      );
      assert.equal(err.details.file, lockedPath);
      assert.deepEqual(attempts, [1, 2, 3]);
      // copy-id with that key stops at the key check: it never asks for a password.
      await fails(
        copyPublicKey({
          ...opts({
            prompts: {
              passphrase: () => Promise.resolve('nope'),
              password: () => Promise.resolve(assert.fail('no password after a passphrase failure')),
            },
          }),
          privateKeyPath: lockedPath,
        }),
        'keyPassphraseWrong',
      );
    });
  });

  it('closed port → connectionRefused', T, async () => {
    const port = await closedPort();
    await unchanged(async () => {
      const err = await fails(
        copyPublicKey({ ...opts({ host: host({ port }) }), privateKeyPath: keyPath }),
        'connectionRefused',
      );
      assert.equal(err.details.port, port);
    });
  });

  it('a port that accepts TCP and never speaks → timeout at the configured limit, no greeting', T, async () => {
    const bh = await blackholePort();
    try {
      await unchanged(async () => {
        // The port never speaks, so only the deadline can end the attempt: the reason, the stage
        // and the limit in the details prove it was the deadline, without timing anything.
        const err = await fails(
          copyPublicKey({ ...opts({ host: host({ port: bh.port }), timeoutMs: 2_000 }), privateKeyPath: keyPath }),
          'timeout',
        );
        assert.equal(err.details.detail, 'noGreeting');
        assert.equal(err.details.stage, 'greeting');
        assert.equal(err.details.timeoutMs, 2_000);
        assert.equal(bh.accepted(), 1);
      });
      await noConnectionsTo(bh.port);
    } finally {
      await bh.close();
    }
  });

  it('unknown user → authFailed', T, async () => {
    await unchanged(async () => {
      await fails(
        copyPublicKey({
          ...opts({
            host: host({ user: 'rdc-no-such-user' }),
            prompts: { password: () => Promise.resolve('whatever') },
          }),
          privateKeyPath: keyPath,
        }),
        'authFailed',
      );
    });
  });

  it('declined host key → hostKeyRejected, known_hosts untouched', T, async () => {
    await unchanged(async () => {
      await fails(
        copyPublicKey({
          ...opts({
            host: host({ userKnownHostsFiles: [path.join(h.sshDir, 'known_hosts_other')] }),
            prompts: {
              confirmHostKey: () => Promise.resolve(false),
              password: () => Promise.resolve(assert.fail('no password for an untrusted host')),
            },
          }),
          privateKeyPath: keyPath,
        }),
        'hostKeyRejected',
      );
    });
  });

  it('cancelled while the host key question is open: a late "yes" writes nothing', T, async () => {
    await unchanged(async () => {
      const ac = new AbortController();
      let answer!: (yes: boolean) => void;
      let asked!: () => void;
      const questionOpen = new Promise<void>((r) => (asked = r));
      const p = connectSsh(
        opts({
          host: host({ userKnownHostsFiles: [path.join(h.sshDir, 'known_hosts_late')] }),
          signal: ac.signal,
          prompts: {
            confirmHostKey: () =>
              new Promise<boolean>((r) => {
                answer = r;
                asked();
              }),
          },
        }),
      );
      await questionOpen;
      ac.abort();
      const err = await p.then(
        () => assert.fail('expected cancel'),
        (e: unknown) => e,
      );
      assert.ok(CoreError.is(err, 'cancelled'));
      answer(true);
      await sleep(300); // give a wrongly accepted key the time to be written
      assert.equal(fs.existsSync(path.join(h.sshDir, 'known_hosts_late')), false);
    });
    await noConnectionsTo(sshd.port);
  });

  it('a login shell that cannot run sh -c (nologin) → remoteShellNotPosix, nothing appended', T, async () => {
    await unchanged(async () => {
      const err = await fails(
        copyPublicKey({
          ...opts({
            host: host({ user: nologin.name }),
            prompts: { password: () => Promise.resolve(nologin.password) },
          }),
          privateKeyPath: keyPath,
        }),
        'remoteShellNotPosix',
      );
      assert.match(String(err.details.output), /not available/i, 'the detail quotes what the shell said');
      assert.equal(err.details.user, nologin.name);
    }, nologin);
  });

  it('cancelled while waiting for the greeting → cancelled, socket closed', T, async () => {
    const bh = await blackholePort();
    try {
      await unchanged(async () => {
        const ac = new AbortController();
        const p = connectSsh(opts({ host: host({ port: bh.port }), signal: ac.signal }));
        for (let i = 0; i < 200 && bh.accepted() === 0; i++) {
          await sleep(25);
        }
        assert.equal(bh.accepted(), 1);
        ac.abort();
        const err = await p.then(
          () => assert.fail('expected cancel'),
          (e: unknown) => e,
        );
        assert.ok(CoreError.is(err, 'cancelled'));
      });
      await noConnectionsTo(bh.port);
    } finally {
      await bh.close();
    }
  });

  it(
    'cancelled while the password prompt is open, or the prompt itself cancelled → cancelled, socket closed',
    T,
    async () => {
      await unchanged(async () => {
        const ac = new AbortController();
        let asked!: () => void;
        const promptOpen = new Promise<void>((r) => (asked = r));
        const p = copyPublicKey({
          ...opts({
            signal: ac.signal,
            prompts: {
              password: () => {
                asked();
                return new Promise<string | undefined>(() => undefined); // the person never answers
              },
            },
          }),
          privateKeyPath: keyPath,
        });
        await promptOpen;
        assert.ok(establishedTo(sshd.port) > 0, 'the connection is open while the prompt waits');
        ac.abort();
        const err = await p.then(
          () => assert.fail('expected cancel'),
          (e: unknown) => e,
        );
        assert.ok(CoreError.is(err, 'cancelled'));
        await noConnectionsTo(sshd.port);

        const dismissed = await copyPublicKey({
          ...opts({ prompts: { password: () => Promise.resolve(undefined) } }),
          privateKeyPath: keyPath,
        }).then(
          () => assert.fail('expected cancel'),
          (e: unknown) => e,
        );
        assert.ok(CoreError.is(dismissed, 'cancelled'));
        await noConnectionsTo(sshd.port);
      });
    },
  );
});
