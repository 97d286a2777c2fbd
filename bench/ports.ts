/**
 * The ports forwarder against OpenSSH's `ssh -N -L` on the same loopback, in the same run:
 *
 * 1. a 256 MB download through the forward (MB/s; goal ≥ 0.8× ssh -L);
 * 2. 1,000 sequential small HTTP requests, each on a new connection (median; goal ≤ 1.2× ssh -L),
 *    alternating in blocks between the two forwards;
 * 3. from `docker run -d -p` returning to the first successful request through the local port
 *    (median; goal ≤ 1 s);
 * 4. this process's heap, RSS and open fds after 10 forwarded connections and after 10,000.
 *
 * Both forwards reach the same container through the same sshd: the forwarder through the
 * pooled ssh2 connection, `ssh -L` through its own connection. The suite starts its own dockerd,
 * sshd and test user through the integration harness (so it needs root) and stops them.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { runProcess } from '../src/core/common/exec';
import type { PortForwarder } from '../src/core/ports/portForwarder';
import { freePort } from '../test/support';
import { runHttpd, startPortsRemote, waitSnapshot, type PortsRemote } from '../test/integration/portsFixture';
import { median } from './median';
import { curlMBps, forwarderFor, get, startBigHttpd, startSshL, untilServing } from './portsSetup';
import type { BenchOptions, BenchReport, BenchSuite } from './run';

const BIG_MB = 256;
const DOWNLOAD_REPS = 3;
const SMALL_REQUESTS = 1_000;
const BLOCK = 50;
const RUN_REPS = 10;
const MANY = 10_000;
const MANY_PARALLEL = 4;

interface Figures {
  oursMBps: number[];
  sshMBps: number[];
  oursMs: number[];
  sshMs: number[];
  runToFirstMs: number[];
  after10: Usage;
  afterMany: Usage;
  load: string;
  sshdVersion: string;
}

interface Usage {
  heapMB: number;
  rssMB: number;
  fds: number;
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function collectGarbage(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function usage(gc: () => void): Usage {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / 1e6, rssMB: m.rss / 1e6, fds: fs.readdirSync('/proc/self/fd').length };
}

async function runToFirst(r: PortsRemote, fw: PortForwarder): Promise<number> {
  const p = await freePort();
  const id = await runHttpd(r, 'hello', [`127.0.0.2:${p}:8080`]);
  const t0 = performance.now();
  try {
    for (;;) {
      try {
        await get(p, '/', 5_000);
        return performance.now() - t0;
      } catch {
        if (performance.now() - t0 > 30_000) {
          throw new Error(`port ${p} never answered`);
        }
        await new Promise((res) => setTimeout(res, 5));
      }
    }
  } finally {
    await r.docker(['--context', 'ports-a', 'rm', '-f', id]);
    await waitSnapshot(fw, (s) => !s.rows.some((x) => x.container.id === id), 'the row went');
  }
}

/** Cases 1 and 2: the forwarder on port p, ssh -L on port q, to the same container. */
async function againstSshL(p: number, q: number, f: Figures, log: (l: string) => void): Promise<void> {
  await untilServing([p, q]); // the 256 MB file is written after the container starts
  log(`ports: ${BIG_MB} MB download ×${DOWNLOAD_REPS}, alternating…`);
  for (let i = 0; i < DOWNLOAD_REPS; i++) {
    f.oursMBps.push(await curlMBps(p, BIG_MB));
    f.sshMBps.push(await curlMBps(q, BIG_MB));
  }
  log(`ports: ${SMALL_REQUESTS} small requests on new connections each, in blocks of ${BLOCK}…`);
  for (let i = 0; i < SMALL_REQUESTS; i += BLOCK) {
    for (let j = 0; j < BLOCK; j++) {
      f.oursMs.push((await get(p))[0]);
    }
    for (let j = 0; j < BLOCK; j++) {
      f.sshMs.push((await get(q))[0]);
    }
  }
}

/** Case 4: usage after 10 connections through port p, then after MANY (MANY_PARALLEL at a time). */
async function memoryAfterMany(p: number, fw: PortForwarder, f: Figures): Promise<void> {
  const gc = collectGarbage();
  for (let i = 0; i < 10; i++) {
    await get(p);
  }
  f.after10 = usage(gc);
  let left = MANY - 10;
  await Promise.all(
    Array.from({ length: MANY_PARALLEL }, async () => {
      while (left-- > 0) {
        await get(p);
      }
    }),
  );
  await waitSnapshot(fw, (s) => s.rows.every((x) => x.connections.open === 0), 'every connection closed');
  f.afterMany = usage(gc);
}

async function measure(r: PortsRemote, log: (l: string) => void): Promise<Figures> {
  const f: Figures = {
    ...{ oursMBps: [], sshMBps: [], oursMs: [], sshMs: [], runToFirstMs: [] },
    after10: { heapMB: 0, rssMB: 0, fds: 0 },
    afterMany: { heapMB: 0, rssMB: 0, fds: 0 },
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    sshdVersion:
      /OpenSSH_[^\s,]+/.exec((await runProcess('/usr/sbin/sshd', ['-V'], { timeoutMs: 30_000 })).stderr)?.[0] ?? 'sshd',
  };
  const { id, port: p } = await startBigHttpd(r, BIG_MB);
  let ssh: ChildProcess | undefined;
  let fw: PortForwarder | undefined;
  try {
    fw = await forwarderFor(r.subject('ports-a'), id, p);
    const q = await freePort();
    ssh = await startSshL(r, 'ports-a', q, '127.0.0.2', p);
    await againstSshL(p, q, f, log);
    ssh.kill();
    ssh = undefined;
    log(`ports: docker run -d -p → first answer here, ×${RUN_REPS}…`);
    for (let i = 0; i < RUN_REPS; i++) {
      f.runToFirstMs.push(await runToFirst(r, fw));
    }
    log(`ports: memory and fds after 10 and ${MANY} connections…`);
    await memoryAfterMany(p, fw, f);
  } finally {
    ssh?.kill();
    fw?.dispose();
    await r.docker(['--context', 'ports-a', 'rm', '-f', id]);
  }
  return f;
}

/** Said in the results when the run shared the machine with more work than it has CPUs. */
function loadNote(load: string): string {
  const first = Number(load.split(' ')[0]);
  return first > os.cpus().length
    ? ` The machine was loaded (other work running, load above its ${os.cpus().length} CPUs): absolute times and ` +
        'throughputs are lower than on an idle machine; both sides ran under the same load, so the ratios are the figures to read.'
    : '';
}

function report(f: Figures): BenchReport {
  const tput = median(f.oursMBps) / median(f.sshMBps);
  const lat = median(f.oursMs) / median(f.sshMs);
  const run = median(f.runToFirstMs);
  const rows: string[][] = [
    [
      `1. ${BIG_MB} MB download (MB/s, ${DOWNLOAD_REPS} runs)`,
      `${fmt(median(f.oursMBps))} (${f.oursMBps.map(fmt).join(', ')})`,
      `${fmt(median(f.sshMBps))} (${f.sshMBps.map(fmt).join(', ')})`,
      `${tput.toFixed(2)}×`,
      '≥ 0.8×',
      tput >= 0.8 ? 'met' : 'NOT met',
    ],
    [
      `2. ${SMALL_REQUESTS} small requests, new connection each (ms)`,
      `${fmt(median(f.oursMs))} (min ${fmt(Math.min(...f.oursMs))})`,
      `${fmt(median(f.sshMs))} (min ${fmt(Math.min(...f.sshMs))})`,
      `${lat.toFixed(2)}×`,
      '≤ 1.2×',
      lat <= 1.2 ? 'met' : 'NOT met',
    ],
    [
      `3. docker run -d -p returned → first answer here (ms, ${RUN_REPS} runs)`,
      `${fmt(run)} (min ${fmt(Math.min(...f.runToFirstMs))}, max ${fmt(Math.max(...f.runToFirstMs))})`,
      '',
      '',
      '≤ 1000 ms',
      run <= 1000 ? 'met' : 'NOT met',
    ],
  ];
  const header = ['case', 'forwarder', 'ssh -N -L', 'ratio', 'goal', ''];
  const mem = (u: Usage): string => `heap ${fmt(u.heapMB)} MB, RSS ${fmt(u.rssMB)} MB, ${u.fds} fds`;
  const memLine =
    `4. After 10 forwarded connections: ${mem(f.after10)}; after ${MANY}: ${mem(f.afterMany)} ` +
    `(heap ${f.afterMany.heapMB - f.after10.heapMB >= 0 ? '+' : ''}${fmt(f.afterMany.heapMB - f.after10.heapMB)} MB, ` +
    `fds ${f.afterMany.fds - f.after10.fds >= 0 ? '+' : ''}${f.afterMany.fds - f.after10.fds}; heap after two full GCs).`;
  const env = `${f.sshdVersion}, Node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, load average at start ${f.load}`;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const textRow = (r: string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const text = [
    'Forwarded ports: the forwarder vs ssh -N -L (same sshd, same container, same run)',
    textRow(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(textRow),
    memLine,
    env,
  ].join('\n');
  const markdown = [
    '## Forwarded ports',
    '',
    "The forwarder (`src/core/ports`) against OpenSSH's `ssh -N -L 127.0.0.1:Q:127.0.0.2:P` to the same busybox " +
      '`httpd` container on a private dockerd behind a real sshd, on loopback, in the same run. The forwarder rides ' +
      'the pooled ssh2 connection (one `direct-tcpip` channel per connection); `ssh -L` has its own connection. ' +
      `Downloads alternate, by curl in a process of its own (as a browser would be); the ${SMALL_REQUESTS} small requests (a 6-byte page, each on a new TCP connection) ` +
      `alternate in blocks of ${BLOCK}. Case 3 starts a container with \`docker --context X run -d -p\` (the docker ` +
      'CLI over its own ssh) and times from the CLI returning to the first answer through the local port, polling ' +
      "every 5 ms (it includes the container's own start of httpd). Case 4: this process, after two full GCs.",
    '',
    '| ' + header.join(' | ') + ' |',
    '|---|---:|---:|---:|---|---|',
    ...rows.map((r) => '| ' + r.join(' | ') + ' |'),
    '',
    memLine,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)}: ${env}.` + loadNote(f.load),
  ].join('\n');
  return { text, markdown };
}

export const portsSuite: BenchSuite = {
  id: 'ports',
  async run(o: BenchOptions): Promise<BenchReport> {
    o.log('ports: starting dockerd, sshd and a test user…');
    const r = await startPortsRemote();
    try {
      return report(await measure(r, o.log));
    } finally {
      await r.dispose();
    }
  },
};
