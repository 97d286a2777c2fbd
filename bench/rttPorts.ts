/**
 * The rtt suite's ports rows: the forwarder (src/core/ports, channels of the pooled ssh2
 * connection) and OpenSSH's `ssh -N -L` reach the same busybox httpd container through the same
 * delaying proxy, capped at 50 Mbit/s per direction, at each RTT (a new proxy, SSH alias,
 * forwarder and `ssh -L` per RTT: the proxy's delay applies to connections made after it is set).
 *
 * - first byte through a new forwarded connection: a new TCP connection to the local port, a
 *   GET sent at once, the first byte of the answer (ms and the round trips the proxy counted),
 *   alternating between the two forwards;
 * - a 50 MB download by curl (a process of its own), alternating.
 *
 * The servers, the container and the clients are the ports suite's (portsSetup.ts).
 */
import type { ChildProcess } from 'node:child_process';
import type { PortForwarder, PortsSubject } from '../src/core/ports/portForwarder';
import type { EngineTarget } from '../src/core/engine/enginePool';
import { startDelayProxy, type DelayProxy } from '../test/support/delayProxy';
import { addKnownHost, appendSshConfig, freePort, knownHostsLine, sshHostBlock } from '../test/support';
import { startPortsRemote, type PortsRemote } from '../test/integration/portsFixture';
import { median } from './median';
import { curlMBps, firstByte, forwarderFor, startBigHttpd, startSshL, untilServing } from './portsSetup';
import type { Sample } from './rttReport';

export const PORTS_CAP_BPS = 50_000_000;
export const PORTS_MB = 50;
const DOWNLOAD_REPS = 2;

export interface PortsRttFigures {
  rtt: number;
  ours: Sample[];
  ssh: Sample[];
  oursMBps: number[];
  sshMBps: number[];
}

/** The sample of one first-byte step: the proxy's round trips until the channel's close exchange is over. */
async function counted(proxy: DelayProxy, rtt: number, fn: () => Promise<number>): Promise<Sample> {
  const before = proxy.stats().roundTrips;
  const ms = await fn();
  await new Promise((res) => setTimeout(res, rtt)); // the channel's CLOSE crosses the link before the next step
  return { ms, rt: proxy.stats().roundTrips - before };
}

async function atRtt(
  r: PortsRemote,
  container: { id: string; port: number },
  rtt: number,
  reps: number,
  log: (l: string) => void,
): Promise<PortsRttFigures> {
  const f: PortsRttFigures = { rtt, ours: [], ssh: [], oursMBps: [], sshMBps: [] };
  const proxy = await startDelayProxy({ targetPort: r.sshd.port, delayMs: rtt / 2, bitsPerSecond: PORTS_CAP_BPS });
  const alias = `ports-rtt${rtt}`;
  appendSshConfig(r.home.home, sshHostBlock({ alias, port: proxy.port, user: r.user.name, identityFile: r.keyFile }));
  addKnownHost(r.home.home, knownHostsLine({ port: proxy.port, hostKeyPub: r.sshd.hostKeyPub }));
  const target: EngineTarget = { contextName: alias, endpoint: `ssh://${alias}${r.dockerd.socket}` };
  const subject: PortsSubject = {
    name: alias,
    lease: (signal) => r.pool.lease(target, signal),
    docker: (signal) => r.pool.docker(target, signal),
  };
  let fw: PortForwarder | undefined;
  let ssh: ChildProcess | undefined;
  try {
    log(`rtt ports: ${rtt} ms, forwarder and ssh -L through the proxy…`);
    fw = await forwarderFor(subject, container.id, container.port);
    const q = await freePort();
    ssh = await startSshL(r, alias, q, '127.0.0.2', container.port);
    await untilServing([container.port, q]);
    const p = container.port;
    for (let i = 0; i < reps; i++) {
      const order = i % 2 === 0 ? [p, q] : [q, p];
      for (const port of order) {
        (port === p ? f.ours : f.ssh).push(await counted(proxy, rtt, () => firstByte(port)));
      }
    }
    log(`rtt ports: ${rtt} ms, ${PORTS_MB} MB at ${PORTS_CAP_BPS / 1e6} Mbit/s ×${DOWNLOAD_REPS}, alternating…`);
    for (let i = 0; i < DOWNLOAD_REPS; i++) {
      f.oursMBps.push(await curlMBps(p, PORTS_MB));
      f.sshMBps.push(await curlMBps(q, PORTS_MB));
    }
  } finally {
    ssh?.kill();
    fw?.dispose();
    r.pool.close(target.endpoint);
    await proxy.close();
  }
  return f;
}

export async function measurePorts(rtts: number[], reps: number, log: (l: string) => void): Promise<PortsRttFigures[]> {
  log('rtt ports: starting dockerd, sshd and a test user…');
  const r = await startPortsRemote();
  try {
    const container = await startBigHttpd(r, PORTS_MB);
    try {
      const all: PortsRttFigures[] = [];
      for (const rtt of rtts) {
        all.push(await atRtt(r, container, rtt, reps, log));
      }
      return all;
    } finally {
      await r.docker(['--context', 'ports-a', 'rm', '-f', container.id]);
    }
  } finally {
    await r.dispose();
  }
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const rts = (xs: Sample[]): string => {
  const v = [...new Set(xs.map((x) => x.rt))].sort((a, b) => a - b);
  return v.length === 1 ? String(v[0]) : `${v[0]}–${v[v.length - 1]}`;
};
const med = (xs: Sample[]): number => median(xs.map((x) => x.ms));

/** Table rows (step, RTT, ours, ssh -L, ratio, goal, verdict) and the "N round trips, M ms at RTT r" lines. */
export function portsRows(all: PortsRttFigures[]): { rows: string[][]; lines: string[] } {
  const rows: string[][] = [];
  const lines: string[] = [];
  for (const f of all) {
    const fb = med(f.ours) / med(f.ssh);
    rows.push([
      'first byte, new forwarded connection',
      String(f.rtt),
      `${rts(f.ours)} round trips, ${fmt(med(f.ours))} ms`,
      `${rts(f.ssh)} round trips, ${fmt(med(f.ssh))} ms`,
      `${fb.toFixed(2)}×`,
      '≤ 1.1×',
      fb <= 1.1 ? 'met' : 'NOT met',
    ]);
    const dl = median(f.oursMBps) / median(f.sshMBps);
    rows.push([
      `${PORTS_MB} MB download at ${PORTS_CAP_BPS / 1e6} Mbit/s`,
      String(f.rtt),
      `${fmt(median(f.oursMBps))} MB/s (${f.oursMBps.map(fmt).join(', ')})`,
      `${fmt(median(f.sshMBps))} MB/s (${f.sshMBps.map(fmt).join(', ')})`,
      `${dl.toFixed(2)}×`,
      '≥ 0.9×',
      dl >= 0.9 ? 'met' : 'NOT met',
    ]);
    lines.push(
      `first byte through the forwarder: ${rts(f.ours)} round trips, ${fmt(med(f.ours))} ms at RTT ${f.rtt}`,
      `first byte through ssh -N -L: ${rts(f.ssh)} round trips, ${fmt(med(f.ssh))} ms at RTT ${f.rtt}`,
    );
  }
  return { rows, lines };
}
