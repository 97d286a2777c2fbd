/**
 * The workspace mirror against rsync, in the same run, alternating, over the same loopback sshd
 * with the same key:
 *
 * 1. first sync of a 10,000-file, 200 MB tree (100 directories; 9,900 files of 1–19 KB and 100
 *    of about 1 MB, incompressible) into an empty remote directory: `syncFolder` on the pooled
 *    connection (connected, as the status bar keeps it) against `rsync -a -e ssh` (which pays its
 *    own SSH login each run; that cost is measured alone with `ssh ALIAS true` and reported);
 * 2. re-sync after changing one file: ours with that change against rsync's run with no change
 *    (the goal's yardstick) and rsync's run with the same change.
 *
 * The suite starts its own sshd and test user through the integration harness (root) and stops
 * them. Both copies are checked to hold every file after the first sync.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../src/core/common/exec';
import { EnginePool, type EngineTarget } from '../src/core/engine/enginePool';
import { connectSsh } from '../src/core/ssh/connection';
import { resolveHost } from '../src/core/sshConfig/resolveHost';
import { syncFolder } from '../src/core/sync/syncFolder';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  generateKey,
  knownHostsLine,
  sshHostBlock,
  startSshd,
  tempHome,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../test/support';
import { sshArgs } from '../test/support/tempHome';
import { median } from './median';
import type { BenchOptions, BenchReport, BenchSuite } from './run';

const DEFAULT_REPS = 3;
const ALIAS = 'bench-sync';
const DIRS = 100;
const FILES = 10_000;
const LARGE = 100;
const TOTAL_BYTES = 200 * 1024 * 1024;

interface Env {
  sshd: Sshd;
  user: TestUser;
  home: TempHome;
  pool: EnginePool;
  target: EngineTarget;
  local: string;
  rsyncSsh: string;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** 9,900 small files (1–19 KB) and 100 large ones filling the rest of 200 MB, mtimes an hour old. */
function makeTree(root: string): { files: number; bytes: number } {
  const small = FILES - LARGE;
  const smallSizes = Array.from({ length: small }, (_, i) => 1024 + ((i * 7919) % (18 * 1024)));
  const smallTotal = smallSizes.reduce((a, b) => a + b, 0);
  const largeSize = Math.floor((TOTAL_BYTES - smallTotal) / LARGE);
  const past = new Date(Date.now() - 3600_000);
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(root, `d${String(i % DIRS).padStart(3, '0')}`);
    fs.mkdirSync(dir, { recursive: true });
    const size = i < small ? smallSizes[i] : largeSize;
    const file = path.join(dir, `f${i}.bin`);
    fs.writeFileSync(file, randomBytes(size));
    fs.utimesSync(file, past, past);
    bytes += size;
  }
  return { files: FILES, bytes };
}

async function setUp(log: (l: string) => void): Promise<Env> {
  log('sync: starting sshd, making the tree…');
  const sshd = await startSshd();
  const user = await createUser();
  const home = tempHome('rdc-bench-sync-');
  const key = await generateKey(home.home);
  user.authorizeKey(key.publicLine);
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  addKnownHost(home.home, knownHostsLine(sshd));
  const host = await resolveHost(ALIAS, {
    configFile: path.join(home.sshDir, 'config'),
    home: home.home,
    localUser: os.userInfo().username,
  });
  const pool = new EnginePool({
    connect: (_e, signal) => connectSsh({ host, env: home.env, home: home.home, signal, timeoutMs: 30_000 }),
    requestTimeoutMs: 60_000,
    idleTimeoutMs: 600_000,
  });
  const local = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-bench-tree-'));
  const made = makeTree(local);
  log(`sync: tree of ${made.files} files, ${(made.bytes / 1024 / 1024).toFixed(0)} MiB`);
  return {
    sshd,
    user,
    home,
    pool,
    target: { contextName: 'bench-sync', endpoint: `ssh://${ALIAS}` },
    local,
    rsyncSsh: ['/usr/bin/ssh', ...sshArgs(home.home)].join(' '),
  };
}

async function tearDown(e: Env | undefined): Promise<void> {
  if (!e) {
    return;
  }
  e.pool.dispose();
  await e.user.remove().catch(() => undefined);
  await e.sshd.dispose().catch(() => undefined);
  e.home.remove();
  fs.rmSync(e.local, { recursive: true, force: true });
}

async function ours(e: Env, dir: string): Promise<void> {
  const lease = await e.pool.lease(e.target);
  try {
    await syncFolder({ client: lease.client, localRoot: e.local, remoteDir: `~/${dir}` });
  } finally {
    lease.release();
  }
}

async function rsync(e: Env, dir: string): Promise<void> {
  const r = await runProcess('rsync', ['-a', '-e', e.rsyncSsh, `${e.local}/`, `${ALIAS}:${dir}/`], {
    env: e.home.env,
    timeoutMs: 600_000,
  });
  if (r.code !== 0) {
    throw new Error(`rsync failed: ${r.stderr}`);
  }
}

async function sshTrue(e: Env): Promise<void> {
  const r = await runProcess('/usr/bin/ssh', [...sshArgs(e.home.home), ALIAS, 'true'], {
    env: e.home.env,
    timeoutMs: 60_000,
  });
  if (r.code !== 0) {
    throw new Error(`ssh failed: ${r.stderr}`);
  }
}

function countFiles(dir: string): number {
  let n = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    n += d.isDirectory() ? countFiles(path.join(dir, d.name)) : 1;
  }
  return n;
}

/** Changes one small file (new content, one byte longer): what an edit and a save do. */
function changeOneFile(e: Env, round: number): void {
  const file = path.join(e.local, 'd007', 'f7.bin');
  fs.writeFileSync(file, Buffer.concat([randomBytes(2048), Buffer.from(String(round))]));
}

interface Figures {
  first: { ours: number[]; rsync: number[] };
  resync: { ours: number[]; rsyncNoChange: number[]; rsyncChange: number[] };
  sshLogin: number[];
  /** The 1-minute load average after each measured run (other work on the machine moves every figure). */
  loads: number[];
}

async function measure(e: Env, reps: number, log: (l: string) => void): Promise<Figures> {
  const f: Figures = {
    first: { ours: [], rsync: [] },
    resync: { ours: [], rsyncNoChange: [], rsyncChange: [] },
    sshLogin: [],
    loads: [],
  };
  const sample = (): void => {
    f.loads.push(os.loadavg()[0]);
  };
  await e.pool.lease(e.target).then((l) => l.release()); // the pool's connection is up, as in the editor
  for (let i = 0; i < reps; i++) {
    const oursDir = `ours${i}`;
    const rsyncDir = `rsync${i}`;
    const order = i % 2 === 0 ? ['ours', 'rsync'] : ['rsync', 'ours'];
    for (const who of order) {
      if (who === 'ours') {
        f.first.ours.push(await timed(() => ours(e, oursDir)));
      } else {
        f.first.rsync.push(await timed(() => rsync(e, rsyncDir)));
      }
      sample();
    }
    for (const d of [oursDir, rsyncDir]) {
      const n = countFiles(path.join(e.user.home, d));
      if (n !== FILES) {
        throw new Error(`${d} holds ${n} files, not ${FILES}`);
      }
    }
    f.resync.rsyncNoChange.push(await timed(() => rsync(e, rsyncDir)));
    changeOneFile(e, i);
    for (const who of order) {
      if (who === 'ours') {
        f.resync.ours.push(await timed(() => ours(e, oursDir)));
      } else {
        f.resync.rsyncChange.push(await timed(() => rsync(e, rsyncDir)));
      }
      sample();
    }
    f.sshLogin.push(await timed(() => sshTrue(e)));
    log(
      `sync: round ${i + 1}/${reps}: first ours ${fmt(f.first.ours[i])} ms, rsync ${fmt(f.first.rsync[i])} ms; ` +
        `re-sync ours ${fmt(f.resync.ours[i])} ms, rsync no change ${fmt(f.resync.rsyncNoChange[i])} ms`,
    );
    for (const d of [oursDir, rsyncDir]) {
      fs.rmSync(path.join(e.user.home, d), { recursive: true, force: true });
    }
  }
  return f;
}

function loadRange(loads: readonly number[]): string {
  return loads.length === 0
    ? 'not sampled'
    : `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (median ${median([...loads]).toFixed(2)})`;
}

/**
 * What the profile of each stage showed (same tree, same loopback sshd), and so why the sync is
 * built as it is; measured once, by hand, stage by stage, not on every run.
 */
const WHERE_THE_TIME_GOES = [
  'Where the time went (each stage timed alone on this tree, load average 3–8):',
  '',
  '- **First sync over SFTP: 18.1 s** of which almost all was the transfer: 10,000 files × (open, write, fsetstat,',
  "  close) plus 100 × (mkdir, setstat), 64 files in flight, but OpenSSH's sftp-server answers one request at a",
  '  time. Not the link: 200 MiB through one ssh2 exec channel into `cat >/dev/null` took 0.67 s; the remote',
  '  `tar -x` of the same tree from a local file took 0.4 s. So the first sync (and any run with 32 or more new',
  '  entries, deletions or attribute changes) now sends one tar stream over one exec channel into `tar -x`, the',
  '  deletions as one `rm`, the modes and times as one `chmod`/`touch -t` per distinct value.',
  '- **Packing the tar**: reading the 9,900 small files with `fs.promises.readFile` took 1.4 s (each open, fstat,',
  "  read, close waits for libuv's four-thread pool); `readFileSync` 0.33 s. The whole pack into a sink that",
  "  discards it: 2.0–3.4 s before, 0.7–1.2 s after. Writing tar-stream's pieces (512-byte header, body, padding)",
  "  to the channel one by one made each an SSH packet of its own (padding, MAC, a socket write): the extension's",
  '  CPU for a first sync was 5.4 s (user + sys); pieces of up to 1 MiB, 2.4–2.7 s (rsync and its `ssh` together:',
  "  1.2 s). During the transfer the extension mostly waits for the channel's window: the remote `sshd` and `tar`",
  '  on the two shared cores set the pace. That side alone varies widely under load: the same 200 MiB archive into',
  "  the remote `tar -x` took 2.4–13.3 s through ssh2 and 5.3–9.5 s through OpenSSH's `ssh` in one series.",
  '- **No-change re-sync: 0.74–0.84 s before**, bounded by the local walk (timed alone: 0.95–1.2 s, one',
  '  `fs.promises.lstat` per entry); a synchronous walk a directory at a time takes 0.12–0.19 s.',
  '  The remote listing (one GNU `find -printf`, concurrent with the walk) takes 0.15–0.19 s, an exec round trip',
  '  0.03 s, opening SFTP 0.03 s (concurrent too), the plan 0.05–0.07 s; no file was hashed (hashing runs only',
  '  when sizes agree and mtimes do not, or in the second of the last write). After: 0.33–0.41 s.',
];

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

function report(f: Figures, reps: number, rsyncVersion: string): BenchReport {
  const m = {
    firstOurs: median(f.first.ours),
    firstRsync: median(f.first.rsync),
    reOurs: median(f.resync.ours),
    reRsyncNo: median(f.resync.rsyncNoChange),
    reRsyncChange: median(f.resync.rsyncChange),
    login: median(f.sshLogin),
  };
  const rows: [string, number, number, string][] = [
    ['first sync, 10,000 files / 200 MiB: ours', m.firstOurs, Math.min(...f.first.ours), ''],
    ['first sync: rsync -a -e ssh', m.firstRsync, Math.min(...f.first.rsync), ''],
    ['ratio ours / rsync (goal ≤ 1.5)', m.firstOurs / m.firstRsync, NaN, 'ratio'],
    ['re-sync, one file changed: ours', m.reOurs, Math.min(...f.resync.ours), ''],
    ['re-sync, no change: rsync', m.reRsyncNo, Math.min(...f.resync.rsyncNoChange), ''],
    ['re-sync, one file changed: rsync', m.reRsyncChange, Math.min(...f.resync.rsyncChange), ''],
    ['ratio ours (one change) / rsync (no change) (goal ≤ 1.5)', m.reOurs / m.reRsyncNo, NaN, 'ratio'],
    ['ssh ALIAS true (the login rsync pays each run)', m.login, Math.min(...f.sshLogin), ''],
  ];
  const cell = (v: number, kind: string): string =>
    Number.isNaN(v) ? '' : kind === 'ratio' ? `${v.toFixed(2)}×` : `${fmt(v)} ms`;
  const text = [
    `sync (${reps} rounds, ${rsyncVersion}, load average ${loadAverage()})`,
    ...rows.map(
      ([name, med, min, kind]) =>
        `  ${name.padEnd(62)} ${cell(med, kind).padStart(10)} ${cell(min, kind).padStart(10)}`,
    ),
  ].join('\n');
  const markdown = [
    '## Workspace sync against rsync',
    '',
    `Medians of ${reps} rounds on loopback, same sshd and key (\`${rsyncVersion}\`), alternating; ours on the pooled`,
    'SSH connection (already connected, as the status bar keeps it), rsync with its own `ssh` login each run.',
    '',
    `Load (1-minute average, as \`uptime\` shows it) after each measured run: ${loadRange(f.loads)}; when the rounds`,
    `ended: ${loadAverage()} (this machine's cores: ${os.cpus().length}). With other work running the rounds spread`,
    'widely, so the minimums are shown too.',
    '',
    '| case | median | min |',
    '|---|---:|---:|',
    ...rows.map(([name, med, min, kind]) => `| ${name} | ${cell(med, kind)} | ${cell(min, kind)} |`),
    '',
    ...WHERE_THE_TIME_GOES,
  ].join('\n');
  return { text, markdown };
}

export const syncSuite: BenchSuite = {
  id: 'sync',
  async run(o: BenchOptions): Promise<BenchReport> {
    const reps = o.reps ?? DEFAULT_REPS;
    let e: Env | undefined;
    try {
      e = await setUp(o.log);
      const version =
        (await runProcess('rsync', ['--version'], { timeoutMs: 10_000 })).stdout.split('\n')[0] ?? 'rsync';
      const figures = await measure(e, reps, o.log);
      return report(
        figures,
        reps,
        version
          .replace(/\s+protocol.*$/, '')
          .replace(/\s+/g, ' ')
          .trim(),
      );
    } finally {
      await tearDown(e);
    }
  },
};

/** For the rtt suite (rttSync.ts): the same servers, tree and steps, through a delaying proxy. */
export {
  ALIAS as SYNC_ALIAS,
  setUp as setUpSync,
  tearDown as tearDownSync,
  ours as oursSync,
  rsync as rsyncSync,
  changeOneFile,
  type Env as SyncEnv,
};
