/**
 * The rtt suite's sync row: a one-file re-sync of the sync suite's 10,000-file tree by
 * `syncFolder` on a pooled ssh2 connection (connected, as the status bar keeps it) against
 * rsync's run with no change (`rsync -a -e ssh`, its own login each run), both through the same
 * delaying proxy at each RTT (rsync's ssh reaches it by `-o Port=`, which outranks the SSH
 * configuration's Port). rsync's run with the same change is shown too. The first sync of both
 * copies goes over loopback: only the re-sync is measured here. Servers, tree and steps are the
 * sync suite's (sync.ts).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { EnginePool, type EngineTarget } from '../src/core/engine/enginePool';
import { connectSsh } from '../src/core/ssh/connection';
import { resolveHost } from '../src/core/sshConfig/resolveHost';
import { startDelayProxy, type DelayProxy } from '../test/support/delayProxy';
import { addKnownHost, knownHostsLine } from '../test/support';
import { median } from './median';
import type { Sample } from './rttReport';
import { changeOneFile, oursSync, rsyncSync, setUpSync, SYNC_ALIAS, tearDownSync, type SyncEnv } from './sync';

export interface SyncRttFigures {
  rtt: number;
  ours: Sample[];
  rsyncNoChange: Sample[];
  rsyncChange: Sample[];
}

async function counted(proxy: DelayProxy, fn: () => Promise<unknown>): Promise<Sample> {
  const before = proxy.stats().roundTrips;
  const t = performance.now();
  await fn();
  return { ms: performance.now() - t, rt: proxy.stats().roundTrips - before };
}

/** The sync suite's environment with its pool and rsync's ssh going through the proxy. */
async function throughProxy(e: SyncEnv, proxy: DelayProxy): Promise<SyncEnv> {
  addKnownHost(e.home.home, knownHostsLine({ port: proxy.port, hostKeyPub: e.sshd.hostKeyPub }));
  const host = await resolveHost(SYNC_ALIAS, {
    configFile: path.join(e.home.sshDir, 'config'),
    home: e.home.home,
    localUser: os.userInfo().username,
  });
  const slowHost = { ...host, port: proxy.port };
  const pool = new EnginePool({
    connect: (_e, signal) =>
      connectSsh({ host: slowHost, env: e.home.env, home: e.home.home, signal, timeoutMs: 60_000 }),
    requestTimeoutMs: 600_000,
    idleTimeoutMs: 600_000,
  });
  const target: EngineTarget = { contextName: 'bench-sync-slow', endpoint: `ssh://${SYNC_ALIAS}` };
  return { ...e, pool, target, rsyncSsh: `${e.rsyncSsh} -o Port=${proxy.port}` };
}

async function atRtt(e: SyncEnv, rtt: number, reps: number, log: (l: string) => void): Promise<SyncRttFigures> {
  const f: SyncRttFigures = { rtt, ours: [], rsyncNoChange: [], rsyncChange: [] };
  const proxy = await startDelayProxy({ targetPort: e.sshd.port, delayMs: rtt / 2 });
  const slow = await throughProxy(e, proxy);
  try {
    await slow.pool.lease(slow.target).then((l) => l.release()); // connected, as in the editor
    await oursSync(slow, 'ours'); // warm-up (no change)
    for (let i = 0; i < reps; i++) {
      f.rsyncNoChange.push(await counted(proxy, () => rsyncSync(slow, 'rsync')));
      changeOneFile(e, rtt * 100 + i);
      const order = i % 2 === 0 ? ['ours', 'rsync'] : ['rsync', 'ours'];
      for (const who of order) {
        if (who === 'ours') {
          f.ours.push(await counted(proxy, () => oursSync(slow, 'ours')));
        } else {
          f.rsyncChange.push(await counted(proxy, () => rsyncSync(slow, 'rsync')));
        }
      }
      log(
        `rtt sync: ${rtt} ms, round ${i + 1}/${reps}: ours ${f.ours[i].ms.toFixed(0)} ms (${f.ours[i].rt} round trips), ` +
          `rsync no change ${f.rsyncNoChange[i].ms.toFixed(0)} ms (${f.rsyncNoChange[i].rt})`,
      );
    }
  } finally {
    slow.pool.dispose();
    await proxy.close();
  }
  return f;
}

export async function measureSync(rtts: number[], reps: number, log: (l: string) => void): Promise<SyncRttFigures[]> {
  let e: SyncEnv | undefined;
  try {
    e = await setUpSync(log);
    log('rtt sync: first sync of both copies over loopback…');
    await oursSync(e, 'ours');
    await rsyncSync(e, 'rsync');
    const all: SyncRttFigures[] = [];
    for (const rtt of rtts) {
      all.push(await atRtt(e, rtt, reps, log));
    }
    return all;
  } finally {
    await tearDownSync(e);
  }
}

const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const rts = (xs: Sample[]): string => {
  const v = [...new Set(xs.map((x) => x.rt))].sort((a, b) => a - b);
  return v.length === 1 ? String(v[0]) : `${v[0]}–${v[v.length - 1]}`;
};
const med = (xs: Sample[]): number => median(xs.map((x) => x.ms));

/** Table rows (step, RTT, ours, rsync, ratio, goal, verdict) and the "N round trips, M ms at RTT r" lines. */
export function syncRows(all: SyncRttFigures[]): { rows: string[][]; lines: string[] } {
  const rows: string[][] = [];
  const lines: string[] = [];
  for (const f of all) {
    const ratio = med(f.ours) / med(f.rsyncNoChange);
    rows.push([
      're-sync of one changed file, 10,000-file tree',
      String(f.rtt),
      `${rts(f.ours)} round trips, ${fmt(med(f.ours))} ms`,
      `no change: ${rts(f.rsyncNoChange)} round trips, ${fmt(med(f.rsyncNoChange))} ms; ` +
        `same change: ${rts(f.rsyncChange)}, ${fmt(med(f.rsyncChange))} ms`,
      `${ratio.toFixed(2)}×`,
      '≤ 1.5× rsync, no change',
      ratio <= 1.5 ? 'met' : 'NOT met',
    ]);
    lines.push(
      `one-file re-sync: ${rts(f.ours)} round trips, ${fmt(med(f.ours))} ms at RTT ${f.rtt}`,
      `rsync, no change: ${rts(f.rsyncNoChange)} round trips, ${fmt(med(f.rsyncNoChange))} ms at RTT ${f.rtt}`,
    );
  }
  return { rows, lines };
}
