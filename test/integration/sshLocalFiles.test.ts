/**
 * The local files a connection reads before it speaks to the server, against a real sshd with
 * OpenSSH's own client as the judge: a known_hosts that is a FIFO or sits on a file system that
 * stopped answering must end the attempt with a reason inside its deadline, and a private key
 * that others may read is refused exactly when ssh refuses it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectSsh, type ConnectOptions, type SshConnection } from '../../src/core/ssh/connection';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
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
import { realSshLogin } from '../support/openssh';
import { rejectsWith } from '../support/rejectsWith';

const T = { timeout: 120_000 };

/**
 * Fails when `p` has not settled after `ms` (ten times the attempt's own deadline): without it, a
 * connect that hangs would only show up as the test runner's timeout, with no word on what hung.
 */
function settlesWithin<V>(p: Promise<V>, ms: number, what: string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still running after ${ms} ms: it hangs`)), ms);
  });
  return Promise.race([p, hang]).finally(() => clearTimeout(timer));
}

describe('local files read by a connection', () => {
  let sshd: Sshd;
  let user: TestUser;
  let h: TempHome;
  const conns: SshConnection[] = [];

  const host = (o: Partial<EffectiveHost> = {}): EffectiveHost => ({
    alias: 'rdc-local-files',
    hostname: '127.0.0.1',
    user: user.name,
    port: sshd.port,
    identityFiles: [],
    identitiesOnly: false,
    userKnownHostsFiles: [path.join(h.sshDir, 'known_hosts')],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hashKnownHosts: false,
    source: 'builtin',
    ...o,
  });
  const opts = (o: Partial<ConnectOptions> = {}): ConnectOptions => ({
    host: host(),
    env: h.env,
    home: h.home,
    useAgent: false,
    timeoutMs: 2_000,
    ...o,
  });

  before(async () => {
    requireRoot('local file tests');
    sshd = await startSshd();
    user = await createUser();
    h = tempHome();
    addKnownHost(h.home, knownHostsLine(sshd));
  });

  after(async () => {
    for (const c of conns) {
      c.close();
    }
    await user?.remove();
    await sshd?.dispose();
    h?.remove();
  });

  it('a FIFO as UserKnownHostsFile ends the attempt with "not a regular file", no read left waiting', T, async () => {
    const fifo = path.join(h.sshDir, 'known_hosts_fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const err = await rejectsWith(
      settlesWithin(connectSsh(opts({ host: host({ userKnownHostsFiles: [fifo] }) })), 20_000, 'the connect'),
      'fileUnreadable',
    );
    assert.equal(err.details.file, fifo);
    assert.equal(err.details.code, 'ENOTREG');
    // As a global file too (read after the user files).
    const err2 = await rejectsWith(
      settlesWithin(connectSsh(opts({ host: host({ globalKnownHostsFiles: [fifo] }) })), 20_000, 'the connect'),
      'fileUnreadable',
    );
    assert.equal(err2.details.code, 'ENOTREG');
  });

  it('known_hosts on a file system that stopped answering: the deadline ends the attempt', T, async () => {
    // A real hung read: every thread of libuv's pool is held by an open() of a FIFO that has no
    // writer, as a hung network file system holds it, so the known_hosts read queues behind them.
    const pool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const fifos: string[] = [];
    const held: Promise<unknown>[] = [];
    for (let i = 0; i < pool; i++) {
      const f = path.join(h.home, `hold-${i}`);
      assert.equal(spawnSync('mkfifo', [f]).status, 0);
      fifos.push(f);
      held.push(fs.promises.readFile(f).catch(() => undefined));
    }
    try {
      const err = await rejectsWith(
        settlesWithin(connectSsh(opts({ timeoutMs: 1_500 })), 15_000, 'the connect'),
        'timeout',
      );
      assert.equal(err.details.stage, 'knownHosts');
      assert.equal(err.details.timeoutMs, 1_500);
      assert.match(String(err.details.files), /known_hosts/);
    } finally {
      // Open each FIFO for writing once: the held reads see EOF and give their threads back.
      spawnSync('/bin/sh', ['-c', 'for f in "$@"; do : > "$f"; done', 'sh', ...fifos], { timeout: 10_000 });
      await Promise.all(held);
    }
    // The pool is free again: the same attempt now gets through (proves the fault, not the host).
    const key = await generateKey(h.home, 'id_pool');
    user.authorizeKey(key.publicLine);
    const c = await connectSsh(opts({ host: host({ identityFiles: [key.privateKey], identitiesOnly: true }) }));
    conns.push(c);
    assert.equal(c.authMethod, 'publickey');
  });

  it('a private key readable by group or others is refused like ssh refuses it; chmod 600 fixes both', T, async () => {
    const key = await generateKey(h.home, 'id_open');
    user.authorizeKey(key.publicLine);
    const realSsh = (): Promise<{ code: number | null; stderr: string }> =>
      realSshLogin(h, sshd.port, user.name, key.privateKey);
    const keyHost = host({ identityFiles: [key.privateKey], identitiesOnly: true });
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      fs.chmodSync(key.privateKey, mode);
      const ssh = await realSsh();
      assert.notEqual(ssh.code, 0, `ssh used the key with mode ${mode.toString(8)}`);
      assert.match(ssh.stderr, /UNPROTECTED PRIVATE KEY FILE/);
      const err = await rejectsWith(connectSsh(opts({ host: keyHost, timeoutMs: 30_000 })), 'keyPermissions');
      assert.equal(err.details.file, key.privateKey);
      assert.equal(err.details.mode, mode.toString(8).padStart(4, '0'));
    }
    for (const mode of [0o600, 0o400]) {
      fs.chmodSync(key.privateKey, mode);
      const ssh = await realSsh();
      assert.equal(ssh.code, 0, ssh.stderr);
      const c = await connectSsh(opts({ host: keyHost, timeoutMs: 30_000 }));
      conns.push(c);
      assert.equal(c.identityFile, key.privateKey);
    }
  });
});
