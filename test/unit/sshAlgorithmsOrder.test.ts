import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fastestFirst, ssh2Algorithms } from '../../src/core/ssh/algorithms';
import type { EffectiveHost } from '../../src/core/sshConfig/effectiveHost';

/** OpenSSH 9.2's default Ciphers, as `ssh -G` prints them. */
const OPENSSH_DEFAULT = [
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
];

test('the configured ciphers bound the set; the fastest of them for ssh2 is offered first', () => {
  const preferred = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'chacha20-poly1305@openssh.com'];
  assert.deepEqual(fastestFirst(OPENSSH_DEFAULT, preferred), [
    'aes128-gcm@openssh.com',
    'aes256-gcm@openssh.com',
    'aes128-ctr',
    'chacha20-poly1305@openssh.com',
    'aes192-ctr',
    'aes256-ctr',
  ]);
  // A list that leaves the fast ones out is kept to itself.
  assert.deepEqual(fastestFirst(['aes256-ctr', 'aes192-ctr'], preferred), ['aes256-ctr', 'aes192-ctr']);
  assert.equal(fastestFirst(undefined, preferred), undefined);
});

test("with ssh -G's default list, ssh2 is asked for AES-GCM first, and never for a cipher outside the list", () => {
  const host = { ciphers: OPENSSH_DEFAULT } as unknown as EffectiveHost;
  const cipher = ssh2Algorithms({ ...host, identityFiles: [] }, undefined).cipher as string[];
  assert.equal(cipher[0], 'aes128-gcm@openssh.com');
  assert.ok(cipher.every((c) => OPENSSH_DEFAULT.includes(c)));
  const narrow = ssh2Algorithms({ ciphers: ['aes256-ctr'] } as unknown as EffectiveHost, undefined).cipher;
  assert.deepEqual(narrow, ['aes256-ctr']);
});
