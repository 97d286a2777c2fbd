/**
 * HostKeyAlgorithms and PubkeyAcceptedAlgorithms as OpenSSH ≥ 8.8 applies them, against real
 * sshd servers with an RSA host key and an RSA user key, and the real `ssh` as the oracle: a
 * modern server (rsa-sha2-256/512) is reached; a server whose host key signs only with `ssh-rsa`
 * (SHA-1) is refused with a reason that names what is missing, and reached once the configuration
 * allows `ssh-rsa` again (`HostKeyAlgorithms +ssh-rsa`), for both resolvers (`ssh -G` and the
 * builtin one). The builtin assembly of the lists is compared with what `ssh -G` prints.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { connectSsh } from '../../src/core/ssh/connection';
import { resolveHost, resolveHostBuiltin, type EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import { assembleAlgorithms } from '../../src/core/sshConfig/sshAlgorithms';
import { createUser, requireRoot, startSshd, tempHome, type Sshd, type TempHome, type TestUser } from '../support';
import { rejectsWith } from '../support/rejectsWith';

const T = { timeout: 300_000 };

let modern: Sshd;
let legacy: Sshd;
let user: TestUser;
let h: TempHome;
let config: string;

async function keygen(file: string, type: string): Promise<void> {
  const r = await runProcess('/usr/bin/ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', file]);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  requireRoot('SSH algorithm tests');
  h = tempHome();
  config = path.join(h.sshDir, 'config');
  const rsaHostKey = path.join(h.home, 'rsa_host_key');
  const rsaUserKey = path.join(h.sshDir, 'id_rsa_test');
  await Promise.all([keygen(rsaHostKey, 'rsa'), keygen(rsaUserKey, 'rsa')]);
  [modern, legacy] = await Promise.all([
    startSshd({ extraConfig: [`HostKey ${rsaHostKey}`] }),
    // An old server's host key: RSA with SHA-1 only. (User keys: sshd 9.2 always advertises the
    // SHA-2 signatures, so the SHA-1-only case is tested against ssh2's server, which advertises
    // none: test/unit/signaturePolicy.test.ts.)
    startSshd({ extraConfig: [`HostKey ${rsaHostKey}`, 'HostKeyAlgorithms ssh-rsa'] }),
  ]);
  user = await createUser();
  user.authorizeKey(fs.readFileSync(`${rsaUserKey}.pub`, 'utf8'));
  // Only the RSA host key is known: the connection must verify that one.
  const hostLine = fs.readFileSync(`${rsaHostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const knownHosts = path.join(h.sshDir, 'known_hosts');
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${modern.port} ${hostLine}\n[127.0.0.1]:${legacy.port} ${hostLine}\n`, {
    mode: 0o600,
  });
  const block = (alias: string, port: number, extra: string[] = []): string =>
    [
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user.name}`,
      `  IdentityFile ${rsaUserKey}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      ...extra.map((l) => `  ${l}`),
      '',
    ].join('\n');
  fs.writeFileSync(
    config,
    [
      block('alg-modern', modern.port),
      block('alg-legacy', legacy.port),
      block('alg-legacy-hostkey', legacy.port, ['HostKeyAlgorithms +ssh-rsa']),
    ].join(''),
    { mode: 0o600 },
  );
});

after(async () => {
  await user?.remove();
  await Promise.allSettled([modern?.dispose(), legacy?.dispose()]);
  h?.remove();
});

function resolve(alias: string, builtin: boolean): Promise<EffectiveHost> {
  const o = { configFile: config, home: h.home, localUser: os.userInfo().username };
  return builtin ? resolveHostBuiltin(alias, { ...o, systemConfigFile: null }) : resolveHost(alias, o);
}

async function connect(alias: string, builtin: boolean): ReturnType<typeof connectSsh> {
  return connectSsh({ host: await resolve(alias, builtin), env: h.env, home: h.home, timeoutMs: 60_000 });
}

/** The oracle: does the real ssh log in with the same configuration? */
async function realSshWorks(alias: string): Promise<boolean> {
  const r = await runProcess('/usr/bin/ssh', ['-F', config, alias, 'true'], { env: h.env, timeoutMs: 60_000 });
  return r.code === 0;
}

describe('HostKeyAlgorithms and PubkeyAcceptedAlgorithms', () => {
  for (const builtin of [false, true]) {
    const which = builtin ? 'builtin resolver' : 'ssh -G';
    it(`an RSA host key and an RSA user key with rsa-sha2-256/512 (${which})`, T, async () => {
      assert.equal(await realSshWorks('alg-modern'), true);
      const c = await connect('alg-modern', builtin);
      try {
        assert.equal(c.hostKey.type, 'ssh-rsa');
        assert.equal(c.authMethod, 'publickey');
      } finally {
        c.close();
      }
    });

    it(`a server with only ssh-rsa (SHA-1) is refused unless the configuration allows it (${which})`, T, async () => {
      assert.equal(await realSshWorks('alg-legacy'), false);
      const hostKey = await rejectsWith(connect('alg-legacy', builtin), 'sshProtocolError');
      assert.equal(hostKey.details.detail, 'noCommonAlgorithm');
      assert.equal(hostKey.details.kind, 'host key format');

      assert.equal(await realSshWorks('alg-legacy-hostkey'), true);
      const c = await connect('alg-legacy-hostkey', builtin);
      assert.equal(c.hostKey.type, 'ssh-rsa');
      assert.equal(c.authMethod, 'publickey');
      c.close();
    });
  }

  it('the builtin assembly of +, -, ^ and patterns equals what ssh -G prints', T, async () => {
    const specs = ['+ssh-rsa', '-*cert*,ssh-rsa', '^ssh-rsa,ssh-ed25519', 'ecdsa*,ssh-ed25519', 'rsa-sha2-*'];
    for (const spec of specs) {
      const r = await runProcess('/usr/bin/ssh', ['-F', '/dev/null', '-o', `HostKeyAlgorithms=${spec}`, '-G', 'x']);
      const line = r.stdout.split('\n').find((l) => l.startsWith('hostkeyalgorithms ')) ?? '';
      assert.deepEqual(assembleAlgorithms(spec), line.slice('hostkeyalgorithms '.length).split(','), spec);
    }
  });
});
