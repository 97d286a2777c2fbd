/**
 * The build-context measurement against the floor and the tools, in the same run:
 *
 * 1. the scan of a 100,000-file tree with a `.dockerignore` (in-process, and through the worker
 *    thread the extension uses) against the I/O floor: a bare recursive walk that lstats every
 *    entry — goal ≤ 2×;
 * 2. the same scan against what the docker CLI takes to send that context to a local daemon
 *    (`docker build` of a trivial Dockerfile to the test dockerd) — reported as a ratio;
 * 3. the upload estimate (a probe of the link on the pooled SSH connection) against the real
 *    `docker --context X build` of a 50 MB context over ssh:// to the test sshd — goal ±30%.
 *
 * Starts its own dockerd, sshd and test user through the integration harness (needs root).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../src/core/common/exec';
import { estimateUploadSeconds, probeLinkSpeed, type LinkSpeed } from '../src/core/buildContext/linkThroughput';
import { runScanInWorker } from '../src/core/buildContext/runScan';
import { scanContext, walkAll } from '../src/core/buildContext/scanContext';
import { EnginePool } from '../src/core/engine/enginePool';
import { connectSsh } from '../src/core/ssh/connection';
import { resolveHost } from '../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  BUSYBOX_IMAGE,
  createUser,
  DOCKER_CLI,
  generateKey,
  importBusybox,
  knownHostsLine,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
} from '../test/support';
import { median } from './median';
import type { BenchOptions, BenchReport, BenchSuite } from './run';

const FILES = 100_000;
const PER_DIR = 125;
const EXCLUDED_SHARE = 0.1;
const UPLOAD_MB = 50;
const WORKER = path.join(__dirname, '..', 'src', 'core', 'buildContext', 'scanWorker.js');
const IGNORE = ['node_modules', '**/*.log', '!keep.log', '/build', '*.md', '!README.md'].join('\n');
const DOCKERFILE = `FROM ${BUSYBOX_IMAGE}\n`;

async function timed(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function makeTree(root: string): void {
  const excluded = Math.round(FILES * EXCLUDED_SHARE);
  let n = 0;
  for (let d = 0; n < FILES; d++) {
    const inModules = n < excluded;
    const dir = inModules ? path.join(root, 'node_modules', `pkg${d}`) : path.join(root, 'src', `m${d % 40}`, `d${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_DIR && n < FILES; i++, n++) {
      fs.writeFileSync(path.join(dir, i % 25 === 0 ? `f${i}.log` : `f${i}.ts`), `export const x${i} = ${n};\n`);
    }
  }
  fs.writeFileSync(path.join(root, '.dockerignore'), IGNORE);
  fs.writeFileSync(path.join(root, 'README.md'), 'readme\n');
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

async function dockerBuild(env: NodeJS.ProcessEnv, args: string[], ctx: string): Promise<void> {
  const r = await runProcess(DOCKER_CLI, [...args, 'build', '-q', '-f', '-', ctx], {
    env: { ...env, DOCKER_BUILDKIT: '0' },
    input: DOCKERFILE,
    timeoutMs: 900_000,
  });
  if (r.code !== 0) {
    throw new Error(`docker build failed: ${r.stderr}`);
  }
}

interface ScanFigures {
  floor: number;
  scan: number;
  worker: number;
  cli: number;
  files: number;
  sent: number;
}

export async function scanPart(reps: number, log: (l: string) => void): Promise<ScanFigures> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-bench-ctx-'));
  const dockerd = await startDockerd();
  try {
    log(`buildContext: writing ${FILES} files…`);
    makeTree(root);
    await importBusybox(dockerd.socket);
    const patterns = IGNORE.split('\n');
    const floor: number[] = [];
    const scan: number[] = [];
    const worker: number[] = [];
    let files = 0;
    let sent = 0;
    walkAll(root); // warm the cache for both
    for (let i = 0; i < reps; i++) {
      floor.push(await timed(() => walkAll(root)));
      scan.push(await timed(() => (sent = scanContext(root, patterns).files)));
      worker.push(await timed(() => runScanInWorker(WORKER, { contextDir: root })));
    }
    files = walkAll(root);
    log('buildContext: docker build of the same context to a local daemon…');
    const env = { ...process.env, DOCKER_HOST: dockerd.host, DOCKER_CONFIG: root };
    const cli: number[] = [];
    for (let i = 0; i < Math.min(reps, 2); i++) {
      cli.push(await timed(() => dockerBuild(env, [], root)));
    }
    return { floor: median(floor), scan: median(scan), worker: median(worker), cli: median(cli), files, sent };
  } finally {
    await dockerd.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

interface UploadFigures {
  estimate: number;
  real: number;
  /** The same build with a one-file context: the CLI's fixed cost. */
  fixed: number;
  link: LinkSpeed;
  tarBytes: number;
}

export async function uploadPart(reps: number, log: (l: string) => void): Promise<UploadFigures> {
  const [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
  const user = await createUser({ docker: true, dockerHost: dockerd.host });
  const home = tempHome('rdc-bench-home-');
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-bench-up-'));
  try {
    await importBusybox(dockerd.socket);
    const key = await generateKey(home.home);
    user.authorizeKey(key.publicLine);
    appendSshConfig(
      home.home,
      sshHostBlock({ alias: 'bench-up', port: sshd.port, user: user.name, identityFile: key.privateKey }),
    );
    addKnownHost(home.home, knownHostsLine(sshd));
    const endpoint = `ssh://bench-up${dockerd.socket}`;
    const c = await runProcess(DOCKER_CLI, ['context', 'create', 'bench-up', '--docker', `host=${endpoint}`], {
      env: home.env,
      timeoutMs: 60_000,
    });
    if (c.code !== 0) {
      throw new Error(`docker context create failed: ${c.stderr}`);
    }
    // Random bytes: the link carries them as they are (nothing compresses the context on the way).
    for (let i = 0; i < UPLOAD_MB; i++) {
      fs.writeFileSync(path.join(ctx, `blob${i}`), crypto.randomBytes(1024 * 1024));
    }
    const host = await resolveHost('bench-up', {
      configFile: path.join(home.sshDir, 'config'),
      home: home.home,
      localUser: os.userInfo().username,
    });
    const pool = new EnginePool({
      connect: (_e, signal) => connectSsh({ host, env: home.env, home: home.home, signal, timeoutMs: 30_000 }),
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 600_000,
    });
    let link: LinkSpeed;
    const tarBytes = scanContext(ctx, []).tarBytes;
    try {
      const lease = await pool.lease({ contextName: 'bench-up', endpoint });
      try {
        link = await probeLinkSpeed(lease.client, { timeoutMs: 60_000 });
      } finally {
        lease.release();
      }
    } finally {
      pool.dispose();
    }
    log(`buildContext: docker --context bench-up build of ${UPLOAD_MB} MB…`);
    const tiny = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-bench-tiny-'));
    fs.writeFileSync(path.join(tiny, 'one'), 'x');
    const real: number[] = [];
    const fixed: number[] = [];
    try {
      for (let i = 0; i < reps; i++) {
        real.push(await timed(() => dockerBuild(home.env, ['--context', 'bench-up'], ctx)));
        fixed.push(await timed(() => dockerBuild(home.env, ['--context', 'bench-up'], tiny)));
      }
    } finally {
      fs.rmSync(tiny, { recursive: true, force: true });
    }
    return {
      estimate: estimateUploadSeconds(tarBytes, link) * 1000,
      real: median(real),
      fixed: median(fixed),
      link,
      tarBytes,
    };
  } finally {
    await user.remove().catch(() => undefined);
    await Promise.allSettled([sshd.dispose(), dockerd.stop()]);
    home.remove();
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

export const buildContextSuite: BenchSuite = {
  id: 'buildContext',
  async run(o: BenchOptions): Promise<BenchReport> {
    const reps = o.reps ?? 5;
    const s = await scanPart(reps, o.log);
    const u = await uploadPart(Math.min(reps, 3), o.log);
    const err = (u.estimate - u.real) / u.real;
    const rows: [string, string, string][] = [
      [`bare walk lstat-ing every entry (${s.files} entries): the floor`, fmt(s.floor), '1.00×'],
      [`scan with .dockerignore, in-process (${s.sent} files kept)`, fmt(s.scan), `${(s.scan / s.floor).toFixed(2)}×`],
      [
        'scan through the worker thread (as the extension runs it)',
        fmt(s.worker),
        `${(s.worker / s.floor).toFixed(2)}×`,
      ],
      ['`docker build` sending that context to a local daemon', fmt(s.cli), `${(s.cli / s.floor).toFixed(2)}×`],
    ];
    const table = rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
    const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
    const markdown = `## Build context

${reps} alternating runs, medians, warm page cache, 2 shared cores.

| ${FILES.toLocaleString('en')}-file tree | ms | vs floor |
|---|---|---|
${table}

The scan through the worker takes ${(s.worker / s.floor).toFixed(2)}× the floor (goal ≤ 2×) and ${((s.worker / s.cli) * 100).toFixed(1)}% of the time the CLI takes to send the same context to a local daemon (${(s.cli / s.worker).toFixed(0)}× faster).

Upload estimate for a ${UPLOAD_MB} MB context (${mb(u.tarBytes)} MB of tar) over ssh:// to the test sshd on loopback: probe ${mb(u.link.bytesPerSecond)} MB/s, round trip ${u.link.roundTripMs.toFixed(1)} ms → estimate ${fmt(u.estimate)} ms; \`docker --context X build\` took ${fmt(u.real)} ms (median of ${Math.min(reps, 3)}). Error ${(err * 100).toFixed(0)}% (goal within ±30%). The same build with a one-file context took ${fmt(u.fixed)} ms: the CLI's fixed cost, which the estimate counts as 8 probe round trips (${fmt(8 * u.link.roundTripMs)} ms).

What the probe cannot see on loopback: here the link is not the bottleneck but the two shared cores are — the CLI reading and tarring the files, \`ssh\` and \`sshd\` encrypting, dockerd unpacking — so the error moves with the machine's load (the probe's rate and the build's time are taken minutes apart). On a real network link the transfer dominates both.
`;
    const text = [
      ...rows.map((r) => r.join('  ')),
      `estimate ${fmt(u.estimate)} ms vs real ${fmt(u.real)} ms: ${(err * 100).toFixed(0)}%`,
    ].join('\n');
    return { text, markdown };
  },
};
