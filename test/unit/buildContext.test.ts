/**
 * The build-context pieces that need no daemon: which ignore file applies, the pattern added by
 * "Add to .dockerignore" (every byte before it kept), a Dockerfile's first instruction, the scan's
 * sizes and largest entries, dd's summary and the upload estimate.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  appendIgnorePattern,
  firstInstructionLine,
  ignoreFileFor,
  patternFor,
  readIgnoreRules,
} from '../../src/core/buildContext/dockerignore';
import { ddSeconds, estimateUploadSeconds } from '../../src/core/buildContext/linkThroughput';
import { scanContext } from '../../src/core/buildContext/scanContext';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-buildctx-');

async function write(dir: string, rel: string, content: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
  await fs.writeFile(path.join(dir, rel), content);
}

test('the ignore file: <Dockerfile>.dockerignore first, then .dockerignore, else none', async () => {
  const dir = await tempDir();
  const df = path.join(dir, 'api.Dockerfile');
  assert.equal(ignoreFileFor(dir, df), undefined);
  assert.deepEqual(readIgnoreRules(dir, df), { patterns: [] });
  await write(dir, '.dockerignore', '# c\n\n  node_modules  \r\n!x\n');
  assert.deepEqual(readIgnoreRules(dir, df), {
    file: path.join(dir, '.dockerignore'),
    patterns: ['node_modules', '!x'],
  });
  await write(dir, 'api.Dockerfile.dockerignore', 'dist\n');
  assert.equal(ignoreFileFor(dir, df), `${df}.dockerignore`);
});

test('Add to .dockerignore appends one line, keeps every byte before it, and adds nothing twice', async () => {
  const dir = await tempDir();
  const f = path.join(dir, '.dockerignore');
  assert.equal(await appendIgnorePattern(f, '/node_modules'), true);
  assert.equal(await fs.readFile(f, 'utf8'), '/node_modules\n');
  await fs.writeFile(f, '# keep me\r\n*.log');
  assert.equal(await appendIgnorePattern(f, '/dist'), true);
  assert.equal(await fs.readFile(f, 'utf8'), '# keep me\r\n*.log\r\n/dist\r\n');
  assert.equal(await appendIgnorePattern(f, '/dist'), false);
  assert.equal(patternFor('a*b[1]'), '/a\\*b\\[1]');
});

test("a Dockerfile's first instruction: after blank lines, comments and parser directives", () => {
  assert.equal(firstInstructionLine('# syntax=docker/dockerfile:1\n\n# base\nFROM node:20\nRUN x\n'), 3);
  assert.equal(firstInstructionLine('FROM a'), 0);
  assert.equal(firstInstructionLine('# only\n\n'), -1);
});

test('the scan: files, bytes, tar size, largest top-level entries; excluded folders not counted', async () => {
  const dir = await tempDir();
  await write(dir, 'node_modules/big/a.bin', Buffer.alloc(5000));
  await write(dir, 'src/a.ts', Buffer.alloc(700));
  await write(dir, 'src/b.ts', Buffer.alloc(100));
  await write(dir, 'README.md', Buffer.alloc(10));
  await fs.symlink('src', path.join(dir, 'link'));
  const all = scanContext(dir, []);
  assert.equal(all.files, 5);
  assert.equal(all.bytes, 5810);
  assert.deepEqual(
    all.largest.map((e) => [e.path, e.bytes, e.files, e.directory]),
    [
      ['node_modules', 5000, 1, true],
      ['src', 800, 2, true],
      ['README.md', 10, 1, false],
      ['link', 0, 1, false],
    ],
  );
  // Two end blocks; a header per entry; file contents padded to 512 bytes.
  const dirs = 3; // node_modules, node_modules/big, src
  assert.equal(all.tarBytes, 1024 + 512 * (5 + dirs) + 5120 + 1024 + 512 + 512);
  const kept = scanContext(dir, ['node_modules', '*.md'], { list: true });
  assert.deepEqual(kept.list?.sort(), ['link', 'src/a.ts', 'src/b.ts']);
  assert.equal(kept.bytes, 800);
});

test("dd's summary (coreutils, busybox, a comma locale) and the estimate", () => {
  assert.equal(
    ddSeconds('64+0 records in\n64+0 records out\n4194304 bytes (4.2 MB, 4.0 MiB) copied, 0.0123 s, 341 MB/s\n'),
    0.0123,
  );
  assert.equal(ddSeconds('4194304 bytes (4.0MB) copied, 0.512345 seconds, 7.8MB/s'), 0.512345);
  assert.equal(ddSeconds('4194304 bytes copied, 0,25 s, 16 MB/s'), 0.25);
  assert.ok(Number.isNaN(ddSeconds('dd: not found')));
  const link = { bytesPerSecond: 10_000_000, fixedMs: 400, via: 'ssh2' as const, at: 0 };
  assert.equal(estimateUploadSeconds(100_000_000, link), 10 + 0.4);
});
