import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { openSshError } from '../../src/core/engine/systemSshLink';
import { systemSshReason } from '../../src/core/ssh/systemSshNeed';
import type { EffectiveHost } from '../../src/core/sshConfig/effectiveHost';
import { resolveHostWithSsh } from '../../src/core/sshConfig/resolveHost';
import { sshClientMissing } from '../support/openssh';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-sysssh-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function host(o: Partial<EffectiveHost> = {}): EffectiveHost {
  return {
    alias: 'box',
    hostname: 'box.example',
    user: 'me',
    port: 2222,
    identityFiles: [],
    identitiesOnly: false,
    userKnownHostsFiles: [],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'ask',
    hashKnownHosts: false,
    source: 'ssh -G',
    ...o,
  };
}

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

describe('which hosts go through the system ssh client', () => {
  test('a plain host does not; each thing ssh2 cannot do does', async () => {
    assert.equal(await systemSshReason(host()), undefined);
    assert.equal(await systemSshReason(host({ pkcs11Provider: '/usr/lib/p11.so' })), 'pkcs11');
    assert.equal(await systemSshReason(host({ gssapiAuthentication: true })), 'gssapi');
    assert.equal(await systemSshReason(host({ certificateFiles: ['/k-cert.pub'] })), 'userCertificate');
  });

  test('@cert-authority for this host (with its port) in known_hosts; not for another host or a plain line', async () => {
    const kh = path.join(dir, 'known_hosts');
    fs.writeFileSync(kh, `box.example ssh-ed25519 ${ED}\n@cert-authority other.example ssh-ed25519 ${ED}\n`);
    assert.equal(await systemSshReason(host({ userKnownHostsFiles: [kh] })), undefined);
    fs.appendFileSync(kh, `@cert-authority [box.example]:2222 ssh-ed25519 ${ED}\n`);
    assert.equal(await systemSshReason(host({ userKnownHostsFiles: [kh] })), 'hostCertificate');
    assert.equal(await systemSshReason(host({ userKnownHostsFiles: [kh], port: 22 })), undefined);
  });

  test('a FIDO key among the identities (its .pub names an sk- type); a missing .pub is not one', async () => {
    const sk = path.join(dir, 'id_ed25519_sk');
    fs.writeFileSync(`${sk}.pub`, `sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t me@box\n`);
    const plain = path.join(dir, 'id_plain');
    fs.writeFileSync(`${plain}.pub`, `ssh-ed25519 ${ED} me@box\n`);
    assert.equal(await systemSshReason(host({ identityFiles: [plain, path.join(dir, 'nope')] })), undefined);
    assert.equal(await systemSshReason(host({ identityFiles: [plain, sk] })), 'securityKey');
  });
});

describe('OpenSSH failures read from its stderr', () => {
  const cases: [string, string | undefined][] = [
    ['Host key verification failed.', 'hostKeyUnknown'],
    [
      '@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n...\nHost key verification failed.',
      'hostKeyChanged',
    ],
    ['@ WARNING: REVOKED HOST KEY DETECTED! @\nHost key verification failed.', 'hostKeyRevoked'],
    ['me@box: Permission denied (publickey).', 'authFailed'],
    ['ssh: connect to host box port 2222: Connection refused', 'connectionRefused'],
    ['ssh: Could not resolve hostname box: Name or service not known', 'dnsFailed'],
    ['ssh: connect to host box port 2222: Connection timed out', 'timeout'],
    ['ssh: connect to host box port 2222: No route to host', 'hostUnreachable'],
    ['something else entirely', undefined],
  ];
  for (const [stderr, reason] of cases) {
    test(`${JSON.stringify(stderr.split('\n').pop())} → ${reason ?? 'none'}`, () => {
      const e = openSshError(stderr, 'me@box:2222', { transport: 'system-ssh' });
      assert.equal(e?.reason, reason);
      if (e) {
        assert.equal(e.details.transport, 'system-ssh');
        assert.ok(String(e.details.stderr).length <= 800);
      }
    });
  }
});

describe('ssh -G fields that decide it', async () => {
  const skip = await sshClientMissing();
  test(
    'PKCS11Provider, GSSAPIAuthentication and CertificateFile are read; absent, they are absent',
    { skip },
    async () => {
      const cfg = path.join(dir, 'config');
      fs.writeFileSync(
        cfg,
        'Host tok\n  PKCS11Provider /usr/lib/p11.so\n  GSSAPIAuthentication yes\n  CertificateFile ~/.ssh/id-cert.pub\n',
      );
      const o = { configFile: cfg, home: dir, localUser: 'me', sshBinary: 'ssh', systemConfigFile: null };
      const tok = await resolveHostWithSsh('tok', o);
      assert.equal(tok.pkcs11Provider, '/usr/lib/p11.so');
      assert.equal(tok.gssapiAuthentication, true);
      assert.deepEqual(tok.certificateFiles, [path.join(dir, '.ssh/id-cert.pub')]);
      const other = await resolveHostWithSsh('other', o);
      assert.equal(other.pkcs11Provider, undefined);
      assert.equal(other.gssapiAuthentication, undefined);
      assert.equal(other.certificateFiles, undefined);
    },
  );
});
