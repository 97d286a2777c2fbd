/**
 * The build context the extension counts is the one Docker sends: over a fixture of tricky
 * `.dockerignore` patterns (`!` re-includes, `**`, a leading `/`, directories, `*.md` with
 * `!README.md`, an excluded folder with a re-included child, `?` and `[…]`), a real dockerd builds
 * `COPY . /ctx` with the docker CLI and the image's listing of /ctx is compared with the scan,
 * with both builders: BuildKit (what `docker build` uses today) and the legacy one.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { readIgnoreRules } from '../../src/core/buildContext/dockerignore';
import { runScanInWorker } from '../../src/core/buildContext/runScan';
import { scanContext } from '../../src/core/buildContext/scanContext';
import { BUSYBOX_IMAGE, DOCKER_CLI, importBusybox, requireRoot, startDockerd, type Dockerd } from '../support';
import { register } from '../support/cleanup';
import { rejectsWith } from '../support/rejectsWith';

const T = { timeout: 300_000 };

/**
 * The builders a test can drive here. The docker CLI 23+ needs the buildx plugin for BuildKit,
 * which Debian 12 does not package; Debian's own docker.io CLI (20.10, /usr/bin/docker, installed
 * by scripts/setup.sh) still talks to the daemon's built-in BuildKit when DOCKER_BUILDKIT=1.
 */
const BUILDERS = {
  legacy: { cli: DOCKER_CLI, buildkit: '0' },
  buildkit: { cli: '/usr/bin/docker', buildkit: '1' },
} as const;
type Builder = keyof typeof BUILDERS;
const WORKER = path.join(__dirname, '..', '..', 'src', 'core', 'buildContext', 'scanWorker.js');

let dockerd: Dockerd;
let root: string;

const IGNORE = [
  '# comments and blank lines are not patterns',
  '',
  'node_modules',
  '!node_modules/keep-me',
  '**/*.log',
  '!important.log',
  '/build',
  '*.md',
  '!README.md',
  'docs/**/draft*',
  'secret/',
  'tmp?',
  '[ab].txt',
  'dir/sub',
  '!dir/sub/child.txt',
  './dotted/../cleaned',
].join('\n');

const FILES = [
  'Dockerfile',
  'node_modules/a/index.js',
  'node_modules/keep-me',
  'node_modules/b.txt',
  'app.log',
  'src/deep/x.log',
  'important.log',
  'build/out.js',
  'src/build/keep.js',
  'README.md',
  'CHANGES.md',
  'src/notes.md',
  'docs/a/b/draft1.txt',
  'docs/a/final.txt',
  'docs/draft0.txt',
  'secret/key',
  'tmp1',
  'tmpab',
  'a.txt',
  'c.txt',
  'dir/sub/child.txt',
  'dir/sub/other.txt',
  'dir/other.txt',
  'cleaned/x',
  'with space.txt',
  '.hidden',
];

function write(dir: string, rel: string, content = rel): void {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
}

async function docker(args: string[], builder: Builder = 'legacy', input?: string): Promise<string> {
  const b = BUILDERS[builder];
  const r = await runProcess(b.cli, args, {
    env: { ...process.env, DOCKER_HOST: dockerd.host, DOCKER_BUILDKIT: b.buildkit, DOCKER_CONFIG: root },
    timeoutMs: 240_000,
    ...(input !== undefined ? { input } : {}),
  });
  assert.equal(r.code, 0, `${b.cli} ${args.join(' ')} (DOCKER_BUILDKIT=${b.buildkit}): ${r.stderr}`);
  return r.stdout;
}

/** The files (not folders) the daemon received, as COPY put them in the image. */
async function filesInImage(
  contextDir: string,
  tag: string,
  dockerfile = 'Dockerfile',
  builder: Builder = 'legacy',
): Promise<string[]> {
  await docker(['build', '-q', '-t', tag, '-f', path.join(contextDir, dockerfile), contextDir], builder);
  const out = await docker(['run', '--rm', tag, 'find', '/ctx', '!', '-type', 'd']);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\/ctx\//, ''))
    .sort();
}

/** Builds the tricky fixture in `ctx` with `builder` and compares the image's files with the scan. */
async function trickyCase(ctx: string, builder: Builder): Promise<void> {
  for (const f of FILES) {
    write(ctx, f);
  }
  write(ctx, 'Dockerfile', `FROM ${BUSYBOX_IMAGE}\nCOPY . /ctx\n`);
  write(ctx, '.dockerignore', IGNORE);
  fs.mkdirSync(path.join(ctx, 'empty-dir'));
  fs.symlinkSync('src', path.join(ctx, 'link-to-src'));
  const rules = readIgnoreRules(ctx, path.join(ctx, 'Dockerfile'));
  assert.equal(rules.file, path.join(ctx, '.dockerignore'));
  const scan = scanContext(ctx, rules.patterns, { list: true });
  const received = await filesInImage(ctx, `rdc/tricky-${builder}`, 'Dockerfile', builder);
  assert.deepEqual([...(scan.list ?? [])].sort(), received);
  // The fixture is tricky only if it excludes and re-includes something.
  assert.ok(received.includes('node_modules/keep-me') && !received.includes('node_modules/b.txt'));
  assert.ok(received.includes('dir/sub/child.txt') && !received.includes('dir/sub/other.txt'));
  assert.ok(received.includes('README.md') && !received.includes('CHANGES.md'));
  assert.equal(scan.files, received.length);
}

before(async () => {
  requireRoot('build context differential tests');
  dockerd = await startDockerd();
  await importBusybox(dockerd.socket);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-buildctx-'));
  register({ kind: 'dir', path: root });
  // Pin the BuildKit client: an old enough CLI to build without buildx, and one that has BuildKit.
  const version = (await docker(['version', '--format', '{{.Client.Version}}'], 'buildkit')).trim();
  assert.match(
    version,
    /^(19|20|2[0-2])\./,
    `${BUILDERS.buildkit.cli} is ${version}: this test needs Debian's docker.io 20.10`,
  );
});

after(async () => {
  await dockerd?.stop();
});

describe('build context: the files counted are the files the daemon receives', () => {
  for (const builder of ['legacy', 'buildkit'] as const) {
    it(`tricky .dockerignore patterns (${builder} builder)`, T, async () => {
      const ctx = path.join(root, `tricky-${builder}`);
      await trickyCase(ctx, builder);
    });
  }

  it('the worker thread gives the same answer, and a cancelled scan ends with cancelled', T, async () => {
    const ctx = path.join(root, 'tricky-legacy');
    const inWorker = await runScanInWorker(WORKER, { contextDir: ctx, list: true });
    const inline = scanContext(ctx, readIgnoreRules(ctx).patterns, { list: true });
    assert.deepEqual(inWorker.scan, inline);
    const ac = new AbortController();
    const p = runScanInWorker(WORKER, { contextDir: ctx }, ac.signal);
    ac.abort();
    await rejectsWith(p, 'cancelled');
  });
});

describe('build context: which ignore file applies', () => {
  // BuildKit reads `<Dockerfile>.dockerignore` next to the Dockerfile before `.dockerignore`, and
  // the scan follows BuildKit (what `docker build` uses today). The legacy builder reads
  // `.dockerignore` alone. Both are driven, so a change of either shows.
  for (const dockerfile of ['custom.Dockerfile', 'docker/app.Dockerfile']) {
    it(`${dockerfile}.dockerignore is what BuildKit reads; the legacy builder reads .dockerignore`, T, async () => {
      const ctx = path.join(root, `per-dockerfile-${dockerfile.replace('/', '-')}`);
      for (const f of ['a', 'b', 'c/d']) {
        write(ctx, f);
      }
      write(ctx, dockerfile, `FROM ${BUSYBOX_IMAGE}\nCOPY . /ctx\n`);
      write(ctx, '.dockerignore', 'a\n');
      write(ctx, `${dockerfile}.dockerignore`, 'b\nc\n');
      const chosen = readIgnoreRules(ctx, path.join(ctx, dockerfile));
      assert.equal(chosen.file, path.join(ctx, `${dockerfile}.dockerignore`));
      assert.deepEqual(chosen.patterns, ['b', 'c']);
      const counted = scanContext(ctx, chosen.patterns, { list: true }).list ?? [];
      assert.ok(!counted.includes('b') && !counted.includes('c/d') && counted.includes('a'));
      const tag = `rdc/per-dockerfile-${dockerfile.replace(/[/.]/g, '-').toLowerCase()}`;
      const byBuildkit = await filesInImage(ctx, `${tag}-bk`, dockerfile, 'buildkit');
      assert.deepEqual([...counted].sort(), byBuildkit);
      const legacy = scanContext(ctx, readIgnoreRules(ctx).patterns, { list: true }).list ?? [];
      const byLegacy = await filesInImage(ctx, `${tag}-legacy`, dockerfile, 'legacy');
      assert.deepEqual([...legacy].sort(), byLegacy);
    });
  }
});
