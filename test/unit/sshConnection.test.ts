/**
 * connectSsh without root or system servers: an in-process SSH server (ssh2's own, a real
 * protocol peer) and plain TCP servers on loopback for the faults a real sshd cannot produce on
 * demand (a non-SSH banner that stays open), plus the pure helpers (agent choice, ProxyJump
 * lists, socket error codes).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { Server, utils, type Connection } from 'ssh2';
import { CoreError } from '../../src/core/common/errors';
import { MemoryLogger } from '../../src/core/common/log';
import {
  agentPath,
  connectSsh,
  parseProxyJump,
  PassphraseCache,
  socketError,
  type ConnectOptions,
} from '../../src/core/ssh/connection';
import type { EffectiveHost } from '../../src/core/sshConfig/resolveHost';
import { tcpServer } from '../support/ports';

const PASSWORD = 'S3cret-Only-The-Server-Knows';

interface TestServer {
  port: number;
  hostKeyLine: string;
  close(): Promise<void>;
}

/** What the server saw in the second keyboard-interactive round, per attempt. */
const secondRoundAnswers: string[][] = [];

/**
 * ssh2's server: password (and keyboard-interactive) for user "alice"; keyboard-interactive only
 * for "kim"; for "otp" a password round then a one-time-code round (which never succeeds); for
 * "pat" publickey is offered (the server says it would take the key) but only the password logs in.
 */
function startServer(): Promise<TestServer> {
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clients = new Set<Connection>();
  const srv = new Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.username === 'otp') {
        if (ctx.method !== 'keyboard-interactive') {
          ctx.reject(['keyboard-interactive']);
          return;
        }
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (first) => {
          if (first[0] !== PASSWORD) {
            ctx.reject(['keyboard-interactive']);
            return;
          }
          ctx.prompt([{ prompt: 'Verification code: ', echo: false }], (second) => {
            secondRoundAnswers.push(second);
            ctx.reject(['keyboard-interactive']);
          });
        });
        return;
      }
      if (ctx.username === 'pat') {
        if (ctx.method === 'publickey' && !ctx.signature) {
          ctx.accept(); // "this key would do": the client must now sign, so it needs the passphrase
          return;
        }
        if (ctx.method === 'password' && ctx.password === PASSWORD) {
          ctx.accept();
          return;
        }
        ctx.reject(['publickey', 'password']);
        return;
      }
      if (ctx.username === 'kim') {
        // Passwords only through keyboard-interactive, like PAM-only servers.
        if (ctx.method === 'keyboard-interactive') {
          ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) =>
            answers[0] === PASSWORD ? ctx.accept() : ctx.reject(['keyboard-interactive']),
          );
          return;
        }
        ctx.reject(['keyboard-interactive']);
        return;
      }
      if (ctx.username === 'alice' && ctx.method === 'password' && ctx.password === PASSWORD) {
        ctx.accept();
        return;
      }
      if (ctx.username === 'alice' && ctx.method === 'keyboard-interactive') {
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) =>
          answers[0] === PASSWORD ? ctx.accept() : ctx.reject(['password', 'keyboard-interactive']),
        );
        return;
      }
      ctx.reject(['password', 'keyboard-interactive']);
    });
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      resolve({
        port,
        hostKeyLine: `[127.0.0.1]:${port} ${hostKey.public.split(' ').slice(0, 2).join(' ')}`,
        close: () =>
          new Promise<void>((done) => {
            for (const c of clients) {
              c.end();
            }
            srv.close(() => done());
          }),
      });
    });
  });
}

describe('connectSsh with an in-process server', () => {
  let server: TestServer;
  let dir: string;
  let knownHosts: string;

  const host = (o: Partial<EffectiveHost> = {}): EffectiveHost => ({
    alias: 'unit',
    hostname: '127.0.0.1',
    user: 'alice',
    port: server.port,
    identityFiles: [],
    identitiesOnly: true,
    userKnownHostsFiles: [knownHosts],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hashKnownHosts: false,
    source: 'builtin',
    ...o,
  });
  const opts = (o: Partial<ConnectOptions> = {}): ConnectOptions => ({
    host: host(),
    env: {},
    home: dir,
    timeoutMs: 10_000,
    useAgent: false,
    ...o,
  });

  before(async () => {
    server = await startServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-unit-ssh-'));
    knownHosts = path.join(dir, 'known_hosts');
    fs.writeFileSync(knownHosts, server.hostKeyLine + '\n');
  });

  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails wrong passwords with authFailed and keeps the password out of logs, messages and details', async () => {
    const logger = new MemoryLogger();
    const wrong = 'Not-' + PASSWORD;
    const asked: number[] = [];
    let error: unknown;
    try {
      await connectSsh(
        opts({
          logger,
          allowPassword: true,
          prompts: { password: (r) => Promise.resolve((asked.push(r.attempt), wrong)) },
        }),
      );
    } catch (e) {
      error = e;
    }
    assert.ok(CoreError.is(error, 'authFailed'), String(error));
    assert.deepEqual(asked, [1, 2, 3]);
    assert.ok(logger.lines.length > 0, 'something was logged');
    const text = [error.message, JSON.stringify(error.details), String(error.stack), ...logger.lines].join('\n');
    assert.ok(!text.includes(wrong), 'the password appears in the log or the error');
    assert.ok(!text.includes(PASSWORD));
    assert.equal(error.details.user, 'alice');
    assert.equal(error.details.port, server.port);
  });

  it('answers keyboard-interactive with the password when that is all the server offers', async () => {
    const asked: number[] = [];
    const c = await connectSsh(
      opts({
        host: host({ user: 'kim' }),
        allowPassword: true,
        prompts: { password: (r) => Promise.resolve((asked.push(r.attempt), asked.length === 1 ? 'wrong' : PASSWORD)) },
      }),
    );
    assert.equal(c.authMethod, 'keyboard-interactive');
    assert.deepEqual(asked, [1, 2]);
    c.close();
  });

  it('does not count the time a person spends on a prompt against the timeout', async (t) => {
    // The clock is mocked, so no real handshake can run out of time: while the password prompt
    // is open, the test moves the clock far past the 300 ms limit. Only a deadline that is paused
    // during the prompt lets the connection through; one that is not fires on that tick.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const c = await connectSsh(
      opts({
        timeoutMs: 300,
        allowPassword: true,
        prompts: {
          password: () => {
            t.mock.timers.tick(60_000);
            return Promise.resolve(PASSWORD);
          },
        },
      }),
    );
    assert.equal(c.authMethod, 'password');
    c.close();
  });

  it('answers a second keyboard-interactive round empty, so it fails instead of sending the password again', async () => {
    secondRoundAnswers.length = 0;
    const asked: number[] = [];
    await assert.rejects(
      connectSsh(
        opts({
          host: host({ user: 'otp' }),
          allowPassword: true,
          prompts: { password: (r) => (asked.push(r.attempt), Promise.resolve(PASSWORD)) },
        }),
      ),
      (e: unknown) => CoreError.is(e, 'authFailed'),
    );
    assert.deepEqual(asked, [1, 2, 3], 'each attempt asks again, up to the limit');
    assert.deepEqual(secondRoundAnswers, [[''], [''], ['']], 'the one-time code round got empty answers');
  });

  it('a dismissed passphrase skips that key and moves on to the password', async () => {
    const keyFile = path.join(dir, 'id_pat');
    const pair = utils.generateKeyPairSync('ed25519', { passphrase: 'key-pass', cipher: 'aes256-ctr', rounds: 4 });
    fs.writeFileSync(keyFile, pair.private, { mode: 0o600 });
    fs.writeFileSync(keyFile + '.pub', pair.public + '\n');
    const order: string[] = [];
    const passphrases = new PassphraseCache();
    const c = await connectSsh(
      opts({
        host: host({ user: 'pat', identityFiles: [keyFile] }),
        allowPassword: true,
        passphrases,
        prompts: {
          passphrase: (r) => (order.push(`passphrase ${path.basename(r.keyPath)}`), Promise.resolve(undefined)),
          password: () => (order.push('password'), Promise.resolve(PASSWORD)),
        },
      }),
    );
    assert.equal(c.authMethod, 'password');
    assert.deepEqual(order, ['passphrase id_pat', 'password']);
    assert.ok(passphrases.isDeclined(keyFile), 'the dismissal is remembered for this key');
    c.close();
  });

  it('a prompt dismissed (undefined) cancels the connection', async () => {
    await assert.rejects(
      connectSsh(opts({ allowPassword: true, prompts: { password: () => Promise.resolve(undefined) } })),
      (e: unknown) => CoreError.is(e, 'cancelled'),
    );
  });

  it('never asks for a password unless allowed', async () => {
    await assert.rejects(
      connectSsh(opts({ prompts: { password: () => Promise.resolve(assert.fail('asked')) } })),
      (e: unknown) => CoreError.is(e, 'authFailed'),
    );
  });

  it('a cancelled signal before the start rejects at once', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(connectSsh(opts({ signal: ac.signal })), (e: unknown) => CoreError.is(e, 'cancelled'));
  });
});

describe('connectSsh fault mapping on plain TCP servers', () => {
  const host = (port: number): EffectiveHost => ({
    alias: 'fault',
    hostname: '127.0.0.1',
    user: 'u',
    port,
    identityFiles: [],
    identitiesOnly: true,
    userKnownHostsFiles: [],
    globalKnownHostsFiles: [],
    strictHostKeyChecking: 'yes',
    hashKnownHosts: false,
    source: 'builtin',
  });

  it('a server that talks but is not SSH and stays open → notSsh (at the deadline)', async () => {
    const srv = await tcpServer((s) => s.write('220 smtp.example.com ESMTP ready\r\n'));
    try {
      // The limit only has to outlast a loopback write of one line, even on a loaded machine.
      await assert.rejects(connectSsh({ host: host(srv.port), env: {}, timeoutMs: 2_000 }), (e: unknown) => {
        assert.ok(CoreError.is(e, 'notSsh'), String(e));
        assert.match(String(e.details.greeting), /^220 smtp/);
        return true;
      });
    } finally {
      await srv.close();
    }
  });

  it('a server that sends binary garbage → notSsh', async () => {
    const srv = await tcpServer((s) => s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc])));
    try {
      await assert.rejects(connectSsh({ host: host(srv.port), env: {}, timeoutMs: 2_000 }), (e: unknown) =>
        CoreError.is(e, 'notSsh'),
      );
    } finally {
      await srv.close();
    }
  });

  it('a ProxyJump chain that loops is refused at the hop limit, before any connection', async () => {
    let connections = 0;
    const srv = await tcpServer(() => connections++);
    const resolved: string[] = [];
    try {
      await assert.rejects(
        connectSsh({
          host: { ...host(srv.port), proxyJump: 'a' },
          env: {},
          // a → b → a → …: every hop names the other as its own jump host.
          resolveJumpHost: (spec) => {
            resolved.push(spec);
            return Promise.resolve({ ...host(srv.port), alias: spec, proxyJump: spec === 'a' ? 'b' : 'a' });
          },
        }),
        (e: unknown) => {
          assert.ok(CoreError.is(e, 'sshDestinationInvalid'), String(e));
          assert.equal(e.details.detail, 'jumpDepth');
          assert.equal(e.details.maxHops, 8);
          return true;
        },
      );
      assert.deepEqual(resolved, ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
      assert.equal(connections, 0, 'nothing was dialled');
    } finally {
      await srv.close();
    }
  });

  it('a silent server → timeout naming the missing greeting', async () => {
    const srv = await tcpServer(() => undefined);
    try {
      await assert.rejects(connectSsh({ host: host(srv.port), env: {}, timeoutMs: 300 }), (e: unknown) => {
        assert.ok(CoreError.is(e, 'timeout'), String(e));
        assert.equal(e.details.detail, 'noGreeting');
        assert.equal(e.details.stage, 'greeting');
        return true;
      });
    } finally {
      await srv.close();
    }
  });

  it('an SSH-1 only server → sshProtocolError', async () => {
    const srv = await tcpServer((s) => s.write('SSH-1.5-OldServer\r\n'));
    try {
      await assert.rejects(connectSsh({ host: host(srv.port), env: {}, timeoutMs: 2_000 }), (e: unknown) =>
        CoreError.is(e, 'sshProtocolError'),
      );
    } finally {
      await srv.close();
    }
  });
});

describe('connection helpers', () => {
  it('chooses the agent like OpenSSH', () => {
    assert.equal(agentPath(undefined, { SSH_AUTH_SOCK: '/tmp/a' }, 'linux'), '/tmp/a');
    assert.equal(agentPath(undefined, {}, 'linux'), undefined);
    assert.equal(agentPath(undefined, {}, 'win32'), '\\\\.\\pipe\\openssh-ssh-agent');
    assert.equal(agentPath('none', { SSH_AUTH_SOCK: '/tmp/a' }, 'linux'), undefined);
    assert.equal(agentPath('NONE', { SSH_AUTH_SOCK: '/tmp/a' }, 'win32'), undefined);
    assert.equal(agentPath('SSH_AUTH_SOCK', { SSH_AUTH_SOCK: '/tmp/a' }, 'linux'), '/tmp/a');
    assert.equal(agentPath('$MY_AGENT', { MY_AGENT: '/tmp/b' }, 'linux'), '/tmp/b');
    assert.equal(agentPath('${MY_AGENT}', { MY_AGENT: '/tmp/b' }, 'linux'), '/tmp/b');
    assert.equal(agentPath('/run/agent.sock', {}, 'linux'), '/run/agent.sock');
  });

  it('reads ProxyJump lists', () => {
    assert.deepEqual(parseProxyJump(undefined), []);
    assert.deepEqual(parseProxyJump('none'), []);
    assert.deepEqual(parseProxyJump('a'), ['a']);
    assert.deepEqual(parseProxyJump('u@a:2222, b ,c'), ['u@a:2222', 'b', 'c']);
  });

  it('maps socket error codes to reasons with host and port', () => {
    const where = { host: 'h', port: 22 };
    const cases: Array<[string, CoreError['reason']]> = [
      ['ECONNREFUSED', 'connectionRefused'],
      ['ENOTFOUND', 'dnsFailed'],
      ['EAI_AGAIN', 'dnsFailed'],
      ['EHOSTUNREACH', 'hostUnreachable'],
      ['ENETUNREACH', 'hostUnreachable'],
      ['ETIMEDOUT', 'timeout'],
      ['ECONNRESET', 'connectionLost'],
    ];
    for (const [code, reason] of cases) {
      const err = Object.assign(new Error(code), { code });
      const mapped = socketError(err, where);
      assert.equal(mapped.reason, reason, code);
      assert.equal(mapped.details.host, 'h');
      assert.equal(mapped.details.port, 22);
    }
    // Node's happy-eyeballs connect wraps the per-address errors.
    const agg = new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'all failed');
    assert.equal(socketError(agg, where).reason, 'connectionRefused');
  });

  it('keeps passphrases out of serialisation', () => {
    const c = new PassphraseCache();
    c.set('/k', 'hunter2');
    assert.equal(c.get('/k'), 'hunter2');
    assert.ok(!JSON.stringify({ c }).includes('hunter2'));
    assert.ok(!inspect(c).includes('hunter2'));
    c.decline('/k');
    assert.equal(c.get('/k'), undefined);
    assert.equal(c.isDeclined('/k'), true);
    c.clear();
    assert.equal(c.isDeclined('/k'), false);
  });
});
