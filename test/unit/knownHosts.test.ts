/**
 * known_hosts reading and writing, with OpenSSH's tools as the judges: `ssh-keygen -F` says which
 * lines name a host (plain, hashed, wildcard, negated), `ssh-keygen -H` hashes names, and
 * `ssh-keygen -l` prints fingerprints. Host keys are made fresh with `ssh-keygen` for each run.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import {
  addKnownHost,
  checkHostKey,
  hashKnownHostsName,
  hostFieldMatches,
  hostKeyAlgorithmsFor,
  hostKeyFingerprint,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  type HostKeyTarget,
} from '../../src/core/ssh/knownHosts';
import { rejectsWith } from '../support/rejectsWith';
import { sshKeygen, sshKeygenFind } from '../support/openssh';

interface HostKey {
  /** `type base64`, as a known_hosts line carries it. */
  text: string;
  type: string;
  blob: Buffer;
  pubFile: string;
}

let root: string;
let work = 0;
const keys: Record<'edA' | 'edB' | 'ec' | 'rsa', HostKey> = {} as never;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdc-known-hosts-'));
  const specs = {
    edA: ['-t', 'ed25519'],
    edB: ['-t', 'ed25519'],
    ec: ['-t', 'ecdsa'],
    rsa: ['-t', 'rsa', '-b', '2048'],
  } as const;
  for (const [name, args] of Object.entries(specs) as [keyof typeof keys, readonly string[]][]) {
    const file = path.join(root, `host_${name}`);
    await sshKeygen(['-q', ...args, '-N', '', '-C', '', '-f', file]);
    const [type, b64] = (await fs.readFile(file + '.pub', 'utf8')).trim().split(/\s+/) as [string, string];
    keys[name] = { text: `${type} ${b64}`, type, blob: Buffer.from(b64, 'base64'), pubFile: file + '.pub' };
  }
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function workDir(): Promise<string> {
  const d = path.join(root, `w${++work}`);
  await fs.mkdir(d);
  return d;
}

function target(over: Partial<HostKeyTarget> & { userKnownHostsFiles: string[] }): HostKeyTarget {
  return { host: 'example.com', port: 22, globalKnownHostsFiles: [], ...over };
}

async function ourFind(name: string, file: string): Promise<number[]> {
  return parseKnownHosts(await fs.readFile(file, 'utf8'), file)
    .filter((e) => hostFieldMatches(e.hosts, name))
    .map((e) => e.line);
}

describe('fingerprints and blobs', () => {
  test('hostKeyFingerprint equals ssh-keygen -l for every key type', async () => {
    for (const k of Object.values(keys)) {
      const fp = (await sshKeygen(['-l', '-E', 'sha256', '-f', k.pubFile])).split(/\s+/)[1];
      assert.equal(hostKeyFingerprint(k.blob), fp, k.type);
      assert.equal(keyTypeOfBlob(k.blob), k.type);
    }
  });

  test('keyTypeOfBlob refuses something that is no key blob', () => {
    assert.throws(
      () => keyTypeOfBlob(Buffer.from('hi')),
      (e: unknown) => CoreError.is(e, 'keyInvalid'),
    );
    assert.throws(
      () => keyTypeOfBlob(Buffer.from([0, 0, 0, 50, 1, 2])),
      (e: unknown) => CoreError.is(e, 'keyInvalid'),
    );
  });
});

describe('knownHostsName', () => {
  test('port 22 is bare, other ports bracketed, names lower-cased, HostKeyAlias used alone', () => {
    const files = { userKnownHostsFiles: [], globalKnownHostsFiles: [] };
    assert.equal(knownHostsName({ host: 'Example.COM', port: 22, ...files }), 'example.com');
    assert.equal(knownHostsName({ host: 'Example.COM', port: 2222, ...files }), '[example.com]:2222');
    assert.equal(knownHostsName({ host: '127.0.0.1', port: 2222, ...files }), '[127.0.0.1]:2222');
    assert.equal(knownHostsName({ host: '::1', port: 2200, ...files }), '[::1]:2200');
    assert.equal(knownHostsName({ host: '::1', port: 22, ...files }), '::1');
    assert.equal(knownHostsName({ host: 'h', port: 2222, hostKeyAlias: 'Docker-Box', ...files }), 'docker-box');
    assert.equal(knownHostsName({ host: 'h', port: 22, hostKeyAlias: 'box', ...files }), 'box');
  });
});

describe('which lines name a host: agreement with ssh-keygen -F', () => {
  test('plain lines: patterns, wildcards, negation, comma lists, brackets, markers, CRLF, whitespace', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'known_hosts');
    const { edA, edB, ec, rsa } = keys;
    const lines = [
      '# a comment line',
      '',
      `example.com ${edA.text}`,
      `[example.com]:2222 ${ec.text}`,
      `web-*.corp,!web-secret.corp ${edA.text}`,
      `db?.corp ${edB.text}`,
      `a.net,b.net,[c.net]:2200 ${rsa.text}`,
      `@revoked *.bad ${edB.text}`,
      `@cert-authority *.corp ${edA.text}`,
      `   UPPER.Example.org\t${edA.text} trailing comment`,
      `crlf.example ${edA.text}\r`,
      `*.wild ${edA.text}`,
      `[10.0.0.*]:2222 ${edA.text}`,
      `!nothing.example ${edA.text}`,
      `@unknown-marker example.com ${edA.text}`,
      '    # indented comment',
      `*,!*.corp,!*.net ${edB.text}`,
    ];
    await fs.writeFile(file, lines.join('\n') + '\n');
    const names = [
      'example.com',
      '[example.com]:2222',
      '[example.com]:2200',
      'web-1.corp',
      'web-secret.corp',
      'dbx.corp',
      'db12.corp',
      'a.net',
      'b.net',
      'c.net',
      '[c.net]:2200',
      'x.bad',
      'upper.example.org',
      'crlf.example',
      'foo.wild',
      'wild',
      '[10.0.0.5]:2222',
      '10.0.0.5',
      'nothing.example',
      'unrelated.org',
      '[unrelated.org]:2222',
    ];
    for (const name of names) {
      assert.deepEqual(await ourFind(name, file), await sshKeygenFind(name, file), name);
    }
    // The oracle must have had something to say: several names match several lines.
    assert.deepEqual(await ourFind('example.com', file), [3, 17]);
    assert.deepEqual(await ourFind('web-1.corp', file), [5, 9]);
    assert.deepEqual(await ourFind('web-secret.corp', file), [9]);
  });

  test('hashed lines made by ssh-keygen -H, including [host]:port and names split from comma lists', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'known_hosts');
    const { edA, ec, rsa } = keys;
    await fs.writeFile(
      file,
      [
        `hashed.example ${edA.text}`,
        `[hashed.example]:2222 ${ec.text}`,
        `multi1.example,multi2.example ${rsa.text}`,
        `# kept`,
        '',
      ].join('\n'),
    );
    await sshKeygen(['-H', '-f', file]);
    const text = await fs.readFile(file, 'utf8');
    assert.match(text, /^\|1\|/m, 'ssh-keygen hashed the names');
    assert.doesNotMatch(text, /hashed\.example|multi1/);
    for (const name of [
      'hashed.example',
      '[hashed.example]:2222',
      'multi1.example',
      'multi2.example',
      'HASHED.example',
      'other.example',
      '[hashed.example]:22',
    ]) {
      assert.deepEqual(await ourFind(name, file), await sshKeygenFind(name, file), name);
    }
    assert.equal((await ourFind('[hashed.example]:2222', file)).length, 1);
  });

  test("our hash of a name, with ssh-keygen -H's salt, is the very string ssh-keygen wrote", async () => {
    const dir = await workDir();
    const file = path.join(dir, 'known_hosts');
    await fs.writeFile(file, `[host.example]:2222 ${keys.edA.text}\n`);
    await sshKeygen(['-H', '-f', file]);
    const field = (await fs.readFile(file, 'utf8')).split(' ')[0];
    const salt = Buffer.from(field.split('|')[2], 'base64');
    assert.equal(salt.length, 20);
    assert.equal(hashKnownHostsName('[host.example]:2222', salt), field);
  });
});

describe('checkHostKey', () => {
  test('plain, hashed, [host]:port and bare port 22 entries are trusted with file and line', async () => {
    const dir = await workDir();
    const plain = path.join(dir, 'plain');
    const hashed = path.join(dir, 'hashed');
    await fs.writeFile(
      plain,
      `# header\nother.example ${keys.edB.text}\nexample.com ${keys.edA.text}\n[example.com]:2222 ${keys.ec.text}\n`,
    );
    await fs.copyFile(plain, hashed);
    await sshKeygen(['-H', '-f', hashed]);
    for (const file of [plain, hashed]) {
      const t22 = target({ userKnownHostsFiles: [file] });
      const r22 = await checkHostKey(t22, keys.edA.blob);
      assert.equal(r22.status, 'trusted', file);
      const t2222 = target({ port: 2222, userKnownHostsFiles: [file] });
      assert.equal((await checkHostKey(t2222, keys.ec.blob)).status, 'trusted', file);
      // the port-22 key does not vouch for port 2222 and vice versa: another key is held there
      assert.equal((await checkHostKey(t2222, keys.edA.blob)).status, 'changed', file);
      assert.equal((await checkHostKey(t22, keys.ec.blob)).status, 'changed', file);
    }
    assert.deepEqual(await checkHostKey(target({ userKnownHostsFiles: [plain] }), keys.edA.blob), {
      status: 'trusted',
      file: plain,
      line: 3,
    });
    // ssh-keygen -H keeps the comment on line 1, so the line numbers stay the same
    assert.deepEqual(
      await checkHostKey(target({ host: 'EXAMPLE.com', userKnownHostsFiles: [hashed] }), keys.edA.blob),
      {
        status: 'trusted',
        file: hashed,
        line: 3,
      },
    );
  });

  test('wildcards trust, a negated pattern excludes, comma lists work', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await fs.writeFile(file, `*.corp,!secret.corp ${keys.edA.text}\nfirst.net,second.net ${keys.ec.text}\n`);
    assert.equal(
      (await checkHostKey(target({ host: 'web.corp', userKnownHostsFiles: [file] }), keys.edA.blob)).status,
      'trusted',
    );
    assert.deepEqual(await checkHostKey(target({ host: 'secret.corp', userKnownHostsFiles: [file] }), keys.edA.blob), {
      status: 'unknown',
      knownTypes: [],
    });
    assert.equal(
      (await checkHostKey(target({ host: 'second.net', userKnownHostsFiles: [file] }), keys.ec.blob)).status,
      'trusted',
    );
  });

  test('another key of the same type is changed, naming the file and line', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await fs.writeFile(file, `a ${keys.edA.text}\n\nexample.com ${keys.edB.text}\n`);
    assert.deepEqual(await checkHostKey(target({ userKnownHostsFiles: [file] }), keys.edA.blob), {
      status: 'changed',
      file,
      line: 3,
      knownType: 'ssh-ed25519',
    });
  });

  test('a key of a type not held is changed too, as OpenSSH 9.2 reports it', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await fs.writeFile(file, `example.com ${keys.ec.text}\n`);
    assert.deepEqual(await checkHostKey(target({ userKnownHostsFiles: [file] }), keys.edA.blob), {
      status: 'changed',
      file,
      line: 1,
      knownType: 'ecdsa-sha2-nistp256',
    });
  });

  test('a matching line anywhere wins over a non-matching one; user files before global ones', async () => {
    const dir = await workDir();
    const user = path.join(dir, 'user');
    const global = path.join(dir, 'global');
    await fs.writeFile(user, `example.com ${keys.edB.text}\n`);
    await fs.writeFile(global, `# global\nexample.com ${keys.edA.text}\n`);
    const t = target({ userKnownHostsFiles: [user, path.join(dir, 'user2-missing')], globalKnownHostsFiles: [global] });
    assert.deepEqual(await checkHostKey(t, keys.edA.blob), { status: 'trusted', file: global, line: 2 });
    assert.deepEqual(await checkHostKey(t, keys.ec.blob), {
      status: 'changed',
      file: user,
      line: 1,
      knownType: 'ssh-ed25519',
    });
    assert.deepEqual(await knownKeyTypes(t), ['ssh-ed25519']);
  });

  test('@revoked wins over everything, also from a global file and through a wildcard', async () => {
    const dir = await workDir();
    const user = path.join(dir, 'user');
    const global = path.join(dir, 'global');
    await fs.writeFile(user, `example.com ${keys.edA.text}\nexample.com ${keys.ec.text}\n`);
    await fs.writeFile(global, `@revoked * ${keys.edA.text}\n`);
    const t = target({ userKnownHostsFiles: [user], globalKnownHostsFiles: [global] });
    assert.deepEqual(await checkHostKey(t, keys.edA.blob), { status: 'revoked', file: global, line: 1 });
    assert.equal((await checkHostKey(t, keys.ec.blob)).status, 'trusted');
    // a revoked line for another name does not concern this host
    await fs.writeFile(global, `@revoked elsewhere.example ${keys.edA.text}\n`);
    assert.equal((await checkHostKey(t, keys.edA.blob)).status, 'trusted');
    assert.deepEqual(await knownKeyTypes(t), ['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  });

  test('@cert-authority lines do not vouch for a plain host key', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await fs.writeFile(file, `@cert-authority example.com ${keys.edA.text}\n`);
    const t = target({ userKnownHostsFiles: [file] });
    assert.deepEqual(await checkHostKey(t, keys.edA.blob), { status: 'unknown', knownTypes: [] });
    assert.deepEqual(await knownKeyTypes(t), []);
  });

  test('HostKeyAlias: the alias line counts, the host:port line does not', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await fs.writeFile(file, `[127.0.0.1]:2222 ${keys.edB.text}\nmy-box ${keys.edA.text}\n`);
    const withAlias = target({ host: '127.0.0.1', port: 2222, hostKeyAlias: 'My-Box', userKnownHostsFiles: [file] });
    assert.deepEqual(await checkHostKey(withAlias, keys.edA.blob), { status: 'trusted', file, line: 2 });
    const withoutAlias = target({ host: '127.0.0.1', port: 2222, userKnownHostsFiles: [file] });
    assert.equal((await checkHostKey(withoutAlias, keys.edA.blob)).status, 'changed');
  });

  test('missing files are fine, CRLF files and comments work, "none" and ~ are understood', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await fs.writeFile(file, `# windows editor\r\n\r\nexample.com ${keys.edA.text}\r\n`);
    const missing = target({
      userKnownHostsFiles: [path.join(dir, 'nope')],
      globalKnownHostsFiles: [path.join(dir, 'nope2', 'x')],
    });
    assert.deepEqual(await checkHostKey(missing, keys.edA.blob), { status: 'unknown', knownTypes: [] });
    assert.deepEqual(await checkHostKey(target({ userKnownHostsFiles: ['none', file] }), keys.edA.blob), {
      status: 'trusted',
      file,
      line: 3,
    });
    const home = process.env.HOME;
    process.env.HOME = dir;
    try {
      assert.deepEqual(await checkHostKey(target({ userKnownHostsFiles: ['~/kh'] }), keys.edA.blob), {
        status: 'trusted',
        file,
        line: 3,
      });
    } finally {
      process.env.HOME = home;
    }
  });

  test('lines OpenSSH rejects are ignored: unknown marker, key type that disagrees with the blob, bad base64', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    const b64 = keys.edA.text.split(' ')[1];
    await fs.writeFile(
      file,
      [
        `@bogus example.com ${keys.edA.text}`,
        `example.com ssh-rsa ${b64}`,
        `example.com ssh-ed25519 !!notbase64`,
        `example.com`,
      ].join('\n'),
    );
    assert.deepEqual(await checkHostKey(target({ userKnownHostsFiles: [file] }), keys.edA.blob), {
      status: 'unknown',
      knownTypes: [],
    });
  });

  test('a known_hosts path that cannot be read is an error, not an unknown host', async () => {
    const dir = await workDir();
    const err = await rejectsWith(
      checkHostKey(target({ userKnownHostsFiles: [dir] }), keys.edA.blob),
      'fileUnreadable',
    );
    assert.equal(err.details.file, dir);
  });
});

describe('knownKeyTypes and hostKeyAlgorithmsFor', () => {
  test('types in file order without duplicates; algorithms in ssh2 preference order', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await fs.writeFile(file, `example.com ${keys.rsa.text}\nexample.com ${keys.ec.text}\n*.com ${keys.rsa.text}\n`);
    const types = await knownKeyTypes(target({ userKnownHostsFiles: [file] }));
    assert.deepEqual(types, ['ssh-rsa', 'ecdsa-sha2-nistp256']);
    assert.deepEqual(hostKeyAlgorithmsFor(types), ['ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.deepEqual(hostKeyAlgorithmsFor(['ssh-ed25519']), ['ssh-ed25519']);
    assert.deepEqual(hostKeyAlgorithmsFor(['ecdsa-sha2-nistp521', 'ssh-ed25519']), [
      'ssh-ed25519',
      'ecdsa-sha2-nistp521',
    ]);
    assert.equal(hostKeyAlgorithmsFor([]), undefined);
    assert.equal(hostKeyAlgorithmsFor(['sk-ssh-ed25519@openssh.com']), undefined);
  });
});

describe('addKnownHost', () => {
  test("plain: creates the directory 0700 and the file 0600 with exactly OpenSSH's line", async () => {
    const dir = await workDir();
    const file = path.join(dir, 'new-ssh-dir', 'known_hosts');
    const t = target({ host: '127.0.0.1', port: 2222, userKnownHostsFiles: [file, path.join(dir, 'second')] });
    assert.deepEqual(await addKnownHost(t, keys.edA.blob, { hash: false }), { file, line: 1 });
    assert.equal(await fs.readFile(file, 'utf8'), `[127.0.0.1]:2222 ${keys.edA.text}\n`);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    assert.deepEqual(await sshKeygenFind('[127.0.0.1]:2222', file), [1]);
    assert.equal((await checkHostKey(t, keys.edA.blob)).status, 'trusted');
    await assert.rejects(fs.stat(path.join(dir, 'second')), 'only the first user file is written');
  });

  test('hashed: ssh-keygen -F finds it, and the hash is HMAC-SHA1 over the name with the stored salt', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'known_hosts');
    const t = target({ host: '127.0.0.1', port: 2222, userKnownHostsFiles: [file] });
    await addKnownHost(t, keys.ec.blob, { hash: true });
    const text = await fs.readFile(file, 'utf8');
    const m = /^\|1\|([A-Za-z0-9+/]{27}=)\|([A-Za-z0-9+/]{27}=) (\S+) (\S+)\n$/.exec(text);
    assert.ok(m, text);
    assert.equal(createHmac('sha1', Buffer.from(m[1], 'base64')).update('[127.0.0.1]:2222').digest('base64'), m[2]);
    assert.equal(`${m[3]} ${m[4]}`, keys.ec.text);
    assert.deepEqual(await sshKeygenFind('[127.0.0.1]:2222', file), [1]);
    assert.deepEqual(await sshKeygenFind('127.0.0.1', file), []);
  });

  test('appends after existing lines, byte for byte, adding the missing final newline; keeps the mode', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'known_hosts');
    const existing = `# mine\r\nold.example ${keys.edB.text}\r\n\n|1|junk|junk ssh-ed25519 AAAA\nlast.example ${keys.rsa.text}`;
    await fs.writeFile(file, existing);
    await fs.chmod(file, 0o644);
    const t = target({ host: 'New.Example', port: 22, userKnownHostsFiles: [file] });
    assert.deepEqual(await addKnownHost(t, keys.edA.blob, { hash: false }), { file, line: 6 });
    const after1 = await fs.readFile(file, 'utf8');
    assert.equal(after1, existing + `\nnew.example ${keys.edA.text}\n`);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o644);
    assert.deepEqual(
      await addKnownHost(target({ host: 'n2', port: 2022, userKnownHostsFiles: [file] }), keys.ec.blob, { hash: true }),
      { file, line: 7 },
    );
    const after2 = await fs.readFile(file, 'utf8');
    assert.ok(after2.startsWith(after1));
    assert.deepEqual(await sshKeygenFind('[n2]:2022', file), [7]);
  });

  test('a symlinked known_hosts stays a symlink and its target grows', async () => {
    const dir = await workDir();
    const real = path.join(dir, 'real_known_hosts');
    const link = path.join(dir, 'known_hosts');
    await fs.writeFile(real, `a ${keys.edB.text}\n`);
    await fs.symlink(real, link);
    await addKnownHost(target({ userKnownHostsFiles: [link] }), keys.edA.blob, { hash: false });
    assert.ok((await fs.lstat(link)).isSymbolicLink());
    assert.equal(await fs.readFile(real, 'utf8'), `a ${keys.edB.text}\nexample.com ${keys.edA.text}\n`);
  });

  test('HostKeyAlias is written alone, lower-cased', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await addKnownHost(
      target({ host: '10.1.2.3', port: 2222, hostKeyAlias: 'Docker-Box', userKnownHostsFiles: [file] }),
      keys.edA.blob,
      { hash: false },
    );
    assert.equal(await fs.readFile(file, 'utf8'), `docker-box ${keys.edA.text}\n`);
  });

  test('refuses what cannot be written: a name that would become a pattern list, UserKnownHostsFile none', async () => {
    const dir = await workDir();
    const file = path.join(dir, 'kh');
    await rejectsWith(
      addKnownHost(target({ hostKeyAlias: 'a,b', userKnownHostsFiles: [file] }), keys.edA.blob, { hash: false }),
      'sshDestinationInvalid',
    );
    await assert.rejects(fs.stat(file));
    await addKnownHost(target({ hostKeyAlias: 'a,b', userKnownHostsFiles: [file] }), keys.edA.blob, { hash: true });
    assert.deepEqual(await sshKeygenFind('a,b', file), [1]);
    await rejectsWith(
      addKnownHost(target({ userKnownHostsFiles: ['none'] }), keys.edA.blob, { hash: false }),
      'fileUnwritable',
    );
    const blocker = path.join(dir, 'a-file');
    await fs.writeFile(blocker, 'x');
    const err = await rejectsWith(
      addKnownHost(target({ userKnownHostsFiles: [path.join(blocker, 'known_hosts')] }), keys.edA.blob, {
        hash: false,
      }),
      'fileUnwritable',
    );
    assert.equal(err.details.file, path.join(blocker, 'known_hosts'));
  });
});
