/**
 * Background connections never ask a person: against an in-process SSH server (ssh2's own, a
 * real protocol peer), an encrypted key the server accepts ends as keyPassphraseRequired (not a
 * bare authFailed) without marking the key as declined, so the next interactive connection asks
 * and logs in; an unknown host key ends as hostKeyUnknown and known_hosts stays untouched.
 * Also: the URL's user and port win over the SSH configuration's.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { Server, utils, type Connection } from 'ssh2';
import { needsInteraction, silentPrompts, sshHostForEndpoint } from '../../src/core/engine/engineSshTarget';
import { CoreError } from '../../src/core/common/errors';
import { connectSsh, PassphraseCache } from '../../src/core/ssh/connection';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';

const PASSPHRASE = 'correct horse battery staple';

function baseHost(o: Partial<EffectiveHost> = {}): EffectiveHost {
  return {
    alias: 'remote',
    hostname: '127.0.0.1',
    user: 'configured',
    port: 22,
    identityFiles: [],
    identitiesOnly: true,
    userKnownHostsFiles: [],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'ask',
    hashKnownHosts: false,
    source: 'builtin',
    ...o,
  };
}

test('sshHostForEndpoint: URL user and port override the configuration, as ssh -l/-p do', () => {
  const h = baseHost({ user: 'cfg', port: 2200 });
  assert.deepEqual(sshHostForEndpoint(h, {}), h);
  assert.deepEqual(sshHostForEndpoint(h, { user: 'deploy' }), { ...h, user: 'deploy' });
  assert.deepEqual(sshHostForEndpoint(h, { port: 2222 }), { ...h, port: 2222 });
  assert.deepEqual(sshHostForEndpoint(h, { user: 'deploy', port: 22 }), { ...h, user: 'deploy', port: 22 });
  assert.equal(h.user, 'cfg', 'the resolved host is not modified');
});

test('needsInteraction: only the failures a prompt can resolve', () => {
  assert.equal(needsInteraction(new CoreError('hostKeyUnknown', 'x')), true);
  assert.equal(needsInteraction(new CoreError('keyPassphraseRequired', 'x')), true);
  assert.equal(needsInteraction(new CoreError('hostKeyChanged', 'x')), false);
  assert.equal(needsInteraction(new CoreError('authFailed', 'x')), false);
  assert.equal(needsInteraction(new Error('x')), false);
});

describe('silent prompts against an in-process SSH server', () => {
  let dir: string;
  let keyFile: string;
  let knownHosts: string;
  let port: number;
  let hostKeyLine: string;
  let srv: Server;
  const clients = new Set<Connection>();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-silent-'));
    const user = utils.generateKeyPairSync('ed25519', {
      passphrase: PASSPHRASE,
      cipher: 'aes256-ctr',
      comment: 'unit',
    });
    keyFile = path.join(dir, 'id_ed25519');
    fs.writeFileSync(keyFile, user.private, { mode: 0o600 });
    fs.writeFileSync(`${keyFile}.pub`, `${user.public}\n`);
    const allowed = utils.parseKey(user.public);
    if (allowed instanceof Error) {
      throw allowed;
    }
    const hostKey = utils.generateKeyPairSync('ed25519');
    srv = new Server({ hostKeys: [hostKey.private] }, (client) => {
      clients.add(client);
      client.on('error', () => undefined);
      client.on('close', () => clients.delete(client));
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'publickey' || ctx.username !== 'alice') {
          ctx.reject(['publickey']);
          return;
        }
        const same = ctx.key.algo === allowed.type && ctx.key.data.equals(allowed.getPublicSSH());
        if (!same) {
          ctx.reject(['publickey']);
        } else if (!ctx.signature) {
          ctx.accept(); // "this key would do": the client now needs the private half
        } else if (ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
          ctx.accept();
        } else {
          ctx.reject(['publickey']);
        }
      });
      client.on('ready', () => undefined);
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
    port = (srv.address() as net.AddressInfo).port;
    hostKeyLine = `[127.0.0.1]:${port} ${hostKey.public.split(' ').slice(0, 2).join(' ')}\n`;
    knownHosts = path.join(dir, 'known_hosts');
  });

  after(async () => {
    for (const c of clients) {
      c.end();
    }
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const host = (): EffectiveHost =>
    baseHost({ user: 'alice', port, identityFiles: [keyFile], userKnownHostsFiles: [knownHosts] });

  it('an unknown host key ends as hostKeyUnknown and nothing is written to known_hosts', async () => {
    fs.rmSync(knownHosts, { force: true });
    const silent = silentPrompts();
    let error: unknown;
    try {
      const c = await connectSsh({
        host: host(),
        env: {},
        home: dir,
        useAgent: false,
        timeoutMs: 10_000,
        prompts: silent.prompts,
        passphrases: new PassphraseCache(),
      });
      c.close();
    } catch (e) {
      error = silent.explain(e);
    }
    assert.ok(error instanceof CoreError, String(error));
    assert.equal(error.reason, 'hostKeyUnknown');
    assert.equal(needsInteraction(error), true);
    assert.equal(fs.existsSync(knownHosts), false);
  });

  it('a locked key the server accepts ends as keyPassphraseRequired, and the key is not marked declined', async () => {
    fs.writeFileSync(knownHosts, hostKeyLine);
    const cache = new PassphraseCache();
    const silent = silentPrompts();
    let error: unknown;
    try {
      const c = await connectSsh({
        host: host(),
        env: {},
        home: dir,
        useAgent: false,
        timeoutMs: 10_000,
        prompts: silent.prompts,
        passphrases: cache,
      });
      c.close();
    } catch (e) {
      error = silent.explain(e);
    }
    assert.ok(error instanceof CoreError, String(error));
    assert.equal(error.reason, 'keyPassphraseRequired', `${error.reason}: ${error.message}`);
    assert.equal(error.details.file, keyFile);
    assert.equal(cache.isDeclined(keyFile), false);
    assert.equal(cache.has(keyFile), false);

    // The person then asks to connect: the same cache, prompts that answer.
    const asked: string[] = [];
    const conn = await connectSsh({
      host: host(),
      env: {},
      home: dir,
      useAgent: false,
      timeoutMs: 10_000,
      passphrases: cache,
      prompts: {
        passphrase: (req) => {
          asked.push(req.keyPath);
          return Promise.resolve(PASSPHRASE);
        },
      },
    });
    try {
      assert.deepEqual(asked, [keyFile]);
      assert.equal(conn.authMethod, 'publickey');
      assert.equal(cache.has(keyFile), true);
    } finally {
      conn.close();
    }

    // With the passphrase cached, a background connection logs in without asking.
    const again = silentPrompts();
    const bg = await connectSsh({
      host: host(),
      env: {},
      home: dir,
      useAgent: false,
      timeoutMs: 10_000,
      prompts: again.prompts,
      passphrases: cache,
    });
    bg.close();
  });

  it('explain leaves other failures as they are', () => {
    const silent = silentPrompts();
    const e = new CoreError('authFailed', 'no');
    assert.equal(silent.explain(e), e);
    const t = new CoreError('timeout', 'slow');
    assert.equal(silent.explain(t), t);
  });
});
