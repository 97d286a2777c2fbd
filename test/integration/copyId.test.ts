/**
 * copyPublicKey (ssh-copy-id semantics) against real sshd servers that take the password as
 * `password` and as keyboard-interactive (PAM), proven with the real ssh client afterwards.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
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
import { realSshCopyId } from '../support/openssh';

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
    confirmHostKey: (req) => {
      log.hostKey.push(req);
      assert.equal(req.fingerprint, sshd.hostKeyFingerprint);
      return Promise.resolve(true);
    },
    password: (req) => {
      log.password.push(req.attempt);
      return Promise.resolve(passwords.shift());
    },
    passphrase: () => assert.fail('no passphrase prompt expected'),
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

/** What copy-id leaves in a user's home: the modes of ~/.ssh and authorized_keys, and its text. */
function installed(user: TestUser): { dirMode: number; fileMode: number; text: string; owner: number } {
  const dir = path.join(user.home, '.ssh');
  const ak = path.join(dir, 'authorized_keys');
  return { dirMode: mode(dir), fileMode: mode(ak), text: fs.readFileSync(ak, 'utf8'), owner: fs.statSync(ak).uid };
}

/**
 * The real ssh-copy-id installs `peer`'s key for `peer` from the same starting state; its result,
 * with peer's key line read as `s`'s key line and peer's uid as `user`'s, is what copyPublicKey
 * should have produced for `user`.
 */
async function sshCopyIdOracle(
  sshd: Sshd,
  peer: TestUser,
  s: Setup,
  user: TestUser,
  prepare: (u: TestUser) => void,
): Promise<{ dirMode: number; fileMode: number; text: string; owner: number }> {
  prepare(peer);
  const p = await setup(sshd, peer, 'oracle');
  try {
    const r = await realSshCopyId({
      publicKeyFile: p.keyPath + '.pub',
      configFile: p.config,
      alias: 'oracle',
      knownHostsFile: p.knownHosts,
      env: p.h.env,
      password: peer.password,
      scratchDir: p.h.home,
    });
    assert.equal(r.code, 0, `ssh-copy-id failed: ${r.stderr}`);
    const got = installed(peer);
    const peerKey = fs.readFileSync(p.keyPath + '.pub', 'utf8').trim();
    const ownKey = fs.readFileSync(s.keyPath + '.pub', 'utf8').trim();
    assert.ok(got.text.includes(peerKey), 'ssh-copy-id installed the key');
    return { ...got, text: got.text.split(peerKey).join(ownKey), owner: got.owner === peer.uid ? user.uid : -1 };
  } finally {
    p.h.remove();
  }
}

/** No ~/.ssh at all: the install creates it, so its modes come from the remote umask. */
function noSshDir(u: TestUser): void {
  fs.rmSync(path.join(u.home, '.ssh'), { recursive: true, force: true });
}

const EXISTING_LINE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl someone-else';

/** An authorized_keys of one line without its final newline. */
function existingWithoutNewline(u: TestUser): void {
  const dir = path.join(u.home, '.ssh');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chownSync(dir, u.uid, u.gid);
  const ak = path.join(dir, 'authorized_keys');
  fs.writeFileSync(ak, EXISTING_LINE, { mode: 0o600 });
  fs.chownSync(ak, u.uid, u.gid);
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
    /** A second account, installed into by the real ssh-copy-id as the oracle. */
    let peer: TestUser;
    const homes: TempHome[] = [];

    before(async () => {
      requireRoot('copyId tests');
      sshd = await startSshd(variant.sshd);
      user = await createUser();
      peer = await createUser();
    });

    after(async () => {
      await user?.remove();
      await peer?.remove();
      await sshd?.dispose();
      for (const h of homes) {
        h.remove();
      }
    });

    it(
      'installs the key as the real ssh-copy-id does, the real ssh then logs in, and a second run changes nothing',
      T,
      async () => {
        // Let the install create ~/.ssh itself, so its modes come from the remote umask 077.
        noSshDir(user);
        const s = await setup(sshd, user, 'box');
        homes.push(s.h);
        assert.notEqual((await realSshLogin(s, 'box')).code, 0, 'the key does not log in before');
        const mark = sshd.logMark();
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
        assert.match(sshd.logSince(mark), new RegExp(`Accepted ${variant.method} for ${user.name} `));
        assert.deepEqual(installed(user), await sshCopyIdOracle(sshd, peer, s, user, noSshDir));
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

    it('adds the missing newline of an existing authorized_keys before appending, as ssh-copy-id does', T, async () => {
      existingWithoutNewline(user);
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
      assert.deepEqual(installed(user), await sshCopyIdOracle(sshd, peer, s, user, existingWithoutNewline));
      assert.ok(installed(user).text.startsWith(EXISTING_LINE + '\n'), 'the other key is kept on its own line');
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

  it(
    'reports a key that is installed but refused (StrictModes, o+w home), and does not append it twice',
    T,
    async () => {
      const user = await createUser();
      users.push(user);
      const s = await setup(sshd, user, 'gw');
      homes.push(s.h);
      // A home others may write makes sshd (StrictModes yes) ignore authorized_keys: a real refusal.
      // World-writable rather than group-writable: Debian's sshd accepts a group-writable home when
      // the group is the user's own private group (its user-group-modes patch), as useradd made it.
      fs.chmodSync(user.home, fs.statSync(user.home).mode | 0o002);
      const ak = path.join(user.home, '.ssh', 'authorized_keys');
      const run = (): Promise<unknown> =>
        copyPublicKey({
          host: s.host,
          env: s.h.env,
          home: s.h.home,
          prompts: prompts(sshd, [user.password], { password: [], hostKey: [] }),
          privateKeyPath: s.keyPath,
          timeoutMs: 30_000,
        });
      const refused = (e: unknown): boolean => {
        assert.ok(CoreError.is(e, 'authFailed'), String(e));
        assert.equal(e.details.detail, 'installedButRefused');
        assert.equal(e.details.file, ak);
        return true;
      };
      await assert.rejects(run(), refused);
      const pub = fs.readFileSync(s.keyPath + '.pub', 'utf8');
      assert.equal(fs.readFileSync(ak, 'utf8'), pub, 'the key was written');
      // The real client agrees that the server refuses it.
      assert.notEqual((await realSshLogin(s, 'gw')).code, 0);
      await sshd.waitForLog(new RegExp(`Authentication refused: bad ownership or modes for directory ${user.home}`));

      // Second run: the key is already there (the "present" branch), so nothing is appended.
      await assert.rejects(run(), refused);
      assert.equal(fs.readFileSync(ak, 'utf8'), pub, 'not appended a second time');

      // With the home fixed, the same key logs in: the refusal was the mode, not the key.
      fs.chmodSync(user.home, fs.statSync(user.home).mode & ~0o022);
      assert.equal((await realSshLogin(s, 'gw')).code, 0);
    },
  );

  it('reports the remote failure when authorized_keys cannot be written', T, async () => {
    const user = await createUser();
    users.push(user);
    const s = await setup(sshd, user, 'ro');
    homes.push(s.h);
    // ~/.ssh is a plain file, so `mkdir -p .ssh` fails on the host as it would for ssh-copy-id.
    const dot = path.join(user.home, '.ssh');
    fs.rmSync(dot, { recursive: true, force: true });
    fs.writeFileSync(dot, 'not a directory\n');
    fs.chownSync(dot, user.uid, user.gid);
    await assert.rejects(
      copyPublicKey({
        host: s.host,
        env: s.h.env,
        home: s.h.home,
        prompts: prompts(sshd, [user.password], { password: [], hostKey: [] }),
        privateKeyPath: s.keyPath,
        timeoutMs: 30_000,
      }),
      (e: unknown) => {
        assert.ok(CoreError.is(e, 'remoteCommandFailed'), String(e));
        assert.equal(e.details.code, 1);
        assert.match(String(e.details.stderr), /File exists|Not a directory/);
        return true;
      },
    );
    assert.equal(fs.readFileSync(dot, 'utf8'), 'not a directory\n', 'nothing was written');
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
