/**
 * createHostVerifier end to end: ssh2 against a real sshd (ed25519 + ecdsa host keys) on
 * 127.0.0.1, with OpenSSH's own client as the judge of every known_hosts file we write or read.
 *
 * No user is needed: the host key is checked before authentication, so every connection logs in
 * as a user that does not exist. A connection that reaches "authentication failed" got past the
 * host key; one refused by the verifier never gets there.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, type ConnectConfig } from 'ssh2';
import { CoreError } from '../../src/core/common/errors';
import { runProcess } from '../../src/core/common/exec';
import { createHostVerifier, type HostVerifier, type StrictMode } from '../../src/core/ssh/hostVerifier';
import type { HostKeyTarget } from '../../src/core/ssh/knownHosts';
import { requireRoot, startSshd, type Sshd } from '../support';

const T = { timeout: 120_000 };
const NO_SUCH_USER = 'rdc-no-such-user';

let sshd: Sshd;
let root: string;
let ecdsaPub: string; // `ecdsa-sha2-nistp256 AAAA…`, a second host key of the server
let strangerPub: string; // `ssh-ed25519 AAAA…`, a key the server does not have
let proxyScript: string;
let caseNo = 0;

before(async () => {
  requireRoot('the host verifier integration tests');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdc-hv-int-'));
  const ecKey = path.join(root, 'ssh_host_ecdsa_key');
  const r = await runProcess('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-C', '', '-f', ecKey], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  ecdsaPub = (await fs.readFile(ecKey + '.pub', 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const stranger = path.join(root, 'stranger');
  const r2 = await runProcess('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', stranger], {
    timeoutMs: 30_000,
  });
  assert.equal(r2.code, 0, r2.stderr);
  strangerPub = (await fs.readFile(stranger + '.pub', 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  // HostKey adds to the list, so the server offers its ed25519 key and this ecdsa key.
  sshd = await startSshd({ extraConfig: [`HostKey ${ecKey}`] });
  // For OpenSSH's ProxyCommand: lets `ssh -p 22 name` reach the test server, so that the
  // port-22 naming rule can be observed without a server on port 22.
  proxyScript = path.join(root, 'pipe.js');
  await fs.writeFile(
    proxyScript,
    "const s = require('net').connect(Number(process.argv[2]), '127.0.0.1');\n" +
      'process.stdin.pipe(s).pipe(process.stdout);\n' +
      "s.on('close', () => process.exit(0)); s.on('error', () => process.exit(1));\n",
  );
});

after(async () => {
  await sshd?.dispose();
  if (root) {
    await fs.rm(root, { recursive: true, force: true });
  }
});

async function caseDir(): Promise<string> {
  const d = path.join(root, `case${++caseNo}`);
  await fs.mkdir(d, { mode: 0o700 });
  return d;
}

function targetFor(file: string, over: Partial<HostKeyTarget> = {}): HostKeyTarget {
  return { host: '127.0.0.1', port: sshd.port, userKnownHostsFiles: [file], globalKnownHostsFiles: [], ...over };
}

interface Attempt {
  /** The handshake got past the host key (authentication then failed, as intended). */
  passedHostKey: boolean;
  error: Error & { level?: string };
}

/** One ssh2 connection as a user that does not exist; never authenticates. */
function attempt(v: HostVerifier, options: { pin?: boolean; sock?: net.Socket } = {}): Promise<Attempt> {
  return new Promise((resolve) => {
    const c = new Client();
    const config: ConnectConfig = {
      host: '127.0.0.1',
      port: sshd.port,
      username: NO_SUCH_USER,
      readyTimeout: 60_000,
      hostVerifier: v.verifier,
    };
    if (options.sock) {
      config.sock = options.sock;
    }
    if ((options.pin ?? true) && v.algorithms) {
      config.algorithms = { serverHostKey: v.algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
    }
    c.on('ready', () => {
      c.end();
      resolve({ passedHostKey: true, error: new Error('unexpectedly logged in') });
    });
    c.on('error', (error: Error & { level?: string }) => {
      c.end();
      resolve({ passedHostKey: error.level === 'client-authentication', error });
    });
    c.connect(config);
  });
}

/** The real ssh client with only the given known_hosts file; never authenticates either. */
async function openssh(
  file: string,
  strict: 'yes' | 'accept-new',
  extra: string[] = [],
  destination = `${NO_SUCH_USER}@127.0.0.1`,
): Promise<string> {
  const args = [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'PubkeyAuthentication=no',
    '-o',
    'IdentityAgent=none',
    '-o',
    `UserKnownHostsFile=${file}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    `StrictHostKeyChecking=${strict}`,
    '-o',
    'ConnectTimeout=30',
    ...(extra.includes('-p') ? [] : ['-p', String(sshd.port)]),
    ...extra,
    destination,
    'true',
  ];
  const r = await runProcess('/usr/bin/ssh', args, { timeoutMs: 90_000 });
  assert.notEqual(r.code, 0, 'the login itself must fail: the user does not exist');
  return r.stderr;
}

function opensshTrusted(stderr: string): boolean {
  return /Permission denied/.test(stderr) && !/Host key verification failed/.test(stderr);
}

async function verifier(
  file: string,
  strict: StrictMode,
  over: Partial<HostKeyTarget> = {},
  hash = false,
  confirm?: () => Promise<boolean>,
): Promise<HostVerifier> {
  return createHostVerifier({
    target: targetFor(file, over),
    strict,
    hashKnownHosts: hash,
    confirmUnknownKey: confirm,
  });
}

describe('host verifier against a real sshd', () => {
  it(
    'accept-new writes the very line ssh writes, and ssh then trusts our file with StrictHostKeyChecking=yes',
    T,
    async () => {
      const dir = await caseDir();
      const ours = path.join(dir, 'ours');
      const theirs = path.join(dir, 'theirs');
      const v = await verifier(ours, 'accept-new');
      assert.equal(v.algorithms, undefined, 'nothing known yet: ssh2 defaults');
      const a = await attempt(v);
      assert.ok(a.passedHostKey, a.error.message);
      assert.equal(v.outcome(), 'added');
      assert.equal(v.report()?.fingerprint, sshd.hostKeyFingerprint);
      assert.match(await openssh(theirs, 'accept-new'), /Permanently added/);
      assert.equal(await fs.readFile(ours, 'utf8'), await fs.readFile(theirs, 'utf8'));
      assert.equal(await fs.readFile(ours, 'utf8'), `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n`);
      assert.ok(opensshTrusted(await openssh(ours, 'yes')));
      // and the next connection of ours trusts it, pinned to its type
      const again = await verifier(ours, 'yes');
      assert.deepEqual(again.algorithms, ['ssh-ed25519']);
      assert.ok((await attempt(again)).passedHostKey);
      assert.equal(again.outcome(), 'trusted');
    },
  );

  it('a hashed line added after the user said yes is trusted by ssh', T, async () => {
    const dir = await caseDir();
    const file = path.join(dir, 'known_hosts');
    let asked = '';
    const v = await createHostVerifier({
      target: targetFor(file),
      strict: 'ask',
      hashKnownHosts: true,
      confirmUnknownKey: (req) => {
        asked = req.fingerprint;
        return Promise.resolve(true);
      },
    });
    assert.ok((await attempt(v)).passedHostKey);
    assert.equal(asked, sshd.hostKeyFingerprint);
    assert.match(await fs.readFile(file, 'utf8'), /^\|1\|\S+ ssh-ed25519 \S+\n$/);
    assert.ok(opensshTrusted(await openssh(file, 'yes')));
  });

  it('a declined key: the handshake is refused, nothing is written', T, async () => {
    const dir = await caseDir();
    const file = path.join(dir, 'known_hosts');
    const v = await verifier(file, 'ask', {}, false, () => Promise.resolve(false));
    const a = await attempt(v);
    assert.equal(a.passedHostKey, false);
    assert.ok(CoreError.is(v.failure(), 'hostKeyRejected'));
    await assert.rejects(fs.stat(file));
  });

  it('pinning: with only the ecdsa key known, pinned algorithms make the server present it', T, async () => {
    const dir = await caseDir();
    const file = path.join(dir, 'known_hosts');
    await fs.writeFile(file, `[127.0.0.1]:${sshd.port} ${ecdsaPub}\n`);
    const v = await verifier(file, 'yes');
    assert.deepEqual(v.algorithms, ['ecdsa-sha2-nistp256']);
    const a = await attempt(v);
    assert.ok(a.passedHostKey, a.error.message);
    assert.equal(v.report()?.keyType, 'ecdsa-sha2-nistp256');
    assert.ok(opensshTrusted(await openssh(file, 'yes')), 'OpenSSH reorders its algorithms the same way');
    // Without pinning ssh2 prefers ed25519, which known_hosts does not hold: refused as changed,
    // exactly what OpenSSH says when forced to ed25519.
    const unpinned = await verifier(file, 'accept-new');
    const b = await attempt(unpinned, { pin: false });
    assert.equal(b.passedHostKey, false);
    assert.ok(CoreError.is(unpinned.failure(), 'hostKeyChanged'));
    assert.match(
      await openssh(file, 'yes', ['-o', 'HostKeyAlgorithms=ssh-ed25519']),
      /REMOTE HOST IDENTIFICATION HAS CHANGED/,
    );
    assert.equal(await fs.readFile(file, 'utf8'), `[127.0.0.1]:${sshd.port} ${ecdsaPub}\n`, 'nothing added');
  });

  it('a changed key is refused, naming the same file and line as ssh', T, async () => {
    const dir = await caseDir();
    const file = path.join(dir, 'known_hosts');
    const stale = `# servers\nother.example ${ecdsaPub}\n[127.0.0.1]:${sshd.port} ${strangerPub}\n`;
    await fs.writeFile(file, stale);
    for (const strict of ['yes', 'no', 'accept-new', 'ask'] as const) {
      const v = await verifier(file, strict, {}, false, () => Promise.resolve(true));
      const a = await attempt(v);
      assert.equal(a.passedHostKey, false, strict);
      const f = v.failure();
      assert.ok(CoreError.is(f, 'hostKeyChanged'), `${strict}: ${String(f)}`);
      assert.equal(f.details.file, file);
      assert.equal(f.details.line, 3);
      assert.equal(f.details.fingerprint, sshd.hostKeyFingerprint);
    }
    const stderr = await openssh(file, 'accept-new');
    assert.match(stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.ok(stderr.includes(`Offending ED25519 key in ${file}:3`), stderr);
    assert.equal(await fs.readFile(file, 'utf8'), stale);
  });

  it('@revoked is refused like ssh refuses it', T, async () => {
    const dir = await caseDir();
    const file = path.join(dir, 'known_hosts');
    await fs.writeFile(file, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}\n@revoked * ${sshd.hostKeyPub}\n`);
    const v = await verifier(file, 'accept-new');
    assert.equal((await attempt(v)).passedHostKey, false);
    assert.ok(CoreError.is(v.failure(), 'hostKeyRevoked'));
    assert.match(await openssh(file, 'accept-new'), /REVOKED HOST KEY DETECTED/);
  });

  it('HostKeyAlias: stored under the lower-cased alias without the port, as ssh stores it', T, async () => {
    const dir = await caseDir();
    const ours = path.join(dir, 'ours');
    const theirs = path.join(dir, 'theirs');
    const v = await verifier(ours, 'accept-new', { hostKeyAlias: 'Docker-Box' });
    assert.ok((await attempt(v)).passedHostKey);
    await openssh(theirs, 'accept-new', ['-o', 'HostKeyAlias=Docker-Box']);
    assert.equal(await fs.readFile(ours, 'utf8'), `docker-box ${sshd.hostKeyPub}\n`);
    assert.equal(await fs.readFile(ours, 'utf8'), await fs.readFile(theirs, 'utf8'));
    assert.ok(opensshTrusted(await openssh(ours, 'yes', ['-o', 'HostKeyAlias=Docker-Box'])));
  });

  it('host names are stored lower-cased, as ssh stores them', T, async () => {
    const dir = await caseDir();
    const ours = path.join(dir, 'ours');
    const theirs = path.join(dir, 'theirs');
    const v = await verifier(ours, 'accept-new', { host: 'LocalHost' });
    assert.ok((await attempt(v)).passedHostKey);
    await openssh(theirs, 'accept-new', [], `${NO_SUCH_USER}@LocalHost`);
    assert.equal(await fs.readFile(ours, 'utf8'), `[localhost]:${sshd.port} ${sshd.hostKeyPub}\n`);
    assert.equal(await fs.readFile(ours, 'utf8'), await fs.readFile(theirs, 'utf8'));
  });

  it('port 22 is stored bare, as ssh stores it (reached through a proxy)', T, async () => {
    const dir = await caseDir();
    const ours = path.join(dir, 'ours');
    const theirs = path.join(dir, 'theirs');
    const v = await verifier(ours, 'accept-new', { host: 'box22.test', port: 22 });
    const sock = net.connect(sshd.port, '127.0.0.1');
    assert.ok((await attempt(v, { sock })).passedHostKey);
    await openssh(
      theirs,
      'accept-new',
      ['-p', '22', '-o', `ProxyCommand=${process.execPath} ${proxyScript} ${sshd.port}`],
      `${NO_SUCH_USER}@box22.test`,
    );
    assert.equal(await fs.readFile(ours, 'utf8'), `box22.test ${sshd.hostKeyPub}\n`);
    assert.equal(await fs.readFile(ours, 'utf8'), await fs.readFile(theirs, 'utf8'));
  });
});
