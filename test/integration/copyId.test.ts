/**
 * copyPublicKey (ssh-copy-id semantics) against real sshd servers that take the password as
 * `password` and as keyboard-interactive (PAM), proven with the real ssh client afterwards.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import type { HostKeyRequest, SshPrompts } from '../../src/core/ssh/connection';
import { copyPublicKey } from '../../src/core/ssh/copyId';
import { generateKey } from '../../src/core/ssh/keys';
import { resolveHost, type EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import {
  appendSshConfig,
  createUser,
  requireRoot,
  sshHostBlock,
  startSshd,
  tempHome,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';

const T = { timeout: 240_000 };

interface Setup {
  h: TempHome;
  keyPath: string;
  host: EffectiveHost;
  config: string;
  knownHosts: string;
}

async function setup(sshd: Sshd, user: TestUser, alias: string, passphrase?: string): Promise<Setup> {
  const h = tempHome();
  const keyPath = path.join(h.sshDir, `id_${alias}`);
  await generateKey({ privateKeyPath: keyPath, passphrase, comment: `${alias}@test` });
  appendSshConfig(h.home, sshHostBlock({ alias, port: sshd.port, user: user.name, identityFile: keyPath }));
  const config = path.join(h.sshDir, 'config');
  const host = await resolveHost(alias, { configFile: config, home: h.home, localUser: 'root', timeoutMs: 30_000 });
  return { h, keyPath, host, config, knownHosts: path.join(h.sshDir, 'known_hosts') };
}

function prompts(
  sshd: Sshd,
  passwords: Array<string | undefined>,
  log: { password: number[]; hostKey: HostKeyRequest[] },
): SshPrompts {
  return {
    confirmHostKey: async (req) => {
      log.hostKey.push(req);
      assert.equal(req.fingerprint, sshd.hostKeyFingerprint);
      return true;
    },
    password: async (req) => {
      log.password.push(req.attempt);
      return passwords.shift();
    },
    passphrase: async () => assert.fail('no passphrase prompt expected'),
  };
}

/** The real OpenSSH client, strict about the host key, with nothing but the config we wrote. */
async function realSshLogin(s: Setup, alias: string): Promise<{ code: number | null; stderr: string }> {
  return runProcess(
    '/usr/bin/ssh',
    [
      '-F',
      s.config,
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${s.knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'IdentityAgent=none',
      alias,
      'true',
    ],
    { env: s.h.env, timeoutMs: 60_000 },
  );
}

function mode(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

for (const variant of [
  { name: 'password', sshd: { passwordAuth: true }, method: 'password' },
  {
    name: 'keyboard-interactive only',
    sshd: { kbdInteractive: true, passwordAuth: false },
    method: 'keyboard-interactive/pam',
  },
] as const) {
  describe(`copyPublicKey on a ${variant.name} server`, () => {
    let sshd: Sshd;
    let user: TestUser;
    const homes: TempHome[] = [];

    before(async () => {
      requireRoot('copyId tests');
      sshd = await startSshd(variant.sshd);
      user = await createUser();
    });

    after(async () => {
      await user?.remove();
      await sshd?.dispose();
      for (const h of homes) {
        h.remove();
      }
    });

    it(
      'installs the key with ssh-copy-id modes, the real ssh then logs in, and a second run changes nothing',
      T,
      async () => {
        // Let the install create ~/.ssh itself, so its modes come from the remote umask 077.
        fs.rmSync(path.join(user.home, '.ssh'), { recursive: true, force: true });
        const s = await setup(sshd, user, 'box');
        homes.push(s.h);
        assert.notEqual((await realSshLogin(s, 'box')).code, 0, 'the key does not log in before');
        const log = { password: [] as number[], hostKey: [] as HostKeyRequest[] };
        const result = await copyPublicKey({
          host: s.host,
          env: s.h.env,
          home: s.h.home,
          prompts: prompts(sshd, [user.password], log),
          privateKeyPath: s.keyPath,
          timeoutMs: 30_000,
        });
        const ak = path.join(user.home, '.ssh', 'authorized_keys');
        assert.deepEqual(result, { status: 'installed', authorizedKeysFile: ak });
        assert.deepEqual(log.password, [1]);
        assert.equal(log.hostKey.length, 1, 'the host key was confirmed once, before the password');
        assert.match(sshd.log(), new RegExp(`Accepted ${variant.method} for ${user.name} `));
        assert.equal(mode(path.join(user.home, '.ssh')), 0o700);
        assert.equal(mode(ak), 0o600);
        assert.equal(fs.statSync(ak).uid, user.uid);
        const pub = fs.readFileSync(s.keyPath + '.pub', 'utf8');
        assert.equal(fs.readFileSync(ak, 'utf8'), pub);
        const r = await realSshLogin(s, 'box');
        assert.equal(r.code, 0, r.stderr);

        const before = fs.readFileSync(ak);
        const again = await copyPublicKey({
          host: s.host,
          env: s.h.env,
          home: s.h.home,
          prompts: prompts(sshd, [], log),
          privateKeyPath: s.keyPath,
          timeoutMs: 30_000,
        });
        assert.deepEqual(again, { status: 'alreadyInstalled' });
        assert.deepEqual(log.password, [1], 'no password asked the second time');
        assert.deepEqual(fs.readFileSync(ak), before, 'authorized_keys byte-identical');
      },
    );

    it('adds the missing newline of an existing authorized_keys before appending, keeping its modes', T, async () => {
      const dir = path.join(user.home, '.ssh');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chownSync(dir, user.uid, user.gid);
      const ak = path.join(dir, 'authorized_keys');
      const existing = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl someone-else';
      fs.writeFileSync(ak, existing, { mode: 0o600 });
      fs.chownSync(ak, user.uid, user.gid);
      const s = await setup(sshd, user, 'nl');
      homes.push(s.h);
      const log = { password: [] as number[], hostKey: [] as HostKeyRequest[] };
      // Wrong first, right second: the login is retried within the same connection.
      const result = await copyPublicKey({
        host: s.host,
        env: s.h.env,
        home: s.h.home,
        prompts: prompts(sshd, ['not-the-password', user.password], log),
        privateKeyPath: s.keyPath,
        timeoutMs: 30_000,
      });
      assert.equal(result.status, 'installed');
      assert.deepEqual(log.password, [1, 2]);
      const pub = fs.readFileSync(s.keyPath + '.pub', 'utf8');
      assert.equal(fs.readFileSync(ak, 'utf8'), `${existing}\n${pub}`);
      assert.equal(mode(ak), 0o600);
      assert.equal((await realSshLogin(s, 'nl')).code, 0);
    });
  });
}

describe('copyPublicKey: more key and shell kinds', () => {
  let sshd: Sshd;
  const users: TestUser[] = [];
  const homes: TempHome[] = [];

  before(async () => {
    requireRoot('copyId tests');
    sshd = await startSshd();
  });

  after(async () => {
    for (const u of users) {
      await u.remove();
    }
    await sshd?.dispose();
    for (const h of homes) {
      h.remove();
    }
  });

  it('installs a passphrase-protected key given with its passphrase, without prompting for it', T, async () => {
    const user = await createUser();
    users.push(user);
    const s = await setup(sshd, user, 'locked', 'pass phrase');
    homes.push(s.h);
    const log = { password: [] as number[], hostKey: [] as HostKeyRequest[] };
    const result = await copyPublicKey({
      host: s.host,
      env: s.h.env,
      home: s.h.home,
      prompts: prompts(sshd, [user.password], log),
      privateKeyPath: s.keyPath,
      passphrase: 'pass phrase',
      timeoutMs: 60_000,
    });
    assert.equal(result.status, 'installed');
    const r = await runProcess('/usr/bin/ssh-keygen', ['-y', '-P', 'pass phrase', '-f', s.keyPath], {
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0);
    assert.ok(
      fs
        .readFileSync(path.join(user.home, '.ssh', 'authorized_keys'), 'utf8')
        .includes(r.stdout.trim().split(' ')[1] ?? '-'),
    );
  });

  it('works for a user whose login shell is tcsh (csh syntax), thanks to exec sh -c', T, async () => {
    // A missing tool is a setup bug, not a reason to pass without testing.
    assert.ok(fs.existsSync('/usr/bin/tcsh'), '/usr/bin/tcsh is missing: run scripts/setup.sh (it installs tcsh)');
    const user = await createUser({ shell: '/usr/bin/tcsh' });
    users.push(user);
    const s = await setup(sshd, user, 'csh');
    homes.push(s.h);
    const log = { password: [] as number[], hostKey: [] as HostKeyRequest[] };
    const result = await copyPublicKey({
      host: s.host,
      env: s.h.env,
      home: s.h.home,
      prompts: prompts(sshd, [user.password], log),
      privateKeyPath: s.keyPath,
      timeoutMs: 30_000,
    });
    assert.equal(result.status, 'installed');
    assert.equal((await realSshLogin(s, 'csh')).code, 0);
  });
});
