/**
 * The batched sync's pure parts (which entries a tar stream may carry, which deletions cover the
 * rest, the remote commands), and the listing command run by a real shell against GNU find and
 * busybox's find, whose missing -printf must be reported as such, not as an empty mirror.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { CoreError } from '../../src/core/common/errors';
import { attributeCommands, topmostDeletes, touchStamp } from '../../src/core/sync/remoteBatch';
import { NO_PRINTF, findCommand, parseFindOutput } from '../../src/core/sync/remoteTree';
import { tarEntries, worthBatching } from '../../src/core/sync/syncBatched';
import { planSync } from '../../src/core/sync/syncPlan';
import type { TreeEntry } from '../../src/core/sync/syncTypes';
import { TAR_MAX_FILE, checkTarEntries, tarExtractCommand } from '../../src/core/sync/tarUpload';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-syncbatch-unit-');

const file = (p: string, size = 1, mtime = 10): TreeEntry => ({ path: p, type: 'file', mode: 0o644, size, mtime });
const dir = (p: string): TreeEntry => ({ path: p, type: 'dir', mode: 0o755, size: 0, mtime: 1 });
const link = (p: string, target: string): TreeEntry => ({
  path: p,
  type: 'symlink',
  mode: 0o777,
  size: 0,
  mtime: 1,
  target,
});
const outside = (e: unknown): boolean => CoreError.is(e, 'syncPathOutside');

test('a tar stream carries only plain relative names, never one below a symlink of the same stream', () => {
  checkTarEntries([dir('a'), file('a/b'), link('a/l', '../../etc'), file('a/l2'), file('.hidden'), file('x..y')]);
  for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', './a', 'a/.', '', 'a\0b']) {
    assert.throws(() => checkTarEntries([file(bad)]), outside, JSON.stringify(bad));
  }
  assert.throws(() => checkTarEntries([link('l', '/etc'), file('l/passwd')]), outside);
  assert.throws(() => checkTarEntries([link('a/l', '/etc'), dir('a/l/x'), file('a/l/x/y')]), outside);
});

test('the tar stream takes new directories, files and symlinks; replacements and huge files stay on SFTP', () => {
  const remote = [file('old', 1, 5), { ...file('changed', 1, 5), ctime: 6 }];
  const local = [dir('d'), file('d/new', 3), link('d/l', 'new'), file('changed', 2), file('huge', TAR_MAX_FILE + 1)];
  const plan = planSync(local, remote);
  assert.deepEqual(
    tarEntries(plan).map((e) => e.path),
    ['d', 'd/l', 'd/new'],
  );
  assert.equal(worthBatching(plan, 3), true);
  assert.equal(worthBatching(plan, 4), false);
  assert.equal(worthBatching(planSync([], [file('a'), file('b'), file('c'), file('d')]), 4), true, 'deletions alone');
});

test('deletions are sent as their topmost paths: removing those removes the rest', () => {
  const plan = planSync(
    [file('keep')],
    [dir('gone'), file('gone/a'), dir('gone/sub'), file('gone/sub/b'), file('x'), file('keep')],
  );
  assert.deepEqual(topmostDeletes(plan.deletes), ['gone', 'x']);
});

test('the extract command runs in the quoted mirror directory; a relative one is refused', () => {
  assert.equal(tarExtractCommand("/home/u/it's here"), `cd '/home/u/it'\\''s here' && exec tar -xpof -`);
  assert.throws(() => tarExtractCommand('relative/dir'), outside);
});

test('the listing command lists with GNU find and reports a find without -printf (busybox) by its exit status', async () => {
  const root = await tempDir();
  await fs.mkdir(path.join(root, 'm/sub'), { recursive: true });
  await fs.writeFile(path.join(root, 'm/sub/a b'), 'abc');
  await fs.symlink('../x', path.join(root, 'm/l'));
  const gnu = await runProcess('sh', ['-c', findCommand('m')], { cwd: root, timeoutMs: 30_000 });
  assert.equal(gnu.code, 0, gnu.stderr);
  assert.deepEqual(
    parseFindOutput(gnu.stdout)
      .map((e) => `${e.type} ${e.path} ${e.size} ${e.target ?? ''}`)
      .sort(),
    ['dir sub 0 ', 'file sub/a b 3 ', 'symlink l 0 ../x'],
  );
  const bin = await tempDir();
  await fs.symlink('/bin/busybox', path.join(bin, 'find'));
  const bb = await runProcess('sh', ['-c', findCommand('m')], {
    cwd: root,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    timeoutMs: 30_000,
  });
  assert.equal(bb.code, NO_PRINTF, bb.stderr);
  assert.equal(bb.stdout, '');
  const missing = await runProcess('sh', ['-c', findCommand('absent')], { cwd: root, timeoutMs: 30_000 });
  assert.deepEqual([missing.code, missing.stdout], [0, ''], 'a mirror not made yet lists as empty');
});

test('attribute changes: one chmod per mode, one touch -t per mtime, quoted ./ words, long lists split', () => {
  assert.equal(touchStamp(1_700_000_000), '202311142213.20');
  assert.equal(touchStamp(-5), undefined);
  const { commands, left } = attributeCommands('/m', [
    { ...file("it's", 1, 1_700_000_000), mode: 0o600 },
    { ...file('-rf', 1, 1_700_000_000), mode: 0o600 },
    { ...dir('d'), mode: 0o2750 },
    file('new\nline'),
  ]);
  assert.deepEqual(commands, [
    "cd /m && chmod 0600 './it'\\''s' ./-rf && TZ=UTC0 touch -c -m -t 202311142213.20 './it'\\''s' ./-rf && chmod 2750 ./d",
  ]);
  assert.deepEqual(
    left.map((e) => e.path),
    ['new\nline'],
    'a control character cannot be a shell word: SFTP sets it',
  );
  const many = Array.from({ length: 20_000 }, (_, i) => file(`dir/file-${i}`, 1, 1_700_000_000 + (i % 3)));
  const split = attributeCommands('/m', many).commands;
  assert.ok(split.length > 1);
  assert.ok(split.every((c) => c.length <= 100_000 && c.startsWith('cd /m && ')));
  const words = split.join(' ').match(/\.\/dir\/file-\d+/g) ?? [];
  assert.equal(words.length, 40_000, 'every file once in a chmod and once in a touch');
  assert.throws(() => attributeCommands('/m', [file('../x')]), outside);
});
