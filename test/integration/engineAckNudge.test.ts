/**
 * The ACK nudge (src/core/engine/engineAckNudge.ts) observed where it lands: sshd's own debug
 * log names every global request it receives, with its want-reply flag. The unit tests count
 * calls on a stand-in; this one proves the packet a real sshd receives is the one the design
 * depends on (a cancel-tcpip-forward for the reserved address, asking for no reply), that the
 * pool sends it on its connections, and that `ackNudge: false` sends none.
 */
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EnginePool, type EngineTarget } from '../../src/core/engine/enginePool';
import { connectSsh } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  generateKey,
  knownHostsLine,
  requireRoot,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';

const T = { timeout: 180_000 };
/** What OpenSSH's serverloop.c logs at DEBUG1 for each global request. */
const GLOBAL_REQUEST = /server_input_global_request: rtype (\S+) want_reply (\d)/g;
const CANCEL_TARGET = /cancel-tcpip-forward addr (\S+) port (\d+)/g;

let dockerd: Dockerd;
let sshd: Sshd;
let user: TestUser;
let home: TempHome;

before(async () => {
  requireRoot('ACK nudge integration test');
  [dockerd, sshd] = await Promise.all([startDockerd(), startSshd({ extraConfig: ['LogLevel DEBUG1'] })]);
  user = await createUser({ docker: true, dockerHost: dockerd.host });
  home = tempHome();
  const key = await generateKey(home.home);
  user.authorizeKey(key.publicLine);
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'nudged', port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  addKnownHost(home.home, knownHostsLine(sshd));
});

after(async () => {
  await user?.remove();
  await Promise.allSettled([sshd?.dispose(), dockerd?.stop()]);
  home?.remove();
});

function pool(ackNudge: boolean): EnginePool {
  return new EnginePool({
    ackNudge,
    requestTimeoutMs: 60_000,
    idleTimeoutMs: 300_000,
    connect: async (endpoint, signal) => {
      const host = await resolveHost(endpoint.host ?? '', {
        configFile: path.join(home.sshDir, 'config'),
        home: home.home,
        localUser: os.userInfo().username,
        signal,
      });
      return connectSsh({ host, env: home.env, home: home.home, signal, timeoutMs: 30_000, keepaliveIntervalMs: 0 });
    },
  });
}

function target(): EngineTarget {
  return { contextName: 'nudged', endpoint: `ssh://nudged${dockerd.socket}`, skipTLSVerify: false };
}

/** Global requests sshd logged since `mark`: [rtype, wantReply] pairs, and the cancel targets. */
function globalRequests(mark: number): { requests: [string, string][]; targets: [string, string][] } {
  const log = sshd.logSince(mark);
  return {
    requests: [...log.matchAll(GLOBAL_REQUEST)].map((m) => [m[1] ?? '', m[2] ?? '']),
    targets: [...log.matchAll(CANCEL_TARGET)].map((m) => [m[1] ?? '', m[2] ?? '']),
  };
}

/** Closes the pool's connection and waits until sshd has logged the session's end (so every request before it). */
async function settledLog(p: EnginePool, mark: number): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    const sub = p.onDidChangeConnection((e) => {
      if (e.state === 'disconnected') {
        sub.dispose();
        resolve();
      }
    });
  });
  p.close();
  await closed;
  for (let i = 0; i < 200 && !/Disconnected from user|Connection closed by/.test(sshd.logSince(mark)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ACK nudge seen by a real sshd', () => {
  it('the pool sends cancel-tcpip-forward for nudge.invalid:1 without want-reply, and nothing else', T, async () => {
    const mark = sshd.logMark();
    const p = pool(true);
    try {
      await p.info(target());
      for (let i = 0; i < 5; i++) {
        await p.status(target());
      }
      await settledLog(p, mark);
    } finally {
      p.dispose();
    }
    const { requests, targets } = globalRequests(mark);
    const cancels = requests.filter(([rtype]) => rtype === 'cancel-tcpip-forward');
    assert.ok(cancels.length >= 1, `sshd saw no nudge: ${JSON.stringify(requests)}`);
    assert.deepEqual(
      cancels.filter(([, wantReply]) => wantReply !== '0'),
      [],
      'a nudge asking for a reply would stall behind the data itself',
    );
    assert.ok(targets.length >= 1 && targets.every(([addr, port]) => addr === 'nudge.invalid' && port === '1'));
    // Bursts, not packets: each status() is one /_ping exchange on a kept channel, so a handful per call at most.
    assert.ok(cancels.length <= 6 * 4, `${cancels.length} nudges for 6 calls`);
  });

  it('ackNudge: false sends none (the switch the benchmark uses to measure it)', T, async () => {
    const mark = sshd.logMark();
    const p = pool(false);
    try {
      await p.info(target());
      await p.status(target());
      await settledLog(p, mark);
    } finally {
      p.dispose();
    }
    const { requests } = globalRequests(mark);
    assert.deepEqual(
      requests.filter(([rtype]) => rtype === 'cancel-tcpip-forward'),
      [],
    );
  });
});
