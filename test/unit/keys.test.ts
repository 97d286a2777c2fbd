/**
 * Keys against OpenSSH's own tools: whatever this project writes must be read back by
 * `ssh-keygen` exactly, and whatever `ssh-keygen` writes must be understood here.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { utils } from 'ssh2';
import { CoreError } from '../../src/core/common/errors';
import { runProcess } from '../../src/core/common/exec';
import {
  defaultIdentityFiles,
  defaultKeyComment,
  generateEd25519Pair,
  generateKey,
  listLocalKeys,
  loadPrivateKey,
  publicKeyFingerprint,
  readPublicKey,
} from '../../src/core/ssh/keys';
import { sshKeygen } from '../support/openssh';
import { rejectsWith } from '../support/rejectsWith';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-keys-');

/** `ssh-keygen -q -t TYPE -N PASS -f FILE` plus extra arguments. */
async function makeKey(file: string, type: string, passphrase = '', extra: string[] = []): Promise<void> {
  await sshKeygen(['-q', '-t', type, '-N', passphrase, '-C', `comment-${path.basename(file)}`, '-f', file, ...extra]);
}

/** The fingerprint field of `ssh-keygen -l -f FILE` ("256 SHA256:… comment (ED25519)"). */
async function keygenFingerprint(file: string): Promise<string> {
  const out = await sshKeygen(['-l', '-E', 'sha256', '-f', file]);
  const fp = out.trim().split(/\s+/)[1];
  assert.ok(fp?.startsWith('SHA256:'), out);
  return fp;
}

async function modeOf(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}

async function snapshot(file: string): Promise<{ data: Buffer; mode: number }> {
  return { data: await fs.readFile(file), mode: await modeOf(file) };
}

/** Cipher name from the clear header of an OpenSSH-format private key. */
function openSshCipher(pem: string): string {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const raw = Buffer.from(body, 'base64');
  const off = 'openssh-key-v1\0'.length;
  const len = raw.readUInt32BE(off);
  return raw.subarray(off + 4, off + 4 + len).toString('latin1');
}

describe('generateKey', () => {
  test('writes an ed25519 pair that ssh-keygen -y reproduces exactly, with OpenSSH modes', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_test');
    const key = await generateKey({ privateKeyPath: priv, comment: 'alice@laptop' });
    assert.equal(key.privateKeyPath, priv);
    assert.equal(key.publicKeyPath, priv + '.pub');
    const pubText = await fs.readFile(priv + '.pub', 'utf8');
    assert.ok(pubText.endsWith('\n'));
    assert.equal(pubText.split('\n').length, 2, 'exactly one line');
    assert.equal(pubText, key.publicKey + '\n');
    assert.match(key.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ alice@laptop$/);
    assert.equal(await modeOf(priv), 0o600);
    assert.equal(await modeOf(priv + '.pub'), 0o644);
    assert.equal(await sshKeygen(['-y', '-f', priv]), pubText);
    assert.equal(key.fingerprint, await keygenFingerprint(priv + '.pub'));
    assert.equal(openSshCipher(await fs.readFile(priv, 'utf8')), 'none');
    assert.deepEqual((await fs.readdir(dir)).sort(), ['id_test', 'id_test.pub'], 'no temp files left');
  });

  test('a passphrase encrypts the key with aes256-ctr; ssh-keygen opens it only with that passphrase', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_enc');
    const key = await generateKey({ privateKeyPath: priv, passphrase: 'correct horse', comment: 'bob@desk' });
    const pem = await fs.readFile(priv, 'utf8');
    assert.equal(openSshCipher(pem), 'aes256-ctr');
    assert.equal(await sshKeygen(['-y', '-P', 'correct horse', '-f', priv]), key.publicKey + '\n');
    assert.notEqual((await runProcess('ssh-keygen', ['-y', '-P', 'wrong', '-f', priv], { timeoutMs: 60_000 })).code, 0);
    assert.notEqual((await runProcess('ssh-keygen', ['-y', '-P', '', '-f', priv], { timeoutMs: 60_000 })).code, 0);
    assert.equal(await modeOf(priv), 0o600);
  });

  test('every generated pair carries a whole 32-byte public key, which ssh2 itself reads back from the private key', async () => {
    // ssh2's generator shortens about one public key in 256; 2048 pairs meet that ~8 times.
    for (let i = 0; i < 2048; i++) {
      const pair = await generateEd25519Pair('c', undefined);
      const blob = Buffer.from(pair.public.split(' ')[1] ?? '', 'base64');
      assert.equal(blob.readUInt32BE(15), 32, `pair ${i}: ${pair.public}`);
      const priv = utils.parseKey(pair.private);
      assert.ok(!(priv instanceof Error) && !Array.isArray(priv), `pair ${i}: the private key does not parse`);
      assert.ok(priv.getPublicSSH().equals(blob), `pair ${i}: the private key holds another public key`);
    }
  });

  test('the default comment is user@machine', async () => {
    const dir = await tempDir();
    const key = await generateKey({ privateKeyPath: path.join(dir, 'k') });
    assert.equal(defaultKeyComment(), `${os.userInfo().username}@${os.hostname()}`);
    assert.ok(key.publicKey.endsWith(' ' + defaultKeyComment()));
    assert.equal(await sshKeygen(['-y', '-f', path.join(dir, 'k')]), key.publicKey + '\n');
  });

  test('creates a missing parent directory with mode 0700 and leaves an existing one alone', async () => {
    const dir = await tempDir();
    const sshDir = path.join(dir, 'home', '.ssh');
    await generateKey({ privateKeyPath: path.join(sshDir, 'id_ed25519'), comment: 'x' });
    assert.equal(await modeOf(sshDir), 0o700);
    await fs.chmod(dir, 0o751);
    await generateKey({ privateKeyPath: path.join(dir, 'id_other'), comment: 'x' });
    assert.equal(await modeOf(dir), 0o751);
  });

  test('an existing private key is never overwritten and no .pub is written', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_ed25519');
    await makeKey(priv, 'ed25519');
    await fs.rm(priv + '.pub');
    await fs.chmod(priv, 0o640);
    const before = await snapshot(priv);
    const err = await rejectsWith(generateKey({ privateKeyPath: priv, comment: 'x' }), 'keyExists');
    assert.equal(err.details.file, priv);
    assert.deepEqual(await snapshot(priv), before);
    assert.deepEqual(await fs.readdir(dir), ['id_ed25519']);
  });

  test('an existing .pub alone also refuses, and no private key is written', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_ed25519');
    await fs.writeFile(priv + '.pub', 'ssh-ed25519 AAAA keep-me\n', { mode: 0o664 });
    await fs.chmod(priv + '.pub', 0o664);
    const before = await snapshot(priv + '.pub');
    const err = await rejectsWith(generateKey({ privateKeyPath: priv, comment: 'x' }), 'keyExists');
    assert.equal(err.details.file, priv + '.pub');
    assert.deepEqual(await snapshot(priv + '.pub'), before);
    assert.deepEqual(await fs.readdir(dir), ['id_ed25519.pub']);
  });

  test('a dangling symlink in the way counts as an existing file', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_ed25519');
    await fs.symlink(path.join(dir, 'elsewhere'), priv);
    await rejectsWith(generateKey({ privateKeyPath: priv, comment: 'x' }), 'keyExists');
    assert.deepEqual(await fs.readdir(dir), ['id_ed25519']);
  });
});

describe('loadPrivateKey', () => {
  test('loads an unencrypted key and reports its public line, type and fingerprint', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_ed25519');
    await makeKey(priv, 'ed25519');
    const k = await loadPrivateKey(priv);
    assert.equal(k.type, 'ssh-ed25519');
    assert.equal(k.encrypted, false);
    assert.deepEqual(k.data, await fs.readFile(priv));
    assert.equal(k.publicKey + '\n', await fs.readFile(priv + '.pub', 'utf8'));
    assert.equal(k.fingerprint, await keygenFingerprint(priv + '.pub'));
  });

  test('an encrypted key: required without passphrase, wrong with a bad one, loads with the right one', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_ecdsa');
    await makeKey(priv, 'ecdsa', 's3cret');
    await rejectsWith(loadPrivateKey(priv), 'keyPassphraseRequired');
    await rejectsWith(loadPrivateKey(priv, ''), 'keyPassphraseRequired');
    const wrong = await rejectsWith(loadPrivateKey(priv, 'not-it'), 'keyPassphraseWrong');
    assert.ok(!wrong.message.includes('not-it') && !JSON.stringify(wrong.details).includes('not-it'));
    const k = await loadPrivateKey(priv, 's3cret');
    assert.equal(k.encrypted, true);
    assert.equal(k.type, 'ecdsa-sha2-nistp256');
    assert.equal(k.fingerprint, await keygenFingerprint(priv + '.pub'));
  });

  test('legacy PEM keys (ssh-keygen -m PEM), plain and encrypted', async () => {
    const dir = await tempDir();
    const plain = path.join(dir, 'id_rsa');
    const enc = path.join(dir, 'id_rsa_enc');
    await makeKey(plain, 'rsa', '', ['-b', '2048', '-m', 'PEM']);
    await makeKey(enc, 'rsa', 'pem-pass', ['-b', '2048', '-m', 'PEM']);
    assert.match(await fs.readFile(enc, 'utf8'), /BEGIN RSA PRIVATE KEY/);
    const k = await loadPrivateKey(plain);
    assert.equal(k.type, 'ssh-rsa');
    assert.equal(k.fingerprint, await keygenFingerprint(plain + '.pub'));
    await rejectsWith(loadPrivateKey(enc), 'keyPassphraseRequired');
    await rejectsWith(loadPrivateKey(enc, 'nope'), 'keyPassphraseWrong');
    assert.equal((await loadPrivateKey(enc, 'pem-pass')).fingerprint, await keygenFingerprint(enc + '.pub'));
  });

  test('a public key, a random file, a directory and a missing file are refused with their reasons', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'id_ed25519');
    await makeKey(priv, 'ed25519');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'hello\n');
    await rejectsWith(loadPrivateKey(priv + '.pub'), 'keyInvalid');
    await rejectsWith(loadPrivateKey(path.join(dir, 'notes.txt')), 'keyInvalid');
    await rejectsWith(loadPrivateKey(dir), 'keyInvalid');
    const missing = await rejectsWith(loadPrivateKey(path.join(dir, 'nope')), 'fileUnreadable');
    assert.equal(missing.details.file, path.join(dir, 'nope'));
  });

  test('loads a key this project generated, with its passphrase', async () => {
    const dir = await tempDir();
    const priv = path.join(dir, 'gen');
    const g = await generateKey({ privateKeyPath: priv, passphrase: 'pp', comment: 'c@d' });
    await rejectsWith(loadPrivateKey(priv), 'keyPassphraseRequired');
    const k = await loadPrivateKey(priv, 'pp');
    assert.equal(k.publicKey, g.publicKey);
    assert.equal(k.fingerprint, g.fingerprint);
  });
});

describe('readPublicKey', () => {
  test('prefers a matching .pub, derives the line when the .pub belongs to another key', async () => {
    const dir = await tempDir();
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    await makeKey(a, 'ed25519');
    await makeKey(b, 'ed25519');
    assert.equal((await readPublicKey(a)) + '\n', await fs.readFile(a + '.pub', 'utf8'));
    await fs.copyFile(b + '.pub', a + '.pub');
    // ssh-keygen -y derives from the private key: same type, blob and (OpenSSH format) comment
    assert.equal((await readPublicKey(a)) + '\n', await sshKeygen(['-y', '-f', a]));
    await fs.rm(a + '.pub');
    assert.equal((await readPublicKey(a)) + '\n', await sshKeygen(['-y', '-f', a]));
  });

  test('an encrypted OpenSSH key without .pub: its public half is read without the passphrase', async () => {
    const dir = await tempDir();
    const k = path.join(dir, 'k');
    await makeKey(k, 'ed25519', 'pw');
    const full = (await sshKeygen(['-y', '-P', 'pw', '-f', k])).trim();
    await fs.rm(k + '.pub');
    const line = await readPublicKey(k);
    assert.equal(line, full.split(' ').slice(0, 2).join(' '));
    assert.equal(await readPublicKey(k, 'pw'), full, 'with the passphrase the comment comes back too');
  });

  test('an encrypted PEM key without .pub needs its passphrase', async () => {
    const dir = await tempDir();
    const k = path.join(dir, 'k');
    await makeKey(k, 'rsa', 'pem-pass', ['-b', '2048', '-m', 'PEM']);
    const expected = (await fs.readFile(k + '.pub', 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    assert.equal(await readPublicKey(k), (await fs.readFile(k + '.pub', 'utf8')).trim());
    await fs.rm(k + '.pub');
    await rejectsWith(readPublicKey(k), 'keyPassphraseRequired');
    assert.equal(await readPublicKey(k, 'pem-pass'), expected);
  });
});

describe('publicKeyFingerprint', () => {
  for (const [type, extra] of [
    ['ed25519', []],
    ['rsa', ['-b', '2048']],
    ['ecdsa', ['-b', '384']],
  ] as const) {
    test(`equals ssh-keygen -l for ${type}`, async () => {
      const dir = await tempDir();
      const k = path.join(dir, 'k');
      await makeKey(k, type, '', [...extra]);
      const line = await fs.readFile(k + '.pub', 'utf8');
      assert.equal(publicKeyFingerprint(line), await keygenFingerprint(k + '.pub'));
    });
  }

  test('rejects text that is not a public key line', () => {
    assert.throws(
      () => publicKeyFingerprint('hello'),
      (e: unknown) => CoreError.is(e, 'keyInvalid'),
    );
    assert.throws(
      () => publicKeyFingerprint('ssh-ed25519 not*base64'),
      (e: unknown) => CoreError.is(e, 'keyInvalid'),
    );
  });
});

describe('listLocalKeys', () => {
  test('finds the private keys ssh-keygen made and ignores everything else in ~/.ssh', async () => {
    const dir = await tempDir();
    await makeKey(path.join(dir, 'id_ed25519'), 'ed25519');
    await makeKey(path.join(dir, 'id_rsa'), 'rsa', '', ['-b', '2048', '-m', 'PEM']);
    await makeKey(path.join(dir, 'id_ecdsa'), 'ecdsa', 'pw');
    await makeKey(path.join(dir, 'work_key'), 'ed25519', 'pw');
    const workPub = path.join(dir, 'work_key.pub');
    const workFp = await keygenFingerprint(workPub);
    await fs.rm(workPub); // encrypted, no .pub: fingerprint from the key's clear header
    await makeKey(path.join(dir, 'ca'), 'ed25519');
    // A certificate, and files that are never keys.
    await sshKeygen(['-q', '-s', path.join(dir, 'ca'), '-I', 'id', '-n', 'u', path.join(dir, 'id_ed25519.pub')]);
    await fs.rm(path.join(dir, 'ca'));
    await fs.writeFile(
      path.join(dir, 'known_hosts'),
      'example.com ' + (await fs.readFile(path.join(dir, 'ca.pub'), 'utf8')),
    );
    await fs.writeFile(path.join(dir, 'authorized_keys'), await fs.readFile(path.join(dir, 'ca.pub')));
    await fs.writeFile(path.join(dir, 'config'), 'Host x\n  HostName y\n');
    await fs.writeFile(path.join(dir, 'notes'), 'not a key\n');
    await fs.writeFile(path.join(dir, 'pubcopy'), await fs.readFile(path.join(dir, 'ca.pub'))); // public, odd name
    await fs.mkdir(path.join(dir, 'sockets'));

    const keys = await listLocalKeys(dir);
    assert.deepEqual(
      keys.map((k) => path.basename(k.privateKeyPath)),
      ['id_ecdsa', 'id_ed25519', 'id_rsa', 'work_key'],
    );
    const byName = new Map(keys.map((k) => [path.basename(k.privateKeyPath), k]));
    const ed = byName.get('id_ed25519')!;
    assert.equal(ed.type, 'ssh-ed25519');
    assert.equal(ed.encrypted, false);
    assert.equal(ed.comment, 'comment-id_ed25519');
    assert.equal(ed.publicKeyPath, path.join(dir, 'id_ed25519.pub'));
    assert.equal(ed.fingerprint, await keygenFingerprint(path.join(dir, 'id_ed25519.pub')));
    const rsa = byName.get('id_rsa')!;
    assert.equal(rsa.type, 'ssh-rsa');
    assert.equal(rsa.comment, 'comment-id_rsa', 'PEM keys carry no comment; the .pub does');
    assert.equal(rsa.fingerprint, await keygenFingerprint(path.join(dir, 'id_rsa.pub')));
    const ec = byName.get('id_ecdsa')!;
    assert.equal(ec.type, 'ecdsa-sha2-nistp256');
    assert.equal(ec.encrypted, true);
    assert.equal(ec.fingerprint, await keygenFingerprint(path.join(dir, 'id_ecdsa.pub')));
    const work = byName.get('work_key')!;
    assert.equal(work.encrypted, true);
    assert.equal(work.publicKeyPath, undefined);
    assert.equal(work.type, 'ssh-ed25519');
    assert.equal(work.fingerprint, workFp);
  });

  test('a missing directory has no keys', async () => {
    const dir = await tempDir();
    assert.deepEqual(await listLocalKeys(path.join(dir, 'none')), []);
  });
});

test('defaultIdentityFiles is the list ssh -G prints, in its order', async () => {
  const r = await runProcess('ssh', ['-F', 'none', '-G', 'example.com'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const fromSsh = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('identityfile '))
    .map((l) => l.slice('identityfile '.length).replace(/^~/, '/home/u'));
  assert.ok(fromSsh.length >= 6, r.stdout);
  assert.deepEqual(defaultIdentityFiles('/home/u'), fromSsh);
});
