/**
 * Hostile SSH files, table-driven: configuration files given to an edit (add/remove a host) or to
 * the resolver, and known_hosts files and lines given to the host key check. Every case must end
 * in its own reason, and no byte of the temp home may change (a snapshot of every file's bytes,
 * mode and type before and after proves it). The count by kind is printed at the end.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { CoreError, type Reason } from '../../src/core/common/errors';
import { createHostVerifier } from '../../src/core/ssh/hostVerifier';
import { resolveHostBuiltin } from '../../src/core/sshConfig/resolveHost';
import { MAX_CONFIG_FILE_BYTES, MAX_KNOWN_HOSTS_BYTES } from '../../src/core/sshConfig/readRegularFile';
import { addSshHost, removeSshHost } from '../../src/core/sshConfig/sshConfigEdit';
import { tempDirs } from '../support/tempDirs';

const newDir = tempDirs('rdc-ssh-bad-');

/** `Buffer` for bytes that are not UTF-8, `string` for text, a function for what is not a plain file. */
type Setup = Record<string, string | Buffer | ((file: string) => void)>;
type Kind = 'config edit' | 'config resolve' | 'known_hosts file' | 'known_hosts line';

interface Case {
  kind: Kind;
  name: string;
  files: Setup;
  reason: Reason;
  /** Further facts the error must carry. */
  details?: Record<string, string | number>;
  /** For edits: remove this alias instead of adding the new host. */
  remove?: string;
}

const fifo = (file: string): void => assert.equal(spawnSync('mkfifo', [file]).status, 0);
const symlinkLoop = (file: string): void => fs.symlinkSync(path.basename(file), file);
const directory = (file: string): void => fs.mkdirSync(file);
const sparse =
  (bytes: number) =>
  (file: string): void => {
    fs.writeFileSync(file, '# big\n');
    fs.truncateSync(file, bytes);
  };
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const hugeLine = (bytes: number): Buffer =>
  Buffer.concat([Buffer.from('# '), Buffer.alloc(bytes, 'x'), Buffer.from('\n')]);

const NEW = { alias: 'newbox', hostName: '10.0.0.9', user: 'me' };

/** An ed25519 host key blob and one more for "another key". */
function keyBlob(): Buffer {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}
const KEY = keyBlob();
const OTHER = keyBlob();
const NAME = '[127.0.0.1]:2222';
const line = (host: string, blob: Buffer, marker = ''): string =>
  `${marker ? marker + ' ' : ''}${host} ssh-ed25519 ${blob.toString('base64')}\n`;

const CASES: Case[] = [
  // --- configuration files given to an edit
  ...[
    ['Latin-1 comment', latin1('# caf\xe9 du coin\nHost a\n  User a\n'), 1],
    ['Latin-1 IdentityFile path', latin1('Host a\n  User a\n  IdentityFile ~/.ssh/cl\xe9\n'), 3],
    ['Latin-1 Host pattern', latin1('Host g\xe9o\n  User a\n'), 1],
    ['lone continuation byte', Buffer.from([0x48, 0x6f, 0x73, 0x74, 0x20, 0x80, 0x0a]), 1],
    ['truncated sequence at the end', Buffer.concat([Buffer.from('Host a\n# '), Buffer.from([0xc3])]), 2],
    [
      'overlong encoding of "/"',
      Buffer.concat([Buffer.from('Host a\n  IdentityFile ~'), Buffer.from([0xc0, 0xaf, 0x0a])]),
      2,
    ],
    ['UTF-16 with a byte order mark', Buffer.from('\ufeffHost a\n', 'utf16le'), 1],
    [
      'a surrogate encoded in UTF-8 (CESU)',
      Buffer.concat([Buffer.from('# '), Buffer.from([0xed, 0xa0, 0x80, 0x0a])]),
      1,
    ],
  ].map(([name, bytes, lineNo]): Case => ({
    kind: 'config edit',
    name: `non-UTF-8: ${String(name)}`,
    files: { config: bytes as Buffer },
    reason: 'sshConfigUnparsable',
    details: { detail: 'notUtf8', line: lineNo as number },
  })),
  {
    kind: 'config edit',
    name: 'non-UTF-8, removing a host',
    files: { config: latin1('# \xe9\nHost a\n  User a\n') },
    remove: 'a',
    reason: 'sshConfigUnparsable',
    details: { detail: 'notUtf8' },
  },
  {
    kind: 'config edit',
    name: 'config is a FIFO',
    files: { config: fifo },
    reason: 'fileUnreadable',
    details: { code: 'ENOTREG' },
  },
  {
    kind: 'config edit',
    name: 'config is a symlink loop',
    files: { config: symlinkLoop },
    reason: 'fileUnreadable',
    details: { code: 'ELOOP' },
  },
  {
    kind: 'config edit',
    name: 'config is a directory',
    files: { config: directory },
    reason: 'fileUnreadable',
    details: { code: 'EISDIR' },
  },
  {
    kind: 'config edit',
    name: 'one line larger than the cap',
    files: { config: hugeLine(MAX_CONFIG_FILE_BYTES) },
    reason: 'fileUnreadable',
    details: { code: 'EFBIG' },
  },
  {
    kind: 'config edit',
    name: 'a sparse file past the cap',
    files: { config: sparse(MAX_CONFIG_FILE_BYTES * 4) },
    reason: 'fileUnreadable',
    details: { code: 'EFBIG' },
  },
  {
    kind: 'config edit',
    name: 'an included FIFO',
    files: { config: 'Include in.conf\n', 'in.conf': fifo },
    reason: 'fileUnreadable',
  },
  {
    kind: 'config edit',
    name: 'an included symlink loop',
    files: { config: 'Include in.conf\n', 'in.conf': symlinkLoop },
    reason: 'fileUnreadable',
  },
  {
    kind: 'config edit',
    name: 'an included file past the cap',
    files: { config: 'Include in.conf\n', 'in.conf': hugeLine(MAX_CONFIG_FILE_BYTES) },
    reason: 'fileUnreadable',
  },
  {
    kind: 'config edit',
    name: 'unbalanced quotes',
    files: { config: 'Host a\n  IdentityFile "~/.ssh/x\n' },
    reason: 'sshConfigUnparsable',
    details: { line: 2 },
  },
  {
    kind: 'config edit',
    name: 'a keyword without its value',
    files: { config: 'Host a\n  HostName\n' },
    reason: 'sshConfigUnparsable',
    details: { line: 2 },
  },
  {
    kind: 'config edit',
    name: 'a trailing backslash',
    files: { config: 'Host a\n  User a\\\n' },
    reason: 'sshConfigUnparsable',
  },
  {
    kind: 'config edit',
    name: 'removing a host from a FIFO',
    files: { config: fifo },
    remove: 'a',
    reason: 'fileUnreadable',
  },

  // --- configuration files given to the resolver
  {
    kind: 'config resolve',
    name: 'a file that includes itself',
    files: { config: 'Include config\n' },
    reason: 'sshIncludeLoop',
  },
  {
    kind: 'config resolve',
    name: 'two files that include each other',
    files: { config: 'Include a.conf\n', 'a.conf': 'Include b.conf\n', 'b.conf': 'Include a.conf\n' },
    reason: 'sshIncludeLoop',
  },
  {
    kind: 'config resolve',
    name: 'an Include chain 20 files deep',
    files: Object.fromEntries([
      ['config', 'Include d0.conf\n'],
      ...Array.from({ length: 20 }, (_, i) => [`d${i}.conf`, `Include d${i + 1}.conf\n`]),
    ]) as Setup,
    reason: 'sshIncludeLoop',
  },
  {
    kind: 'config resolve',
    name: 'a glob that matches the including file',
    files: { config: 'Include *\n' },
    reason: 'sshIncludeLoop',
  },
  {
    kind: 'config resolve',
    name: 'an included FIFO',
    files: { config: 'Include in.conf\n', 'in.conf': fifo },
    reason: 'fileUnreadable',
  },
  {
    kind: 'config resolve',
    name: 'an included symlink loop',
    files: { config: 'Include in.conf\n', 'in.conf': symlinkLoop },
    reason: 'fileUnreadable',
  },
  { kind: 'config resolve', name: 'config is a FIFO', files: { config: fifo }, reason: 'fileUnreadable' },
  {
    kind: 'config resolve',
    name: 'a huge line',
    files: { config: hugeLine(MAX_CONFIG_FILE_BYTES) },
    reason: 'fileUnreadable',
  },
  {
    kind: 'config resolve',
    name: 'a huge included file',
    files: { config: 'Include in.conf\n', 'in.conf': sparse(MAX_CONFIG_FILE_BYTES + 1) },
    reason: 'fileUnreadable',
  },
  {
    kind: 'config resolve',
    name: 'unbalanced quotes',
    files: { config: 'Host *\n  User "a\n' },
    reason: 'sshConfigUnparsable',
  },

  // --- known_hosts files
  {
    kind: 'known_hosts file',
    name: 'a FIFO',
    files: { known_hosts: fifo },
    reason: 'fileUnreadable',
    details: { code: 'ENOTREG' },
  },
  {
    kind: 'known_hosts file',
    name: 'a symlink loop',
    files: { known_hosts: symlinkLoop },
    reason: 'fileUnreadable',
    details: { code: 'ELOOP' },
  },
  {
    kind: 'known_hosts file',
    name: 'a directory',
    files: { known_hosts: directory },
    reason: 'fileUnreadable',
    details: { code: 'EISDIR' },
  },
  {
    kind: 'known_hosts file',
    name: 'past the cap',
    files: { known_hosts: sparse(MAX_KNOWN_HOSTS_BYTES + 1) },
    reason: 'fileUnreadable',
    details: { code: 'EFBIG' },
  },
  {
    kind: 'known_hosts file',
    name: '/dev/zero',
    files: { known_hosts: (f) => fs.symlinkSync('/dev/zero', f) },
    reason: 'fileUnreadable',
    details: { code: 'ENOTREG' },
  },

  // --- known_hosts lines: ignored lines leave the key unknown (refused with StrictHostKeyChecking yes)
  ...(
    [
      ['base64 that is not base64', `${NAME} ssh-ed25519 %%%%\n`],
      ['a key type that disagrees with the blob', `${NAME} ssh-rsa ${KEY.toString('base64')}\n`],
      ['a truncated blob', `${NAME} ssh-ed25519 ${KEY.subarray(0, 9).toString('base64')}\n`],
      ['an unknown marker', line(NAME, KEY, '@trusted')],
      ['a host field only', `${NAME}\n`],
      ['NUL bytes in the host field', line(`[127.0.0.1]\0:2222`, KEY)],
      ['a 1 MiB host field', line('h'.repeat(1 << 20), KEY)],
      ['Latin-1 bytes in the host field', latin1(line('h\xf4te', KEY))],
      ['@cert-authority does not vouch for a plain key', line(NAME, KEY, '@cert-authority')],
      ['a negated pattern', line(`!${NAME},*`, KEY)],
      ['a hashed name with a short salt', line(`|1|${Buffer.alloc(4).toString('base64')}|AAAA`, KEY)],
      ['the right key under port 22 naming', line('127.0.0.1', KEY)],
    ] as const
  ).map(([name, text]): Case => ({
    kind: 'known_hosts line',
    name,
    files: { known_hosts: text },
    reason: 'hostKeyUnknown',
  })),
  {
    kind: 'known_hosts line',
    name: 'another key for the name',
    files: { known_hosts: line(NAME, OTHER) },
    reason: 'hostKeyChanged',
  },
  {
    kind: 'known_hosts line',
    name: 'the key @revoked',
    files: { known_hosts: line(NAME, KEY) + line(NAME, KEY, '@revoked') },
    reason: 'hostKeyRevoked',
  },
  {
    kind: 'known_hosts line',
    name: 'another key, CRLF line ends',
    files: { known_hosts: line(NAME, OTHER).replace('\n', '\r\n') },
    reason: 'hostKeyChanged',
  },
];

/** path → type, mode and content hash of everything under `dir`, without following links or opening FIFOs. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    const hash = st.isFile() ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '';
    const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
    out[name] = `${kind} ${(st.mode & 0o7777).toString(8)} ${st.size} ${hash}`;
  }
  return out;
}

async function run(c: Case, home: string): Promise<unknown> {
  const ssh = path.join(home, '.ssh');
  const config = path.join(ssh, 'config');
  switch (c.kind) {
    case 'config edit':
      return c.remove ? removeSshHost(config, c.remove, { home }) : addSshHost(config, NEW, { home });
    case 'config resolve':
      return resolveHostBuiltin('target', { configFile: config, home, localUser: 'me', systemConfigFile: null });
    default: {
      const v = await createHostVerifier({
        target: {
          host: '127.0.0.1',
          port: 2222,
          userKnownHostsFiles: [path.join(ssh, 'known_hosts')],
          globalKnownHostsFiles: [],
        },
        strict: 'yes',
        hashKnownHosts: false,
      });
      const ok = await new Promise<boolean>((r) => v.verifier(KEY, r));
      if (ok) {
        return 'trusted';
      }
      throw v.failure() ?? new Error('refused without a reason');
    }
  }
}

describe('hostile SSH files end in a reason and change nothing', () => {
  const counts = new Map<string, number>();
  after(() => {
    const rows = [...counts].map(([k, n]) => `  ${k.padEnd(18)} ${n}`);
    console.log(`bad SSH inputs by kind (${CASES.length} in all):\n${rows.join('\n')}`);
  });

  for (const c of CASES) {
    // A case that hangs (a FIFO read the plain way) fails on its timeout instead of stopping the file.
    test(`${c.kind}: ${c.name} → ${c.reason}`, { timeout: 30_000 }, async () => {
      const home = await newDir();
      const ssh = path.join(home, '.ssh');
      fs.mkdirSync(ssh, { mode: 0o700 });
      for (const [name, content] of Object.entries(c.files)) {
        const file = path.join(ssh, name);
        if (typeof content === 'function') {
          content(file);
        } else {
          fs.writeFileSync(file, content, { mode: 0o600 });
        }
      }
      const before = snapshot(home);
      let error: unknown;
      try {
        const result = await run(c, home);
        assert.fail(`expected ${c.reason}, got ${JSON.stringify(result)}`);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof CoreError, `expected CoreError(${c.reason}), got ${String(error)}`);
      assert.equal(error.reason, c.reason, `${error.reason}: ${error.message}`);
      for (const [k, v] of Object.entries(c.details ?? {})) {
        assert.equal(error.details[k], v, `details.${k} of ${error.message}`);
      }
      assert.deepEqual(snapshot(home), before, 'something under the home changed');
      counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
    });
  }
});
