/**
 * Listing contexts: this project's core (`ContextStore.list()`) against
 * `docker context ls --format json`, on the same temp DOCKER_CONFIG, in the same run,
 * alternating the two so that machine load hits both alike. Every measured `list()` is a new
 * store reading every file again; the CLI time is the whole command, as a caller of it pays.
 */
import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextStore } from '../src/core/contexts/contextStore';
import { runProcess } from '../src/core/common/exec';
import { median } from './median';
import type { BenchOptions, BenchReport, BenchSuite } from './run';

const DOCKER_CLI = process.env.RDC_BENCH_DOCKER ?? 'docker';
const SIZES = [1, 100, 1000];
const DEFAULT_REPS = 15;
const WARMUP = 3;
const GOAL = 20;

interface Row {
  contexts: number;
  oursMs: number[];
  cliMs: number[];
  floorMs: number[];
}

/**
 * The I/O floor of any faithful listing: the system calls alone (a stat per directory to see
 * whether it has subdirectories, then reading meta.json), no parsing, no sorting. It shows how
 * much of `ours` is file-system cost that no implementation can avoid.
 */
function ioFloor(metaDir: string): number {
  let bytes = 0;
  for (const d of fsSync.readdirSync(metaDir, { withFileTypes: true })) {
    const dir = metaDir + path.sep + d.name;
    fsSync.statSync(dir);
    bytes += fsSync.readFileSync(dir + path.sep + 'meta.json').length;
  }
  return bytes;
}

function fmt(ms: number): string {
  return ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

async function populate(configDir: string, n: number): Promise<void> {
  const store = new ContextStore({ configDir, env: {} });
  for (let i = 1; i <= n; i++) {
    await store.create({
      name: `bench-${i}`,
      endpoint: `ssh://deploy@host-${i}.example:22`,
      description: `bench context ${i}`,
    });
  }
}

async function measureSize(n: number, reps: number, log: (l: string) => void): Promise<Row> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdc-bench-contexts-'));
  try {
    const configDir = path.join(base, 'docker-config');
    const home = path.join(base, 'home');
    await fs.mkdir(home, { recursive: true });
    await fs.mkdir(configDir, { recursive: true });
    log(`contexts: creating ${n} context(s)…`);
    await populate(configDir, n);
    const cliEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, DOCKER_CONFIG: configDir };
    const ours = async (): Promise<string[]> =>
      (await new ContextStore({ configDir, env: {} }).list()).map((c) => c.name);
    const cli = async (): Promise<string[]> => {
      const r = await runProcess(DOCKER_CLI, ['context', 'ls', '--format', 'json'], {
        env: cliEnv,
        timeoutMs: 120_000,
      });
      if (r.code !== 0) {
        throw new Error(`docker context ls failed: ${r.stderr}`);
      }
      return r.stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => (JSON.parse(l) as { Name: string }).Name);
    };
    // Both must list the same thing, or the comparison means nothing.
    const [a, b] = [await ours(), await cli()];
    if (a.length !== n + 1 || JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error(`listings differ for ${n} contexts: ours ${a.length}, CLI ${b.length}`);
    }
    for (let i = 0; i < WARMUP; i++) {
      await ours();
      await cli();
    }
    const row: Row = { contexts: n, oursMs: [], cliMs: [], floorMs: [] };
    const metaDir = path.join(configDir, 'contexts', 'meta');
    for (let i = 0; i < reps; i++) {
      let t = performance.now();
      await ours();
      row.oursMs.push(performance.now() - t);
      t = performance.now();
      await cli();
      row.cliMs.push(performance.now() - t);
      t = performance.now();
      ioFloor(metaDir);
      row.floorMs.push(performance.now() - t);
    }
    log(
      `contexts: ${n}: ours ${fmt(median(row.oursMs))} ms, CLI ${fmt(median(row.cliMs))} ms, I/O floor ${fmt(median(row.floorMs))} ms`,
    );
    return row;
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
}

async function cliVersion(): Promise<string> {
  const r = await runProcess(DOCKER_CLI, ['version', '--format', '{{.Client.Version}}'], {
    env: { PATH: process.env.PATH, HOME: os.tmpdir() },
    timeoutMs: 60_000,
  });
  return r.stdout.trim() || 'unknown';
}

export const contextsSuite: BenchSuite = {
  id: 'contexts',
  async run(options: BenchOptions): Promise<BenchReport> {
    const reps = options.reps ?? DEFAULT_REPS;
    const load = os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const rows: Row[] = [];
    for (const n of SIZES) {
      rows.push(await measureSize(n, reps, options.log));
    }
    const env = `docker CLI ${await cliVersion()}, Node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, load average at start ${load}`;
    const lines = rows.map((r) => {
      const o = median(r.oursMs);
      const c = median(r.cliMs);
      const ratio = c / o;
      const f = median(r.floorMs);
      return { n: r.contexts, o, c, f, ratio, oMin: Math.min(...r.oursMs), cMin: Math.min(...r.cliMs) };
    });
    const header = [
      'contexts',
      'ours median (min) ms',
      'docker CLI median (min) ms',
      'CLI / ours',
      `goal ≥ ${GOAL}×`,
      'I/O floor ms',
      'CLI / floor',
    ];
    const cells = lines.map((l) => [
      String(l.n),
      `${fmt(l.o)} (${fmt(l.oMin)})`,
      `${fmt(l.c)} (${fmt(l.cMin)})`,
      `${l.ratio.toFixed(1)}×`,
      l.ratio >= GOAL ? 'met' : 'NOT met',
      fmt(l.f),
      `${(l.c / l.f).toFixed(1)}×`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const textRow = (r: string[]): string =>
      r.map((c, i) => (i === 0 ? c.padStart(widths[i]) : c.padStart(widths[i]))).join('  ');
    const title = `List contexts: ContextStore.list() vs \`docker context ls --format json\` (median of ${reps} alternating runs)`;
    const text = [title, textRow(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(textRow), env].join(
      '\n',
    );
    const markdown = [
      '## List contexts',
      '',
      `\`ContextStore.list()\` against \`docker context ls --format json\` on the same temp \`DOCKER_CONFIG\`, ` +
        `${reps} measured runs of each, alternating, after ${WARMUP} warm-up runs; every run reads every file again. ` +
        'The CLI figure is the whole command (process start included), which is what calling it costs. ' +
        '"I/O floor" is the bare system calls any faithful listing must make (a stat per directory, for the ' +
        'recursive walk, and reading each meta.json), with no parsing: CLI / floor is the best ratio any ' +
        'implementation could reach on this machine.',
      '',
      '| ' + header.join(' | ') + ' |',
      '|' + header.map((_, i) => (i === 0 ? '---:' : '---:')).join('|') + '|',
      ...cells.map((c) => '| ' + c.join(' | ') + ' |'),
      '',
      `Measured ${new Date().toISOString().slice(0, 10)}: ${env}.`,
    ].join('\n');
    return { text, markdown };
  },
};
