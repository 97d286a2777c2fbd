/**
 * The engine pool against the real tools, in the same run, alternating:
 *
 * 1. cold: new pool + new SSH connection (connectSsh) + HEAD /_ping, /info, /version, until
 *    OS/arch are known — against `docker --context X info --format '{{json .}}'`;
 * 2. warm: `status()` (HEAD /_ping over the pooled connection + cached OS/arch) against the same
 *    CLI command;
 * 3. 20 sequential API calls through a new pool against dockerode's own `protocol: 'ssh'`
 *    (same key, a hostVerifier), with the SSH logins each one cost counted in sshd's log.
 *
 * Also: the ACK nudge (stall fix 2) on and off, in the pool and on the close-delimited exchange
 * where sshd's Nagle stall shows. The suite starts its own dockerd, sshd and test user through the
 * integration harness (so it needs root) and stops them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { createAckNudger } from '../src/core/engine/engineAckNudge';
import { EnginePool, type EngineTarget } from '../src/core/engine/enginePool';
import { runProcess } from '../src/core/common/exec';
import { connectSsh, type SshConnection } from '../src/core/ssh/connection';
import { ResolveCache } from '../src/core/sshConfig/resolveCache';
import { resolveHost, type EffectiveHost } from '../src/core/sshConfig/resolveHost';
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
import type { BenchOptions, BenchReport, BenchSuite } from './run';

const DOCKER_CLI = process.env.RDC_BENCH_DOCKER ?? 'docker';
const DEFAULT_REPS = 15;
const WARMUP = 2;
const WARM_CALLS = 100;
const SEQ_CALLS = 20;
const SEQ_REPS = 5;
const CONTEXT = 'bench-remote';
const ALIAS = 'bench-engine';

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface Env {
  dockerd: Dockerd;
  sshd: Sshd;
  user: TestUser;
  home: TempHome;
  host: EffectiveHost;
  key: string;
  target: EngineTarget;
}

async function setUp(log: (l: string) => void): Promise<Env> {
  log('engine: starting dockerd and sshd…');
  const [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
  // DOCKER_HOST in ~/.ssh/environment serves dockerode's dial-stdio (it cannot name a socket path).
  const user = await createUser({ docker: true, dockerHost: dockerd.host });
  const home = tempHome('rdc-bench-home-');
  const key = await generateKey(home.home);
  user.authorizeKey(key.publicLine);
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  addKnownHost(home.home, knownHostsLine(sshd));
  const endpoint = `ssh://${ALIAS}${dockerd.socket}`;
  const r = await runProcess(DOCKER_CLI, ['context', 'create', CONTEXT, '--docker', `host=${endpoint}`], {
    env: home.env,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) {
    throw new Error(`docker context create failed: ${r.stderr}`);
  }
  const host = await resolveHost(ALIAS, {
    configFile: path.join(home.sshDir, 'config'),
    home: home.home,
    localUser: os.userInfo().username,
  });
  return { dockerd, sshd, user, home, host, key: key.privateKey, target: { contextName: CONTEXT, endpoint } };
}

async function tearDown(e: Env | undefined): Promise<void> {
  if (!e) {
    return;
  }
  await e.user.remove().catch(() => undefined);
  await Promise.allSettled([e.sshd.dispose(), e.dockerd.stop()]);
  e.home.remove();
}

function resolveAlias(e: Env): Promise<EffectiveHost> {
  return resolveHost(ALIAS, {
    configFile: path.join(e.home.sshDir, 'config'),
    home: e.home.home,
    localUser: os.userInfo().username,
  });
}

/**
 * A pool that connects as the extension does: the host resolved on every connect (`ssh -G`, or
 * the answer the SSH configuration's watch keeps when `resolver` is given), then connectSsh.
 * `connections` collects what it made, so a cold run can end when they are closed.
 */
function pool(
  e: Env,
  ackNudge: boolean,
  o: { resolver?: ResolveCache; connections?: SshConnection[] } = {},
): EnginePool {
  return new EnginePool({
    connect: async (_endpoint, signal) => {
      const host = o.resolver ? await o.resolver.resolve(ALIAS, () => resolveAlias(e)) : await resolveAlias(e);
      const c = await connectSsh({ host, env: e.home.env, home: e.home.home, signal, timeoutMs: 30_000 });
      o.connections?.push(c);
      return c;
    },
    requestTimeoutMs: 60_000,
    idleTimeoutMs: 600_000,
    ackNudge,
  });
}

async function cli(e: Env): Promise<void> {
  const r = await runProcess(DOCKER_CLI, ['--context', CONTEXT, 'info', '--format', '{{json .}}'], {
    env: e.home.env,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) {
    throw new Error(`docker info failed: ${r.stderr}`);
  }
  const info = JSON.parse(r.stdout) as { Architecture?: string };
  if (!info.Architecture) {
    throw new Error('docker info gave no Architecture');
  }
}

/**
 * A cold status as the extension makes it: a new pool (the extension's first connect of a
 * session, or after a drop), the host resolved, the connection, HEAD /_ping + /info + /version
 * at once; the time ends when our connection is closed, as the CLI's ends with its process.
 */
async function cold(e: Env, ackNudge: boolean, resolver?: ResolveCache): Promise<void> {
  const connections: SshConnection[] = [];
  const p = pool(e, ackNudge, { resolver, connections });
  try {
    const info = await p.status(e.target);
    if (!info.architecture) {
      throw new Error('no architecture');
    }
  } finally {
    p.dispose();
    await Promise.all(connections.map((c) => c.closed));
  }
}

const SEQUENCE: ((d: Dockerode) => Promise<unknown>)[] = [
  (d) => d.ping(),
  (d) => d.version(),
  (d) => d.info(),
  (d) => d.listContainers({ all: true }),
  (d) => d.listImages(),
];

async function twentyOurs(e: Env): Promise<void> {
  const p = pool(e, true);
  try {
    const d = await p.docker(e.target);
    for (let i = 0; i < SEQ_CALLS; i++) {
      await SEQUENCE[i % SEQUENCE.length](d);
    }
  } finally {
    p.dispose();
  }
}

async function twentyModemSsh(e: Env): Promise<void> {
  const expected = Buffer.from(e.sshd.hostKeyPub.split(' ')[1] ?? '', 'base64');
  const d = new Dockerode({
    protocol: 'ssh',
    host: '127.0.0.1',
    port: e.sshd.port,
    username: e.user.name,
    sshOptions: {
      privateKey: fs.readFileSync(e.key),
      hostVerifier: (key: Buffer) => key.equals(expected),
    },
  });
  for (let i = 0; i < SEQ_CALLS; i++) {
    await SEQUENCE[i % SEQUENCE.length](d);
  }
}

/**
 * The stall itself: a request whose answer ends with the channel's close (HTTP/1.0), as
 * docker-modem's and the CLI's one-shot connections do. sshd holds the small EOF/CLOSE packets
 * behind the unacknowledged data until the client's delayed ACK; the nudge releases them.
 */
async function closeDelimited(conn: SshConnection, socket: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    conn.client.openssh_forwardOutStreamLocal(socket, (err, ch) => {
      if (err) {
        reject(err);
        return;
      }
      ch.on('data', () => undefined);
      ch.on('close', () => resolve());
      ch.end('GET /_ping HTTP/1.0\r\n\r\n');
    });
  });
}

/** sshd may log a login a moment after the client finished: wait (briefly) for the count expected. */
async function settledLogins(sshd: Sshd, expected: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let n = await sshd.acceptedLogins();
  while (n < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    n = await sshd.acceptedLogins();
  }
  return n;
}

async function shimOverhead(e: Env): Promise<number> {
  const viaShim: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < 7; i++) {
    viaShim.push(await timed(() => runProcess('ssh', ['-V'], { env: e.home.env, timeoutMs: 30_000 })));
    direct.push(await timed(() => runProcess('/usr/bin/ssh', ['-V'], { env: e.home.env, timeoutMs: 30_000 })));
  }
  return median(viaShim) - median(direct);
}

interface Figures {
  reps: number;
  cliMs: number[];
  coldMs: number[];
  coldNoNudgeMs: number[];
  coldResolveMs: number[];
  warmMs: number[];
  warmNoNudgeMs: number[];
  oursSeqMs: number[];
  modemSeqMs: number[];
  oursLogins: number[];
  modemLogins: number[];
  closeNudgeMs: number[];
  closeNoNudgeMs: number[];
  shimMs: number;
  cliVersion: string;
  sshdVersion: string;
  load: string;
}

async function measure(e: Env, reps: number, log: (l: string) => void): Promise<Figures> {
  const f: Figures = {
    reps,
    cliMs: [],
    coldMs: [],
    coldNoNudgeMs: [],
    coldResolveMs: [],
    warmMs: [],
    warmNoNudgeMs: [],
    oursSeqMs: [],
    modemSeqMs: [],
    oursLogins: [],
    modemLogins: [],
    closeNudgeMs: [],
    closeNoNudgeMs: [],
    shimMs: 0,
    cliVersion: '',
    sshdVersion: '',
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
  // The CLI runs ssh through the test home's shim; its own cost is measured first and subtracted.
  f.shimMs = await shimOverhead(e);
  const cached = new ResolveCache();
  for (let i = 0; i < WARMUP; i++) {
    await cli(e);
    await cold(e, true, cached);
  }
  log(`engine: cold, warm and CLI, ${reps} alternating runs (${WARM_CALLS} warm calls in all)…`);
  const warmOn = pool(e, true);
  const warmOff = pool(e, false);
  try {
    await warmOn.status(e.target);
    await warmOff.status(e.target);
    for (let i = 0; i < reps; i++) {
      f.cliMs.push((await timed(() => cli(e))) - f.shimMs);
      f.coldMs.push(await timed(() => cold(e, true)));
      f.coldNoNudgeMs.push(await timed(() => cold(e, false)));
      f.coldResolveMs.push(await timed(() => cold(e, true, cached)));
      for (let j = 0; j < Math.ceil(WARM_CALLS / reps); j++) {
        f.warmMs.push(await timed(() => warmOn.status(e.target)));
        f.warmNoNudgeMs.push(await timed(() => warmOff.status(e.target)));
      }
    }
  } finally {
    warmOn.dispose();
    warmOff.dispose();
  }

  log(`engine: ${SEQ_CALLS} sequential calls, pool vs dockerode protocol 'ssh', ${SEQ_REPS} runs…`);
  for (let i = 0; i < SEQ_REPS; i++) {
    let before = await e.sshd.acceptedLogins();
    f.oursSeqMs.push(await timed(() => twentyOurs(e)));
    f.oursLogins.push((await e.sshd.acceptedLogins()) - before);
    before = await e.sshd.acceptedLogins();
    f.modemSeqMs.push(await timed(() => twentyModemSsh(e)));
    f.modemLogins.push((await settledLogins(e.sshd, before + SEQ_CALLS)) - before);
  }

  log('engine: the stall on close-delimited answers, nudge on/off…');
  // Two connections: the nudge watches a whole connection once it is set up.
  const withNudge = await connectSsh({ host: e.host, env: e.home.env, home: e.home.home, timeoutMs: 30_000 });
  const without = await connectSsh({ host: e.host, env: e.home.env, home: e.home.home, timeoutMs: 30_000 });
  try {
    createAckNudger(withNudge.client);
    await closeDelimited(withNudge, e.dockerd.socket);
    await closeDelimited(without, e.dockerd.socket);
    for (let i = 0; i < reps; i++) {
      f.closeNudgeMs.push(await timed(() => closeDelimited(withNudge, e.dockerd.socket)));
      f.closeNoNudgeMs.push(await timed(() => closeDelimited(without, e.dockerd.socket)));
    }
  } finally {
    withNudge.close();
    without.close();
  }

  f.cliVersion = (
    await runProcess(DOCKER_CLI, ['version', '--format', '{{.Client.Version}}'], { env: e.home.env, timeoutMs: 60_000 })
  ).stdout.trim();
  f.sshdVersion =
    /OpenSSH_[^\s,]+/.exec((await runProcess('/usr/sbin/sshd', ['-V'], { timeoutMs: 30_000 })).stderr)?.[0] ?? 'sshd';
  return f;
}

function report(f: Figures): BenchReport {
  const cliMed = median(f.cliMs);
  const row = (what: string, ms: number[], vs: number, goal: string, met: boolean | undefined): string[] => [
    what,
    `${fmt(median(ms))} (${fmt(Math.min(...ms))})`,
    `${fmt(vs)}`,
    `${(median(ms) / vs).toFixed(3)}×`,
    goal,
    met === undefined ? '' : met ? 'met' : 'NOT met',
  ];
  const coldRatio = median(f.coldMs) / cliMed;
  const warmRatio = median(f.warmMs) / cliMed;
  const seqSpeedup = median(f.modemSeqMs) / median(f.oursSeqMs);
  const header = ['case', 'ours median (min) ms', 'compared with, median ms', 'ours / other', 'goal', ''];
  const rows = [
    row(
      '1. cold, as shipped: ssh -G, SSH connection, OS/arch, connection closed (vs docker --context X info)',
      f.coldMs,
      cliMed,
      '≤ 0.25×',
      coldRatio <= 0.25,
    ),
    row('1b. cold, ACK nudge off', f.coldNoNudgeMs, cliMed, '', undefined),
    row('1c. cold reconnect: ssh -G answered from the cache', f.coldResolveMs, cliMed, '', undefined),
    row(
      '2. warm status() over the pooled connection (vs docker --context X info)',
      f.warmMs,
      cliMed,
      '≤ 0.02×',
      warmRatio <= 0.02,
    ),
    row('2b. warm status(), ACK nudge off', f.warmNoNudgeMs, cliMed, '', undefined),
    row(
      `3. ${SEQ_CALLS} sequential calls, new pool (vs dockerode protocol 'ssh')`,
      f.oursSeqMs,
      median(f.modemSeqMs),
      '≥ 5× faster',
      seqSpeedup >= 5,
    ),
    row(
      '4. close-delimited answer on one channel, ACK nudge on (vs off)',
      f.closeNudgeMs,
      median(f.closeNoNudgeMs),
      '',
      undefined,
    ),
  ];
  const logins = `SSH logins per ${SEQ_CALLS} calls (sshd log): pool ${f.oursLogins.join(', ')}; dockerode ssh ${f.modemLogins.join(', ')}.`;
  const speed = `Case 3: the pool is ${seqSpeedup.toFixed(1)}× faster (medians ${fmt(median(f.oursSeqMs))} vs ${fmt(median(f.modemSeqMs))} ms).`;
  const env = `docker CLI ${f.cliVersion}, ${f.sshdVersion}, Node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, load average at start ${f.load}`;
  const shim = `The CLI runs ssh through the test home's shim (a private mount namespace so OpenSSH reads the temp home); its cost, ${fmt(f.shimMs)} ms per run measured in the same run, is subtracted from every CLI figure.`;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const textRow = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const text = [
    `Engine API over SSH: the pool vs the docker CLI and dockerode (${f.reps} alternating cold runs, ${WARM_CALLS} warm calls, ${SEQ_REPS} runs of ${SEQ_CALLS} calls)`,
    textRow(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(textRow),
    logins,
    speed,
    shim,
    env,
  ].join('\n');
  const markdown = [
    '## Engine API over SSH',
    '',
    `Everything measured in the same run on loopback against a private dockerd behind a real sshd, alternating the cases. ` +
      `**Cold** = what the extension does on a first connect: a new EnginePool, the host resolved with \`ssh -G\`, a new SSH ` +
      `connection (TCP, key exchange, ed25519 key), \`status()\` until OS/arch are known ` +
      `(HEAD /_ping, /info and /version at once), and the connection closed, against \`docker --context ${CONTEXT} info --format '{{json .}}'\` ` +
      `(the whole CLI process: it spawns ssh, which runs \`docker system dial-stdio\` on the remote, minus the test shim's cost); ${f.reps} runs each. ` +
      `1c is a reconnect, with \`ssh -G\`'s answer kept by the cache that the SSH configuration's watch invalidates. ` +
      `**Warm** = \`status()\` on a pool that is already connected (HEAD /_ping + cached OS/arch), ${WARM_CALLS} calls spread over the same alternating runs. ` +
      `**20 calls** = a new pool, then ping/version/info/containers/images in turn through its dockerode, against ` +
      `dockerode's own \`protocol: 'ssh'\` with the same key and a hostVerifier; logins counted from sshd's log. ` +
      `**ACK nudge** = stall fix 2 (see src/core/engine/engineAckNudge.ts); case 4 is a request whose answer ends with ` +
      `the channel's close, where sshd's Nagle stall shows.`,
    '',
    '| ' + header.join(' | ') + ' |',
    '|---|---:|---:|---:|---|---|',
    ...rows.map((r) => '| ' + r.join(' | ') + ' |'),
    '',
    logins,
    speed,
    shim,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)}: ${env}.`,
  ].join('\n');
  return { text, markdown };
}

export const engineSuite: BenchSuite = {
  id: 'engine',
  async run(options: BenchOptions): Promise<BenchReport> {
    const reps = options.reps ?? DEFAULT_REPS;
    let e: Env | undefined;
    try {
      e = await setUp(options.log);
      return report(await measure(e, reps, options.log));
    } finally {
      await tearDown(e);
    }
  },
};
