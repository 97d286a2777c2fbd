/**
 * The sync's pure parts: the plan from two listings, the remote directory rules, and the parsers
 * of `find -printf` and `sha256sum` output.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import { parseSha256sum } from '../../src/core/sync/contentHashes';
import { listLocalTree } from '../../src/core/sync/localTree';
import { defaultRemoteDir, parseRemoteDir, remoteJoin, resolveRemoteDir } from '../../src/core/sync/remotePaths';
import { composeCommand } from '../../src/core/sync/remoteCompose';
import { findCommand, parseFindOutput } from '../../src/core/sync/remoteTree';
import { makeExcluder } from '../../src/core/sync/syncExcludes';
import { applyVerification, planSync } from '../../src/core/sync/syncPlan';
import type { TreeEntry } from '../../src/core/sync/syncTypes';
import { tempDirs } from '../support/tempDirs';

const tempDir = tempDirs('rdc-sync-unit-');

const file = (p: string, size: number, mtime: number, more: Partial<TreeEntry> = {}): TreeEntry => ({
  path: p,
  type: 'file',
  mode: 0o644,
  size,
  mtime,
  ...more,
});
const dir = (p: string, mode = 0o755): TreeEntry => ({ path: p, type: 'dir', mode, size: 0, mtime: 1 });
const link = (p: string, target: string): TreeEntry => ({
  path: p,
  type: 'symlink',
  mode: 0o777,
  size: 0,
  mtime: 1,
  target,
});
const paths = (es: readonly TreeEntry[]): string[] => es.map((e) => e.path);

test('a first sync creates directories parents first, uploads every file and recreates symlinks', () => {
  const local = [file('app/b/x', 3, 10), dir('app/b'), dir('app'), file('a', 5, 10), link('l', '../outside')];
  const plan = planSync(local, []);
  assert.deepEqual(paths(plan.mkdirs), ['app', 'app/b']);
  assert.deepEqual(paths(plan.uploads), ['a', 'app/b/x']);
  assert.deepEqual(paths(plan.symlinks), ['l']);
  assert.equal(plan.symlinks[0].target, '../outside', 'the link text travels, never the target');
  assert.equal(plan.uploadBytes, 8);
  assert.deepEqual(plan.deletes, []);
});

test('unchanged files stay; size changes upload; mtime-only changes and racy ones are verified by hash', () => {
  const remote = [
    file('same', 4, 100, { ctime: 200 }),
    file('bigger', 4, 100, { ctime: 200 }),
    file('touched', 4, 100, { ctime: 200 }),
    file('racy', 4, 200, { ctime: 200 }),
    file('chmod', 4, 100, { ctime: 200, mode: 0o644 }),
  ];
  const local = [
    file('same', 4, 100),
    file('bigger', 5, 100),
    file('touched', 4, 150),
    // Written in the same second as the remote copy: an edit then would keep size and mtime.
    file('racy', 4, 200),
    file('chmod', 4, 100, { mode: 0o755 }),
  ];
  const plan = planSync(local, remote);
  assert.deepEqual(paths(plan.uploads), ['bigger']);
  assert.deepEqual(paths(plan.verify), ['racy', 'touched']);
  assert.deepEqual(paths(plan.attributes), ['chmod']);
  const after = applyVerification(plan, new Set(['touched']));
  assert.deepEqual(paths(after.uploads), ['bigger', 'racy']);
  assert.deepEqual(paths(after.attributes), ['chmod', 'touched'], 'equal content: only its times are set');
  assert.deepEqual(after.verify, []);
});

test('deletions follow, children before parents; excluded remote entries and their directories stay', () => {
  const remote = [
    dir('gone'),
    file('gone/a', 1, 1),
    dir('gone/sub'),
    file('gone/sub/b', 1, 1),
    dir('node_modules'),
    file('node_modules/x', 1, 1),
    dir('keep'),
    dir('keep/node_modules'),
    file('keep/node_modules/y', 1, 1),
    file('keep/old', 1, 1),
  ];
  const local = [dir('keep')];
  const ex = makeExcluder(['**/node_modules', 'node_modules']);
  const plan = planSync(local, remote, (p) => ex.excludes(p));
  assert.deepEqual(paths(plan.deletes), ['keep/old', 'gone/sub/b', 'gone/sub', 'gone/a', 'gone']);
});

test('a type change removes the remote entry and everything below it, then creates the new one', () => {
  const remote = [dir('x'), file('x/inner', 1, 1), file('y', 1, 1), link('z', '/etc'), link('w', 'a')];
  const local = [file('x', 2, 1), dir('y'), dir('z'), link('w', 'b')];
  const plan = planSync(local, remote, () => true);
  assert.deepEqual(paths(plan.deletes), ['z', 'y', 'x/inner', 'x', 'w'], 'even when excluded');
  assert.deepEqual(paths(plan.uploads), ['x']);
  assert.deepEqual(
    paths(plan.mkdirs),
    ['y', 'z'],
    'a remote symlink where a directory belongs is replaced, not followed',
  );
  assert.deepEqual(paths(plan.symlinks), ['w']);
});

test('the remote directory setting: ~ or absolute, no traversal, neither / nor the home itself', () => {
  assert.deepEqual(parseRemoteDir('~/.remote-docker/app-1'), {
    underHome: true,
    components: ['.remote-docker', 'app-1'],
  });
  assert.deepEqual(parseRemoteDir(' /srv//mirror/ '), { underHome: false, components: ['srv', 'mirror'] });
  const rule = (v: string): unknown => {
    try {
      parseRemoteDir(v);
    } catch (e) {
      assert.ok(CoreError.is(e, 'syncRemoteDirInvalid'));
      return e.details.rule;
    }
    return 'accepted';
  };
  assert.equal(rule('~/../etc'), 'traversal');
  assert.equal(rule('/srv/a/../../etc'), 'traversal');
  assert.equal(rule('~/a/./b'), 'traversal');
  assert.equal(rule('relative/dir'), 'absolute');
  assert.equal(rule('~other/x'), 'absolute');
  assert.equal(rule('/'), 'root');
  assert.equal(rule('~'), 'home');
  assert.equal(rule('~/'), 'home');
  assert.equal(rule('/srv/a\nb'), 'characters');
  assert.equal(resolveRemoteDir(parseRemoteDir('~/m'), '/home/u'), '/home/u/m');
  assert.throws(
    () => resolveRemoteDir(parseRemoteDir('/home/u'), '/home/u/'),
    (e) => CoreError.is(e, 'syncRemoteDirInvalid'),
  );
});

test('remote paths are joined under the root only', () => {
  assert.equal(remoteJoin('/m', 'a/b'), '/m/a/b');
  for (const bad of ['', '../x', 'a/../../x', '/etc/passwd', 'a//b', './a', 'a/\0']) {
    assert.throws(
      () => remoteJoin('/m', bad),
      (e) => CoreError.is(e, 'syncPathOutside'),
      JSON.stringify(bad),
    );
  }
});

test('the default remote directory is named after the folder and a hash of its laptop path', () => {
  const a = defaultRemoteDir('My App', '/home/me/My App');
  const b = defaultRemoteDir('My App', '/home/me/other/My App');
  assert.match(a, /^~\/\.remote-docker\/My_App-[0-9a-f]{8}$/);
  assert.notEqual(a, b);
  assert.doesNotThrow(() => parseRemoteDir(defaultRemoteDir('..', '/x/..')));
});

test('find and sha256sum output are parsed, names with spaces and newlines included', () => {
  const out =
    ['d', '755', '4096', '1700000000.5', '1700000001.25', 'app', ''].join('\0') +
    '\0' +
    ['f', '644', '12', '1700000000.9', '1700000002.0', 'app/a b\nc', ''].join('\0') +
    '\0' +
    ['l', '777', '6', '1700000000.0', '1700000000.0', 'ln', '../etc'].join('\0') +
    '\0';
  assert.deepEqual(parseFindOutput(out), [
    { path: 'app', type: 'dir', mode: 0o755, size: 0, mtime: 1700000000, ctime: 1700000001 },
    { path: 'app/a b\nc', type: 'file', mode: 0o644, size: 12, mtime: 1700000000, ctime: 1700000002 },
    { path: 'ln', type: 'symlink', mode: 0o777, size: 0, mtime: 1700000000, ctime: 1700000000, target: '../etc' },
  ]);
  assert.equal(
    findCommand(".remote-docker/it's"),
    `if [ -d '.remote-docker/it'\\''s' ]; then ` +
      `LC_ALL=C find '.remote-docker/it'\\''s' -maxdepth 0 -printf '' >/dev/null 2>&1 || exit 97; ` +
      `LC_ALL=C find '.remote-docker/it'\\''s' -mindepth 1 -printf '%y\\0%m\\0%s\\0%T@\\0%C@\\0%P\\0%l\\0'; fi`,
  );
  assert.throws(
    () => findCommand('-delete'),
    (e) => CoreError.is(e, 'syncRemoteDirInvalid'),
  );
  const h = 'a'.repeat(64);
  const parsed = parseSha256sum(`${h}  ./x\n\\${h}  ./a\\nb\\\\c\n`);
  assert.deepEqual(
    [...parsed],
    [
      ['./x', h],
      ['./a\nb\\c', h],
    ],
  );
});

test('the local tree: .dockerignore rules, symlinks read not followed, re-included files keep their directories', async () => {
  const root = await tempDir();
  const outside = await tempDir();
  await fs.writeFile(path.join(outside, 'secret'), 's');
  await fs.mkdir(path.join(root, 'logs/keep'), { recursive: true });
  await fs.writeFile(path.join(root, 'logs/a.log'), 'x');
  await fs.writeFile(path.join(root, 'logs/keep/important.log'), 'y');
  await fs.mkdir(path.join(root, 'node_modules/m'), { recursive: true });
  await fs.writeFile(path.join(root, 'node_modules/m/i.js'), 'z');
  await fs.writeFile(path.join(root, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await fs.chmod(path.join(root, 'run.sh'), 0o755);
  await fs.symlink(outside, path.join(root, 'out'));
  const tree = await listLocalTree(root, makeExcluder(['node_modules', 'logs', '!logs/keep/important.log']));
  assert.deepEqual(
    tree.map((e) => `${e.type} ${e.path}`),
    ['dir logs', 'dir logs/keep', 'file logs/keep/important.log', 'symlink out', 'file run.sh'],
  );
  assert.equal(tree.find((e) => e.path === 'out')?.target, outside);
  assert.equal(tree.find((e) => e.path === 'run.sh')?.mode, 0o755);
  // Windows has no POSIX modes: usable defaults instead of its 0666 directories.
  const onWindows = await listLocalTree(root, makeExcluder(['node_modules', 'out']), undefined, 'win32');
  assert.deepEqual(
    onWindows.map((e) => `${e.path} ${e.mode.toString(8)}`),
    ['logs 755', 'logs/a.log 644', 'logs/keep 755', 'logs/keep/important.log 644', 'run.sh 644'],
  );
});

test('the compose command: every value one quoted word, the file joined under the mirror, constant actions', () => {
  assert.equal(
    composeCommand({
      flavor: 'docker-compose',
      action: 'up',
      remoteRoot: "/home/u/.remote-docker/it's-1a2b3c4d",
      composeFile: 'deploy/compose.yaml',
      projectName: 'shop',
      dockerSocket: '/run/user/1000/docker.sock',
    }),
    `cd '/home/u/.remote-docker/it'\\''s-1a2b3c4d/deploy' && DOCKER_HOST=unix:///run/user/1000/docker.sock ` +
      `exec docker-compose -p shop -f '/home/u/.remote-docker/it'\\''s-1a2b3c4d/deploy/compose.yaml' up -d --build`,
  );
  assert.equal(
    composeCommand({
      flavor: 'docker compose',
      action: 'logs',
      remoteRoot: '/m',
      composeFile: 'compose.yml',
      projectName: '',
    }),
    'cd /m && exec docker compose -f /m/compose.yml logs -f --tail 200',
  );
  assert.throws(
    () =>
      composeCommand({
        flavor: 'docker compose',
        action: 'down',
        remoteRoot: '/m',
        composeFile: '../x.yml',
        projectName: 'p',
      }),
    (e) => CoreError.is(e, 'syncPathOutside'),
  );
});
