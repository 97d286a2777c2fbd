/**
 * The verifier ssh2 calls with the server's host key, driven directly with real key blobs (made
 * by ssh-keygen) for every StrictHostKeyChecking mode. No server is needed: ssh2 hands the
 * verifier exactly the blob a known_hosts line carries.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreError, cancelledError } from '../../src/core/common/errors';
import { MemoryLogger } from '../../src/core/common/log';
import {
  createHostVerifier,
  strictModeFromConfig,
  type HostKeyDecisionRequest,
  type HostVerifier,
  type HostVerifierOptions,
  type StrictMode,
} from '../../src/core/ssh/hostVerifier';
import type { HostKeyTarget } from '../../src/core/ssh/knownHosts';
import { sshKeygen, sshKeygenFind } from '../support/openssh';

interface HostKey {
  text: string;
  blob: Buffer;
  fingerprint: string;
}

let root: string;
let n = 0;
const keys: Record<'ed' | 'ed2' | 'ec', HostKey> = {} as never;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdc-host-verifier-'));
  for (const [name, type] of [
    ['ed', 'ed25519'],
    ['ed2', 'ed25519'],
    ['ec', 'ecdsa'],
  ] as const) {
    const file = path.join(root, name);
    await sshKeygen(['-q', '-t', type, '-N', '', '-C', '', '-f', file]);
    const [t, b64] = (await fs.readFile(file + '.pub', 'utf8')).trim().split(/\s+/) as [string, string];
    const fingerprint = (await sshKeygen(['-l', '-E', 'sha256', '-f', file + '.pub'])).split(/\s+/)[1];
    keys[name] = { text: `${t} ${b64}`, blob: Buffer.from(b64, 'base64'), fingerprint };
  }
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A fresh ~/.ssh-like directory whose known_hosts holds `content` (or no file when undefined). */
async function setup(content?: string): Promise<{ dir: string; file: string; target: HostKeyTarget }> {
  const dir = path.join(root, `case${++n}`);
  await fs.mkdir(dir);
  const file = path.join(dir, 'known_hosts');
  if (content !== undefined) {
    await fs.writeFile(file, content);
  }
  return {
    dir,
    file,
    target: { host: '127.0.0.1', port: 2222, userKnownHostsFiles: [file], globalKnownHostsFiles: [] },
  };
}

function verify(v: HostVerifier, key: Buffer): Promise<boolean> {
  return new Promise((resolve) => v.verifier(key, resolve));
}

async function verifierFor(
  target: HostKeyTarget,
  strict: StrictMode,
  extra: Partial<HostVerifierOptions> = {},
): Promise<HostVerifier> {
  return createHostVerifier({ target, strict, hashKnownHosts: false, ...extra });
}

async function contentOrNone(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

const ALL_MODES: StrictMode[] = ['yes', 'no', 'accept-new', 'ask'];

describe('known keys', () => {
  test('a known key is trusted in every mode, nothing is written, algorithms are pinned to its type', async () => {
    for (const strict of ALL_MODES) {
      const content = `# mine\n[127.0.0.1]:2222 ${keys.ed.text}\n`;
      const { file, target } = await setup(content);
      let asked = 0;
      const v = await verifierFor(target, strict, { confirmUnknownKey: () => Promise.resolve((asked++, true)) });
      assert.deepEqual(v.algorithms, ['ssh-ed25519']);
      assert.equal(await verify(v, keys.ed.blob), true, strict);
      assert.equal(v.outcome(), 'trusted');
      assert.equal(v.failure(), undefined);
      assert.deepEqual(v.report()?.check, { status: 'trusted', file, line: 2 });
      assert.equal(v.report()?.fingerprint, keys.ed.fingerprint);
      assert.equal(asked, 0);
      assert.equal(await contentOrNone(file), content);
    }
  });

  test('algorithms: several held types are pinned in preference order; none held means ssh2 defaults', async () => {
    const { target } = await setup(
      `[127.0.0.1]:2222 ${keys.ec.text}\n[127.0.0.1]:2222 ${keys.ed.text}\nother ${keys.ed2.text}\n`,
    );
    assert.deepEqual((await verifierFor(target, 'ask')).algorithms, ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    const empty = await setup();
    assert.equal((await verifierFor(empty.target, 'ask')).algorithms, undefined);
  });
});

describe('unknown keys', () => {
  test('yes refuses with hostKeyUnknown and the ssh-keygen fingerprint; nothing is written', async () => {
    const { file, target } = await setup();
    const v = await verifierFor(target, 'yes', { confirmUnknownKey: () => Promise.resolve(true) });
    assert.equal(await verify(v, keys.ed.blob), false);
    const f = v.failure();
    assert.ok(CoreError.is(f, 'hostKeyUnknown'), String(f));
    assert.equal(f.details.fingerprint, keys.ed.fingerprint);
    assert.equal(f.details.keyType, 'ssh-ed25519');
    assert.equal(f.details.name, '[127.0.0.1]:2222');
    assert.equal(v.outcome(), 'rejected');
    assert.equal(await contentOrNone(file), undefined);
  });

  for (const strict of ['accept-new', 'no'] as const) {
    test(`${strict} adds the key without asking; ssh-keygen -F finds it`, async () => {
      const { file, target } = await setup(`other ${keys.ed2.text}\n`);
      let asked = 0;
      const v = await verifierFor(target, strict, { confirmUnknownKey: () => Promise.resolve((asked++, false)) });
      assert.equal(await verify(v, keys.ed.blob), true);
      assert.equal(asked, 0);
      assert.equal(v.outcome(), 'added');
      assert.deepEqual(v.report()?.added, { file, line: 2 });
      assert.equal(await fs.readFile(file, 'utf8'), `other ${keys.ed2.text}\n[127.0.0.1]:2222 ${keys.ed.text}\n`);
      assert.deepEqual(await sshKeygenFind('[127.0.0.1]:2222', file), [2]);
    });
  }

  test('ask: the confirmation sees name, type and fingerprint; yes writes a hashed line when HashKnownHosts', async () => {
    const { file, target } = await setup();
    const requests: HostKeyDecisionRequest[] = [];
    const v = await verifierFor(target, 'ask', {
      hashKnownHosts: true,
      confirmUnknownKey: (req) => {
        requests.push(req);
        return Promise.resolve(true);
      },
    });
    assert.equal(await verify(v, keys.ec.blob), true);
    assert.deepEqual(requests, [
      {
        host: '127.0.0.1',
        port: 2222,
        name: '[127.0.0.1]:2222',
        keyType: 'ecdsa-sha2-nistp256',
        fingerprint: keys.ec.fingerprint,
      },
    ]);
    assert.equal(v.outcome(), 'added');
    const text = await fs.readFile(file, 'utf8');
    assert.match(text, /^\|1\|\S+\|\S+ ecdsa-sha2-nistp256 \S+\n$/);
    assert.ok(text.includes(keys.ec.text));
    assert.deepEqual(await sshKeygenFind('[127.0.0.1]:2222', file), [1]);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  });

  test('ask: a declined key is refused with hostKeyRejected and nothing is written', async () => {
    const content = `# keep me\nother ${keys.ed2.text}`;
    const { file, target } = await setup(content);
    const v = await verifierFor(target, 'ask', { confirmUnknownKey: () => Promise.resolve(false) });
    assert.equal(await verify(v, keys.ed.blob), false);
    assert.ok(CoreError.is(v.failure(), 'hostKeyRejected'));
    assert.equal(v.failure()?.details.fingerprint, keys.ed.fingerprint);
    assert.equal(v.outcome(), 'rejected');
    assert.equal(await fs.readFile(file, 'utf8'), content);
    const none = await setup();
    const v2 = await verifierFor(none.target, 'ask', { confirmUnknownKey: () => Promise.resolve(false) });
    assert.equal(await verify(v2, keys.ed.blob), false);
    assert.equal(await contentOrNone(none.file), undefined);
  });

  test('ask without a way to ask refuses as unknown; a cancelled question is a cancellation', async () => {
    const { file, target } = await setup();
    const v = await verifierFor(target, 'ask');
    assert.equal(await verify(v, keys.ed.blob), false);
    assert.ok(CoreError.is(v.failure(), 'hostKeyUnknown'));
    const v2 = await verifierFor(target, 'ask', {
      confirmUnknownKey: () => Promise.reject(cancelledError()),
    });
    assert.equal(await verify(v2, keys.ed.blob), false);
    assert.ok(CoreError.is(v2.failure(), 'cancelled'));
    const v3 = await verifierFor(target, 'ask', {
      confirmUnknownKey: () => Promise.reject(new Error('dialog crashed')),
    });
    assert.equal(await verify(v3, keys.ed.blob), false);
    assert.ok(CoreError.is(v3.failure(), 'hostKeyRejected'));
    assert.equal(await contentOrNone(file), undefined);
  });

  test('an accepted key that cannot be saved refuses the connection with fileUnwritable', async () => {
    const { dir } = await setup();
    const blocker = path.join(dir, 'not-a-dir');
    await fs.writeFile(blocker, '');
    const target: HostKeyTarget = {
      host: 'h',
      port: 22,
      userKnownHostsFiles: [path.join(blocker, 'known_hosts')],
      globalKnownHostsFiles: [],
    };
    const v = await verifierFor(target, 'accept-new');
    assert.equal(await verify(v, keys.ed.blob), false);
    assert.ok(CoreError.is(v.failure(), 'fileUnwritable'));
    assert.equal(v.outcome(), 'rejected');
  });
});

describe('changed and revoked keys', () => {
  test('a changed key is refused in every mode, naming file and line, without asking or writing', async () => {
    for (const strict of ALL_MODES) {
      const content = `a ${keys.ed.text}\n[127.0.0.1]:2222 ${keys.ed2.text}\n`;
      const { file, target } = await setup(content);
      let asked = 0;
      const v = await verifierFor(target, strict, { confirmUnknownKey: () => Promise.resolve((asked++, true)) });
      assert.equal(await verify(v, keys.ed.blob), false, strict);
      const f = v.failure();
      assert.ok(CoreError.is(f, 'hostKeyChanged'), `${strict}: ${String(f)}`);
      assert.equal(f.details.file, file);
      assert.equal(f.details.line, 2);
      assert.equal(f.details.fingerprint, keys.ed.fingerprint);
      assert.ok(f.message.includes(`${file}:2`));
      assert.equal(asked, 0);
      assert.equal(await fs.readFile(file, 'utf8'), content);
    }
  });

  test('a revoked key is refused in every mode, even when also listed as trusted', async () => {
    for (const strict of ALL_MODES) {
      const content = `[127.0.0.1]:2222 ${keys.ed.text}\n@revoked * ${keys.ed.text}\n`;
      const { file, target } = await setup(content);
      const v = await verifierFor(target, strict, { confirmUnknownKey: () => Promise.resolve(true) });
      assert.equal(await verify(v, keys.ed.blob), false, strict);
      assert.ok(CoreError.is(v.failure(), 'hostKeyRevoked'));
      assert.equal(v.failure()?.details.line, 2);
      assert.equal(await fs.readFile(file, 'utf8'), content);
    }
  });
});

describe('robustness', () => {
  test('a re-key with the same key is answered again without a second question; another key is refused', async () => {
    const { target } = await setup();
    let asked = 0;
    const v = await verifierFor(target, 'ask', { confirmUnknownKey: () => Promise.resolve((asked++, true)) });
    assert.equal(await verify(v, keys.ed.blob), true);
    assert.equal(await verify(v, keys.ed.blob), true);
    assert.equal(asked, 1);
    assert.equal(await verify(v, keys.ed2.blob), false);
    assert.ok(CoreError.is(v.failure(), 'hostKeyChanged'));
    assert.equal(v.outcome(), 'rejected');
  });

  test('garbage instead of a key blob is refused through the callback, never thrown into ssh2', async () => {
    const { target } = await setup();
    const v = await verifierFor(target, 'accept-new');
    assert.equal(await verify(v, Buffer.from('garbage')), false);
    assert.ok(CoreError.is(v.failure(), 'keyInvalid'));
  });

  test('an unreadable known_hosts file stops the verifier from being created', async () => {
    const { dir } = await setup();
    await assert.rejects(
      createHostVerifier({
        target: { host: 'h', port: 22, userKnownHostsFiles: [dir], globalKnownHostsFiles: [] },
        strict: 'ask',
        hashKnownHosts: false,
      }),
      (e: unknown) => CoreError.is(e, 'fileUnreadable'),
    );
  });

  test('the log tells what was decided, with the fingerprint', async () => {
    const { target } = await setup();
    const logger = new MemoryLogger();
    const v = await verifierFor(target, 'accept-new', { logger });
    assert.equal(await verify(v, keys.ed.blob), true);
    assert.ok(
      logger.lines.some((l) => l.includes('Added host key') && l.includes(keys.ed.fingerprint)),
      logger.lines.join('\n'),
    );
  });
});

test('strictModeFromConfig reads ssh_config and ssh -G spellings', () => {
  const table: [string | undefined, StrictMode][] = [
    ['yes', 'yes'],
    ['true', 'yes'],
    ['no', 'no'],
    ['off', 'no'],
    ['false', 'no'],
    ['accept-new', 'accept-new'],
    ['ask', 'ask'],
    ['ASK', 'ask'],
    [undefined, 'ask'],
  ];
  for (const [value, mode] of table) {
    assert.equal(strictModeFromConfig(value), mode, String(value));
  }
});
