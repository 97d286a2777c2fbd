/**
 * The engine over a real link: every SSH connection, ours (ssh2) and the reference's (the docker
 * CLI through OpenSSH), crosses the same delaying proxy (test/support/delayProxy.ts) in the same
 * run, at 25, 50 and 100 ms round-trip time. For each step it prints round trips (counted by the
 * proxy: client flights the server answered, plus TCP's connect) and milliseconds:
 *
 * - cold status: what the extension does on a first connect: `ssh -G` (the SshService cache is
 *   empty then), TCP, SSH handshake, authentication, the channel, the remote CLI choice (daemon
 *   routing), HEAD /_ping + /info + /version, and closing the connection (the CLI's time ends
 *   with its process, after ssh closed its connection, so ours ends with our connection closed);
 * - cold reconnect: the same with the `ssh -G` answer cached and the remote CLI choice known
 *   (what a status after the idle close or a dropped connection costs);
 * - warm status, and a switch between two contexts of the same host (same endpoint; and another
 *   socket of that host: the first time on this connection, and back again once both were used),
 *   on a pool that is connected;
 * - the reference: `docker --context X info --format '{{json .}}'`, alternating with ours; the
 *   cost of the test home's ssh shim (a mount namespace) is measured and subtracted;
 * - then the ports rows (rttPorts.ts: against `ssh -N -L`) and the sync row (rttSync.ts: against
 *   rsync), each with servers of its own, through their own proxies at the same RTTs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../src/core/common/exec';
import { EnginePool, type EngineTarget } from '../src/core/engine/enginePool';
import { connectForEngine } from '../src/core/engine/engineSshTarget';
import { PassphraseCache } from '../src/core/ssh/passphraseCache';
import { connectSsh, type SshConnection } from '../src/core/ssh/connection';
import { ResolveCache } from '../src/core/sshConfig/resolveCache';
import { resolveHost } from '../src/core/sshConfig/resolveHost';
import { startDelayProxy, type DelayProxy } from '../test/support/delayProxy';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  generateKey,
  knownHostsLine,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../test/support';
import { median } from './median';
import { report, type RttFigures, type Sample } from './rttReport';
import { measurePorts } from './rttPorts';
import { measureSync } from './rttSync';
import type { BenchOptions, BenchReport, BenchSuite } from './run';

const DOCKER_CLI = process.env.RDC_BENCH_DOCKER ?? 'docker';
const RTTS = [25, 50, 100];
const DEFAULT_REPS = 5;
/** First-byte samples per forward and RTT (cheap: two round trips each). */
const PORTS_REPS = 10;
/** One-file re-syncs per RTT (each side walks 10,000 files). */
const SYNC_REPS = 3;
const ALIAS = 'rtt-host';
const CONTEXTS = { a: 'rtt-a', b: 'rtt-b', other: 'rtt-other-socket' };

interface Env {
  dockerd: Dockerd;
  sshd: Sshd;
  user: TestUser;
  home: TempHome;
  proxy: DelayProxy;
  targets: { a: EngineTarget; b: EngineTarget; other: EngineTarget };
}

async function setUp(log: (l: string) => void): Promise<Env> {
  log('rtt: starting dockerd, sshd and the delaying proxy…');
  const [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
  const user = await createUser({ docker: true, dockerHost: dockerd.host });
  const home = tempHome('rdc-bench-rtt-');
  const proxy = await startDelayProxy({ targetPort: sshd.port, delayMs: 0 });
  const key = await generateKey(home.home);
  user.authorizeKey(key.publicLine);
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: ALIAS, port: proxy.port, user: user.name, identityFile: key.privateKey }),
  );
  addKnownHost(home.home, knownHostsLine({ port: proxy.port, hostKeyPub: sshd.hostKeyPub }));
  // A second path to the same daemon: "another socket on the same host" (rootless next to rootful).
  const otherSocket = path.join(dockerd.dir, 'other.sock');
  fs.symlinkSync(dockerd.socket, otherSocket);
  const endpoints = { a: `ssh://${ALIAS}`, b: `ssh://${ALIAS}`, other: `ssh://${ALIAS}${otherSocket}` };
  for (const k of ['a', 'b', 'other'] as const) {
    const r = await runProcess(DOCKER_CLI, ['context', 'create', CONTEXTS[k], '--docker', `host=${endpoints[k]}`], {
      env: home.env,
      timeoutMs: 60_000,
    });
    if (r.code !== 0) {
      throw new Error(`docker context create failed: ${r.stderr}`);
    }
  }
  const target = (k: 'a' | 'b' | 'other'): EngineTarget => ({ contextName: CONTEXTS[k], endpoint: endpoints[k] });
  return { dockerd, sshd, user, home, proxy, targets: { a: target('a'), b: target('b'), other: target('other') } };
}

async function tearDown(e: Env | undefined): Promise<void> {
  if (!e) {
    return;
  }
  await e.proxy.close();
  await e.user.remove().catch(() => undefined);
  await Promise.allSettled([e.sshd.dispose(), e.dockerd.stop()]);
  e.home.remove();
}

/** A pool built the way EngineService builds it (settings at their defaults), remembering its connections. */
function extensionPool(e: Env, resolver: ResolveCache): { pool: EnginePool; connections: SshConnection[] } {
  const connections: SshConnection[] = [];
  const passphrases = new PassphraseCache();
  const pool = new EnginePool({
    connect: async (endpoint, signal) => {
      const c = await connectForEngine(
        {
          resolve: (alias, sig) =>
            resolver.resolve(alias, () =>
              resolveHost(alias, {
                configFile: path.join(e.home.sshDir, 'config'),
                home: e.home.home,
                localUser: os.userInfo().username,
                signal: sig,
              }),
            ),
          connectOptions: (host, o) => ({
            host,
            env: e.home.env,
            home: e.home.home,
            prompts: o.prompts,
            passphrases,
            timeoutMs: 15_000,
            signal: o.signal,
          }),
          passphrases,
          keepaliveIntervalMs: 15_000,
        },
        endpoint,
        signal,
        undefined,
      );
      if ('kind' in c) {
        throw new Error('no system ssh client was configured');
      }
      connections.push(c);
      return c;
    },
    requestTimeoutMs: 30_000,
    idleTimeoutMs: 300_000,
  });
  return { pool, connections };
}

async function cli(e: Env, context: string): Promise<void> {
  const r = await runProcess(DOCKER_CLI, ['--context', context, 'info', '--format', '{{json .}}'], {
    env: e.home.env,
    timeoutMs: 120_000,
  });
  const info = r.code === 0 ? (JSON.parse(r.stdout) as { Architecture?: string }) : undefined;
  if (!info?.Architecture) {
    throw new Error(`docker info failed: ${r.stderr}`);
  }
}

async function step(e: Env, fn: () => Promise<unknown>): Promise<Sample> {
  const before = e.proxy.stats().roundTrips;
  const t = performance.now();
  await fn();
  return { ms: performance.now() - t, rt: e.proxy.stats().roundTrips - before };
}

/**
 * A cold status as the extension makes it, ending when the connection is closed. `reconnect`:
 * on a pool whose connection dropped (or was closed for idleness), as after the first one.
 */
async function coldStatus(
  e: Env,
  resolver: ResolveCache,
  reconnect = false,
  target: EngineTarget = e.targets.a,
): Promise<Sample> {
  const { pool, connections } = extensionPool(e, resolver);
  if (reconnect) {
    await pool.status(target);
    connections[0].close();
    await connections[0].closed;
  }
  const s = await step(e, async () => {
    const info = await pool.status(target);
    if (!info.architecture) {
      throw new Error('no architecture');
    }
  });
  pool.dispose();
  const t = performance.now();
  await Promise.all(connections.map((c) => c.closed));
  return { ms: s.ms + (performance.now() - t), rt: s.rt };
}

/** The SSH login alone (TCP, version strings, key exchange, the key): the handshake the goals count from. */
async function login(e: Env, resolver: ResolveCache): Promise<Sample> {
  const host = await resolver.resolve(ALIAS, () =>
    resolveHost(ALIAS, {
      configFile: path.join(e.home.sshDir, 'config'),
      home: e.home.home,
      localUser: os.userInfo().username,
    }),
  );
  let conn: SshConnection | undefined;
  const s = await step(e, async () => {
    conn = await connectSsh({ host, env: e.home.env, home: e.home.home, timeoutMs: 15_000 });
  });
  conn?.close();
  await conn?.closed;
  return s;
}

async function shimOverhead(e: Env): Promise<number> {
  const viaShim: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    await runProcess('ssh', ['-V'], { env: e.home.env, timeoutMs: 30_000 });
    viaShim.push(performance.now() - t0);
    const t1 = performance.now();
    await runProcess('/usr/bin/ssh', ['-V'], { env: e.home.env, timeoutMs: 30_000 });
    direct.push(performance.now() - t1);
  }
  return Math.max(0, median(viaShim) - median(direct));
}

async function measureAt(
  e: Env,
  rtt: number,
  reps: number,
  shimMs: number,
  log: (l: string) => void,
): Promise<RttFigures> {
  e.proxy.delayMs = rtt / 2;
  log(`rtt: ${rtt} ms, ${reps} alternating runs…`);
  const f: RttFigures = {
    rtt,
    cli: [],
    login: [],
    coldFirst: [],
    coldCached: [],
    coldNamed: [],
    warm: [],
    switchSame: [],
    switchOther: [],
    switchOtherWarm: [],
  };
  const cached = new ResolveCache();
  await cli(e, CONTEXTS.a); // warm-up of both sides (page cache, the remote CLI's first start)
  await coldStatus(e, cached, true);
  for (let i = 0; i < reps; i++) {
    const c = await step(e, () => cli(e, CONTEXTS.a));
    f.cli.push({ ms: c.ms - shimMs, rt: c.rt });
    f.login.push(await login(e, cached));
    f.coldFirst.push(await coldStatus(e, new ResolveCache()));
    f.coldCached.push(await coldStatus(e, cached, true));
    f.coldNamed.push(await coldStatus(e, new ResolveCache(), false, e.targets.other));
    const { pool } = extensionPool(e, cached);
    try {
      await pool.status(e.targets.a);
      f.warm.push(await step(e, () => pool.status(e.targets.a)));
      f.switchSame.push(await step(e, () => pool.status(e.targets.b)));
      f.switchOther.push(await step(e, () => pool.status(e.targets.other)));
      await pool.status(e.targets.a);
      f.switchOtherWarm.push(await step(e, () => pool.status(e.targets.other)));
    } finally {
      pool.dispose();
    }
  }
  return f;
}

export const rttSuite: BenchSuite = {
  id: 'rtt',
  async run(options: BenchOptions): Promise<BenchReport> {
    const reps = options.reps ?? DEFAULT_REPS;
    const load = os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    let e: Env | undefined;
    try {
      e = await setUp(options.log);
      const shimMs = await shimOverhead(e);
      const all: RttFigures[] = [];
      for (const rtt of RTTS) {
        all.push(await measureAt(e, rtt, reps, shimMs, options.log));
      }
      await tearDown(e);
      e = undefined;
      // --reps, when given, sets every part's repetitions (a quick run); otherwise each has its own default.
      const ports = await measurePorts(RTTS, options.reps ?? PORTS_REPS, options.log);
      const sync = await measureSync(RTTS, options.reps ?? SYNC_REPS, options.log);
      return report({ all, ports, sync }, shimMs, reps, load);
    } finally {
      await tearDown(e);
    }
  },
};
