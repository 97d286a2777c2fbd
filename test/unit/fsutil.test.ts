import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic, readFileIfExists } from '../../src/core/common/fsutil';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-fsutil-');

test('writeFileAtomic creates a file with the requested mode and leaves no temp file', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'a.json');
  await writeFileAtomic(file, 'x', { mode: 0o600 });
  assert.equal(await fs.readFile(file, 'utf8'), 'x');
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await fs.readdir(dir), ['a.json']);
});

test('writeFileAtomic keeps the mode of an existing file unless forced', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'a');
  await fs.writeFile(file, 'old', { mode: 0o640 });
  await fs.chmod(file, 0o640);
  await writeFileAtomic(file, 'new', { mode: 0o600 });
  assert.equal((await fs.stat(file)).mode & 0o777, 0o640);
  await writeFileAtomic(file, 'newer', { mode: 0o600, forceMode: true });
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  assert.equal(await fs.readFile(file, 'utf8'), 'newer');
});

test('writeFileAtomic follows a symlink so the link survives', async () => {
  const dir = await tempDir();
  const real = path.join(dir, 'real');
  const link = path.join(dir, 'link');
  await fs.writeFile(real, 'old');
  await fs.symlink(real, link);
  await writeFileAtomic(link, 'new');
  assert.ok((await fs.lstat(link)).isSymbolicLink());
  assert.equal(await fs.readFile(real, 'utf8'), 'new');
});

test('writeFileAtomic with exclusive never replaces an existing file', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'key');
  await fs.writeFile(file, 'precious');
  await assert.rejects(writeFileAtomic(file, 'other', { exclusive: true }), { code: 'EEXIST' });
  assert.equal(await fs.readFile(file, 'utf8'), 'precious');
  assert.deepEqual(await fs.readdir(dir), ['key']);
});

test('readFileIfExists returns undefined only for a missing file', async () => {
  const dir = await tempDir();
  assert.equal(await readFileIfExists(path.join(dir, 'nope')), undefined);
  await assert.rejects(readFileIfExists(dir), { code: 'EISDIR' });
});
