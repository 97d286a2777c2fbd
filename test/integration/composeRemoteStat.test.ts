/**
 * The bind-mount check asks the daemon's machine, not this one: over SFTP on a lease of the
 * engine pool's connection to a real OpenSSH sshd. The remote user is chrooted (sshd's
 * `ChrootDirectory` with `internal-sftp`), so the "remote" filesystem really differs from the
 * laptop's: a folder that exists here is missing there, and the other way round.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readComposeMounts } from '../../src/core/compose/composeMounts';
import { checkMounts } from '../../src/core/compose/mountCheck';
import { withSftpStat } from '../../src/core/compose/remoteStat';
import { EnginePool, type EngineTarget } from '../../src/core/engine/enginePool';
import { connectSsh } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  generateKey,
  knownHostsLine,
  requireRoot,
  sshHostBlock,
  startSshd,
  tempHome,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { register } from '../support/cleanup';
import { rejectsWith } from '../support/rejectsWith';

const T = { timeout: 120_000 };

let sshd: Sshd;
let user: TestUser;
let home: TempHome;
let pool: EnginePool;
/** The laptop's project folder (this machine's filesystem). */
let project: string;
/** The root of what the remote user sees over SFTP. */
let chroot: string;

const target: EngineTarget = { contextName: 'compose-remote', endpoint: 'ssh://compose-remote', skipTLSVerify: false };

before(async () => {
  requireRoot('remote stat integration tests');
  user = await createUser({ docker: false });
  // sshd refuses a chroot with any component writable by others, so not under /tmp.
  chroot = fs.mkdtempSync('/run/rdc-chroot-');
  register({ kind: 'dir', path: chroot });
  fs.chmodSync(chroot, 0o755);
  sshd = await startSshd({
    extraConfig: [`Match User ${user.name}`, `  ChrootDirectory ${chroot}`, '  ForceCommand internal-sftp'],
  });
  home = tempHome();
  const key = await generateKey(home.home);
  user.authorizeKey(key.publicLine);
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'compose-remote', port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  addKnownHost(home.home, knownHostsLine(sshd));
  project = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-compose-')), 'proj');
  register({ kind: 'dir', path: path.dirname(project) });
  // Here: src/ and a .env. There: data/ (a folder), conf (a file), and a folder nobody may enter.
  fs.mkdirSync(path.join(project, 'src'), { recursive: true });
  const there = path.join(chroot, project);
  fs.mkdirSync(path.join(there, 'data'), { recursive: true });
  fs.writeFileSync(path.join(there, 'conf'), 'x');
  fs.mkdirSync(path.join(there, 'locked', 'inner'), { recursive: true });
  fs.chmodSync(path.join(there, 'locked'), 0o700);
  pool = new EnginePool({
    connect: async (endpoint, signal) => {
      const resolved = await resolveHost(endpoint.host ?? '', {
        configFile: path.join(home.sshDir, 'config'),
        home: home.home,
        localUser: os.userInfo().username,
        signal,
      });
      return connectSsh({ host: resolved, env: home.env, home: home.home, signal, timeoutMs: 30_000 });
    },
    requestTimeoutMs: 30_000,
    idleTimeoutMs: 60_000,
  });
});

after(async () => {
  pool?.dispose();
  await sshd?.stop();
  await user?.remove();
  home?.remove();
});

describe('bind mounts checked on the remote over SFTP', () => {
  it('reports what is at each path there, not here', T, async () => {
    const compose = [
      'services:',
      '  app:',
      '    volumes:',
      '      - ./src:/app',
      '      - ${DATA:-./data}:/data',
      '      - type: bind',
      '        source: ./conf',
      '        target: /etc/conf',
      '      - ./locked/inner:/x',
      '',
    ].join('\n');
    const { mounts } = readComposeMounts(compose, {});
    const lease = await pool.lease(target);
    let found;
    try {
      found = await withSftpStat(lease.client, { timeoutMs: 20_000 }, (stat) =>
        checkMounts(mounts, { baseDir: project, home: home.home, stat }),
      );
    } finally {
      lease.release();
    }
    assert.deepEqual(
      found.map((f) => [path.relative(project, f.hostPath), f.remote, f.whenMissing]),
      [
        ['src', 'missing', 'createsEmptyDirectory'],
        ['data', 'directory', 'createsEmptyDirectory'],
        ['conf', 'file', 'failsToStart'],
        [path.join('locked', 'inner'), 'unknown', 'createsEmptyDirectory'],
      ],
    );
    assert.ok(fs.statSync(path.join(project, 'src')).isDirectory(), 'src/ exists on this machine');
    assert.equal(pool.stats().connectsTotal, 1);
  });

  it('a cancelled check stops with cancelled and closes its SFTP session', T, async () => {
    const lease = await pool.lease(target);
    const ac = new AbortController();
    try {
      await rejectsWith(
        withSftpStat(lease.client, { timeoutMs: 20_000, signal: ac.signal }, async (stat) => {
          ac.abort();
          return stat(project);
        }),
        'cancelled',
      );
      // The connection is still good for the next check.
      const kind = await withSftpStat(lease.client, { timeoutMs: 20_000 }, (stat) => stat(project));
      assert.equal(kind, 'directory');
    } finally {
      lease.release();
    }
  });
});
