/**
 * Real local accounts for the "remote" side of the tests: sshd authenticates them with their
 * password or keys, and their sessions run `docker system dial-stdio`.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProcess, type RunResult } from '../../src/core/common/exec';
import { register } from './cleanup';
import { processesOfUid, sleep, terminate } from './processes';
import { requireRoot } from './requireRoot';

export interface TestUser {
  name: string;
  home: string;
  uid: number;
  gid: number;
  password: string;
  /** Appends a public key line to `~/.ssh/authorized_keys` (owned by the user, 0600). */
  authorizeKey(publicLine: string): void;
  /** Kills the user's leftover processes, then `userdel -r`. Idempotent. */
  remove(): Promise<void>;
}

export interface CreateUserOptions {
  /** Defaults to a random one (so password authentication always works). */
  password?: string;
  /** Login shell; `/bin/bash` by default. */
  shell?: string;
  /** Add the user to the `docker` group (the daemon socket is root:docker 660). */
  docker?: boolean;
  /** Write `DOCKER_HOST=<value>` to `~/.ssh/environment` (needs `PermitUserEnvironment yes`). */
  dockerHost?: string;
}

/** Runs a shadow-utils command, retrying while a parallel run holds the passwd/group lock. */
async function shadow(cmd: string, args: string[], input?: string): Promise<RunResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await runProcess(cmd, args, { timeoutMs: 60_000, input });
    if (r.code === 0 || attempt >= 30 || !/lock|try again/i.test(r.stderr)) {
      return r;
    }
    await sleep(100 + Math.floor(Math.random() * 400));
  }
}

export async function createUser(options: CreateUserOptions = {}): Promise<TestUser> {
  requireRoot('createUser');
  const name = `rdc${randomBytes(4).toString('hex')}`;
  const password = options.password ?? randomBytes(12).toString('base64url');
  const args = ['-m', '-s', options.shell ?? '/bin/bash'];
  if (options.docker) {
    args.push('-G', 'docker');
  }
  const add = await shadow('useradd', [...args, name]);
  if (add.code !== 0) {
    throw new Error(`useradd ${name} failed (${add.code}): ${add.stderr}`);
  }
  const ids = await runProcess('id', ['-u', name]);
  const gids = await runProcess('id', ['-g', name]);
  const uid = Number(ids.stdout.trim());
  const gid = Number(gids.stdout.trim());
  const release = register({ kind: 'user', name, uid });
  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) {
      return;
    }
    removed = true;
    await terminate(processesOfUid(uid), 2_000);
    for (let attempt = 0; attempt < 20; attempt++) {
      const r = await shadow('userdel', ['-r', name]);
      // 0 done, 6 no such user, 12 home not removed (the account is gone anyway).
      if (r.code === 0 || r.code === 6 || r.code === 12) {
        release();
        return;
      }
      // 8 = still in use: a session was just starting.
      await terminate(processesOfUid(uid), 1_000);
      await sleep(200);
    }
    throw new Error(`could not remove user ${name}`);
  };

  try {
    // The password goes through stdin, never argv (argv is visible in ps).
    const pw = await shadow('chpasswd', [], `${name}:${password}\n`);
    if (pw.code !== 0) {
      throw new Error(`chpasswd failed (${pw.code}): ${pw.stderr}`);
    }
    const home = (await runProcess('getent', ['passwd', name])).stdout.split(':')[5] ?? `/home/${name}`;
    const sshDir = path.join(home, '.ssh');
    fs.mkdirSync(sshDir, { mode: 0o700, recursive: true });
    fs.chownSync(sshDir, uid, gid);
    if (options.dockerHost) {
      const envFile = path.join(sshDir, 'environment');
      fs.writeFileSync(envFile, `DOCKER_HOST=${options.dockerHost}\n`, { mode: 0o600 });
      fs.chownSync(envFile, uid, gid);
      const m = /^unix:\/\/(.+)$/.exec(options.dockerHost);
      if (m?.[1]) {
        // dial-stdio runs as the user and must traverse the daemon's private dir.
        fs.chmodSync(path.dirname(m[1]), 0o711);
      }
    }
    return {
      name,
      home,
      uid,
      gid,
      password,
      authorizeKey: (publicLine: string) => {
        const file = path.join(sshDir, 'authorized_keys');
        fs.appendFileSync(file, `${publicLine.trim()}\n`, { mode: 0o600 });
        fs.chmodSync(file, 0o600);
        fs.chownSync(file, uid, gid);
      },
      remove,
    };
  } catch (e) {
    await remove();
    throw e;
  }
}
