/**
 * PubkeyAcceptedAlgorithms for RSA user keys. ssh2 picks the signature from the server's
 * `server-sig-algs` and falls back to `ssh-rsa` (SHA-1) when the server names no SHA-2 one (an
 * OpenSSH older than 7.2); as with OpenSSH ≥ 8.8 that signature is not made unless the
 * configuration allows `ssh-rsa`. Neither sshd 9.2 nor ssh2's server can be made to leave SHA-2
 * out of `server-sig-algs`, so the SHA-1 case is tested on the agent that signs (what ssh2 calls
 * with `hash: 'sha1'`), and the whole path against ssh2's server with a configuration that
 * leaves out the SHA-2 signature the server asks for.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Server, utils, type Connection, type ParsedKey } from 'ssh2';
import { agentClasses } from '../../src/core/ssh/agents';
import { connectSsh } from '../../src/core/ssh/connection';
import { signatureAlgorithm, SignaturePolicy } from '../../src/core/ssh/signaturePolicy';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import { DEFAULT_KEY_ALGORITHMS } from '../../src/core/sshConfig/sshAlgorithms';
import { rejectsWith } from '../support/rejectsWith';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-sigpolicy-'));
let srv: Server;
let port: number;
let knownHosts: string;
let keyFile: string;
let publicLine: string;
/** The signature algorithms the server verified, in order. */
const signedWith: string[] = [];

before(async () => {
  const hostKey = utils.generateKeyPairSync('ed25519');
  const userKey = utils.generateKeyPairSync('rsa', { bits: 2048 });
  keyFile = path.join(dir, 'id_rsa');
  fs.writeFileSync(keyFile, userKey.private, { mode: 0o600 });
  const userPub = utils.parseKey(userKey.public);
  assert.ok(!(userPub instanceof Error) && !Array.isArray(userPub));
  publicLine = `${userPub.type} ${userPub.getPublicSSH().toString('base64')}`;
  const clients = new Set<Connection>();
  srv = new Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || !ctx.key.data.equals(userPub.getPublicSSH())) {
        ctx.reject(['publickey']);
        return;
      }
      if (!ctx.signature || !ctx.blob) {
        ctx.accept(); // "this key would do": the client signs next
        return;
      }
      signedWith.push(`${ctx.key.algo}/${ctx.hashAlgo ?? ''}`);
      const ok = userPub.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
      if (ok) {
        ctx.accept();
      } else {
        ctx.reject(['publickey']);
      }
    });
    client.on('ready', () => client.on('session', (accept) => accept()));
  });
  srv.on('close', () => clients.forEach((c) => c.end()));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  port = (srv.address() as { port: number }).port;
  const parsedHost = utils.parseKey(hostKey.public);
  assert.ok(!(parsedHost instanceof Error) && !Array.isArray(parsedHost));
  knownHosts = path.join(dir, 'known_hosts');
  fs.writeFileSync(
    knownHosts,
    `[127.0.0.1]:${port} ${parsedHost.type} ${parsedHost.getPublicSSH().toString('base64')}\n`,
  );
});

after(async () => {
  await new Promise<void>((r) => srv.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function host(pubkeyAcceptedAlgorithms?: string[]): EffectiveHost {
  return {
    alias: 'old-server',
    hostname: '127.0.0.1',
    user: 'alice',
    port,
    identityFiles: [keyFile],
    identitiesOnly: true,
    userKnownHostsFiles: [knownHosts],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hashKnownHosts: false,
    source: 'builtin',
    ...(pubkeyAcceptedAlgorithms ? { pubkeyAcceptedAlgorithms } : {}),
  };
}

describe('RSA user keys and SHA-1', () => {
  it('the default signs with rsa-sha2-256 where the server offers it', async () => {
    const c = await connectSsh({ host: host(), env: {}, home: dir, timeoutMs: 20_000 });
    assert.equal(c.authMethod, 'publickey');
    assert.equal(signedWith.at(-1), 'ssh-rsa/sha256');
    c.close();
  });

  it('a signature the configuration leaves out is not made, and the reason names it', async () => {
    const before = signedWith.length;
    const e = await rejectsWith(
      connectSsh({ host: host(['ssh-rsa']), env: {}, home: dir, timeoutMs: 20_000 }),
      'authFailed',
    );
    assert.equal(e.details.detail, 'signatureAlgorithm');
    assert.equal(e.details.algorithm, 'rsa-sha2-256');
    assert.equal(signedWith.length, before, 'nothing was signed');
  });

  it('SHA-1 (what ssh2 uses with a server that names no SHA-2 signature) only when ssh-rsa is allowed', async () => {
    const { KeyFileAgent } = agentClasses();
    const unlock = (): Promise<ParsedKey> => {
      const k = utils.parseKey(fs.readFileSync(keyFile));
      assert.ok(!(k instanceof Error) && !Array.isArray(k));
      return Promise.resolve(k);
    };
    const sign = (policy: SignaturePolicy, hash: 'sha1' | 'sha256'): Promise<Error | Buffer> =>
      new Promise((resolve) =>
        new KeyFileAgent(publicLine, unlock, policy).sign(publicLine, Buffer.from('data'), { hash }, (err, sig) =>
          resolve(err ?? (sig as Buffer)),
        ),
      );
    const byDefault = new SignaturePolicy(undefined);
    assert.ok((await sign(byDefault, 'sha1')) instanceof Error);
    assert.equal(byDefault.refused, 'ssh-rsa');
    assert.equal(byDefault.failure({})?.details.algorithm, 'ssh-rsa');
    assert.ok(Buffer.isBuffer(await sign(byDefault, 'sha256')));
    const reEnabled = new SignaturePolicy([...DEFAULT_KEY_ALGORITHMS, 'ssh-rsa']);
    assert.ok(Buffer.isBuffer(await sign(reEnabled, 'sha1')));
    assert.equal(reEnabled.refused, undefined);
  });

  it('a key type the list leaves out is not offered', async () => {
    const e = await rejectsWith(
      connectSsh({ host: host(['ssh-ed25519']), env: {}, home: dir, timeoutMs: 20_000 }),
      'authFailed',
    );
    assert.notEqual(e.details.detail, 'signatureAlgorithm', 'refused before any signature was asked for');
    const p = new SignaturePolicy(['rsa-sha2-512']);
    assert.equal(p.offers('ssh-rsa'), true);
    assert.equal(p.offers('ssh-ed25519'), false);
    assert.equal(signatureAlgorithm('ssh-rsa', 'sha512'), 'rsa-sha2-512');
    assert.equal(signatureAlgorithm('ssh-ed25519', undefined), 'ssh-ed25519');
  });
});
