/**
 * The batched sync (one tar stream into the remote `tar -x`, deletions in one `rm`) against a real
 * OpenSSH sshd as a test user, with rsync as the oracle of what a mirror holds: the result equals
 * `rsync -a`'s copy of the same folder (content, modes, mtimes, symlinks as symlinks); a name
 * that would leave the mirror is refused before a byte is sent; a remote directory swapped for a
 * symlink is replaced, not extracted through; a cancel mid-stream leaves nothing that the next
 * sync takes for complete; and a remote without `tar` (or without GNU find: busybox's) gets the
 * same mirror over SFTP. The remote user's PATH is set through `~/.ssh/environment`.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'ssh2';
import { runProcess } from '../../src/core/common/exec';
import { syncFolder } from '../../src/core/sync/syncFolder';
import { tarUpload } from '../../src/core/sync/tarUpload';
import { requireRoot } from '../support';
import { rejectsWith } from '../support/rejectsWith';
import { tempDirs } from '../support/tempDirs';
import { outsideDir, syncSetup, treeSnapshot, type SyncSetup } from './syncSetup';

const T = { timeout: 300_000 };
const tempDir = tempDirs('rdc-synctar-it-');
const EXCLUDED = /node_modules|scratch\.tmp/;

describe('the batched sync (tar over one exec channel) against a real sshd', () => {
  let s: SyncSetup;
  let client: Client;
  before(async () => {
    requireRoot('syncTar');
    s = await syncSetup();
    client = await s.connect();
  }, T);
  after(async () => {
    await s?.stop();
  }, T);

  /** Odd modes, a large file, names a shell would mangle, and links pointing in and out. */
  async function sampleTree(outside: string): Promise<string> {
    const root = await tempDir();
    await fs.mkdir(path.join(root, 'app/sub'), { recursive: true });
    await fs.writeFile(path.join(root, 'app/index.html'), 'hello');
    await fs.writeFile(path.join(root, 'app/sub/deep.txt'), 'deep');
    await fs.chmod(path.join(root, 'app/sub'), 0o750);
    await fs.writeFile(path.join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
    await fs.chmod(path.join(root, 'run.sh'), 0o751);
    await fs.writeFile(path.join(root, 'secret'), 'private');
    await fs.chmod(path.join(root, 'secret'), 0o600);
    // Bits the remote umask (022) would take away unless tar restores permissions exactly.
    await fs.mkdir(path.join(root, 'shared'));
    await fs.chmod(path.join(root, 'shared'), 0o777);
    await fs.writeFile(path.join(root, 'shared/rw'), 'everyone');
    await fs.chmod(path.join(root, 'shared/rw'), 0o666);
    await fs.writeFile(path.join(root, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    await fs.writeFile(path.join(root, "a name with spaces & $dollar 'quote'"), 'odd');
    await fs.writeFile(path.join(root, 'new\nline'), 'nl');
    await fs.writeFile(path.join(root, `${'long-name-'.repeat(12)}.txt`), 'long');
    await fs.writeFile(path.join(root, 'ünïcødé.txt'), 'utf8');
    await fs.mkdir(path.join(root, 'node_modules/pkg'), { recursive: true });
    await fs.writeFile(path.join(root, 'node_modules/pkg/index.js'), 'skip me');
    await fs.writeFile(path.join(root, '.dockerignore'), 'node_modules\n*.tmp\n');
    await fs.writeFile(path.join(root, 'scratch.tmp'), 'skip me too');
    await fs.symlink(outside, path.join(root, 'escape'));
    await fs.symlink(path.join(outside, 'victim'), path.join(root, 'app/victim-link'));
    await fs.symlink('sub/deep.txt', path.join(root, 'app/rel-link'));
    const old = new Date(Date.now() - 86_400_000);
    await fs.utimes(path.join(root, 'app/index.html'), old, old);
    return root;
  }

  /** What `rsync -a` (local to local, same exclusions) makes of the folder: the oracle. */
  async function rsyncCopy(local: string): Promise<string[]> {
    const dest = await tempDir();
    const r = await runProcess('rsync', ['-a', '--exclude=node_modules', '--exclude=*.tmp', `${local}/`, `${dest}/`], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    return treeSnapshot(dest);
  }

  /** Runs `fn` while the remote user's PATH holds every tool of /usr/bin but `tar`, `find` replaced by `replace`. */
  async function withRemotePath(edit: { drop?: string; busybox?: string }, fn: () => Promise<void>): Promise<void> {
    const bin = await tempDir();
    await fs.chmod(bin, 0o755);
    for (const name of await fs.readdir('/usr/bin')) {
      if (name !== edit.drop && name !== edit.busybox) {
        await fs.symlink(path.join('/usr/bin', name), path.join(bin, name));
      }
    }
    if (edit.busybox) {
      await fs.symlink('/bin/busybox', path.join(bin, edit.busybox));
    }
    const envFile = path.join(s.user.home, '.ssh/environment');
    await fs.writeFile(envFile, `PATH=${bin}\n`, { mode: 0o600 });
    await fs.chown(envFile, s.user.uid, s.user.gid);
    try {
      await fn();
    } finally {
      await fs.rm(envFile, { force: true });
    }
  }

  it('mirrors a tree as rsync -a does; a re-sync of many changes and deletions stays equal', T, async () => {
    const outside = await outsideDir(tempDir);
    const before = await treeSnapshot(outside);
    const local = await sampleTree(outside);
    const spec = '~/.remote-docker/tar';
    const remote = path.join(s.user.home, '.remote-docker/tar');

    const first = await syncFolder({ client, localRoot: local, remoteDir: spec, batchMinEntries: 0 });
    assert.equal(first.batched, true);
    assert.deepEqual(await treeSnapshot(remote), await rsyncCopy(local));
    assert.deepEqual(
      await treeSnapshot(remote),
      (await treeSnapshot(local)).filter((l) => !EXCLUDED.test(l)),
    );
    assert.equal((await fs.lstat(path.join(remote, 'escape'))).isSymbolicLink(), true);
    assert.deepEqual(await treeSnapshot(outside), before, 'nothing written through the links');

    const again = await syncFolder({ client, localRoot: local, remoteDir: spec, batchMinEntries: 0 });
    assert.equal(again.uploaded + again.deleted + again.symlinks + again.directoriesCreated, 0, JSON.stringify(again));

    await fs.rm(path.join(local, 'app'), { recursive: true });
    await fs.mkdir(path.join(local, 'app'));
    await fs.writeFile(path.join(local, 'app/sub'), 'a file where a directory was');
    for (let i = 0; i < 40; i++) {
      await fs.writeFile(path.join(local, `added-${i}`), `n${i}`);
    }
    await fs.writeFile(path.join(local, 'run.sh'), '#!/bin/sh\necho changed\n');
    // Attribute changes: a mode, and times with the same content (one name no shell word can hold).
    await fs.chmod(path.join(local, 'secret'), 0o640);
    await fs.chmod(path.join(local, 'shared'), 0o755);
    const earlier = new Date(Date.now() - 7 * 86_400_000);
    await fs.utimes(path.join(local, 'ünïcødé.txt'), earlier, earlier);
    await fs.utimes(path.join(local, 'new\nline'), earlier, earlier);
    const third = await syncFolder({ client, localRoot: local, remoteDir: spec, batchMinEntries: 0 });
    assert.equal(third.batched, true);
    assert.equal(third.verifiedEqual, 2, JSON.stringify(third));
    assert.equal(third.attributesSet, 4, JSON.stringify(third));
    assert.deepEqual(await treeSnapshot(remote), await rsyncCopy(local));
    assert.deepEqual(await treeSnapshot(outside), before);
  });

  it('a name that would leave the mirror is refused before anything is sent', T, async () => {
    const outside = await outsideDir(tempDir);
    const before = await treeSnapshot(outside);
    const local = await tempDir();
    await fs.writeFile(path.join(local, 'x'), 'payload');
    const remoteRoot = path.join(s.user.home, 'traversal');
    await fs.mkdir(remoteRoot);
    await fs.chown(remoteRoot, s.user.uid, s.user.gid);
    const rel = path.relative(remoteRoot, path.join(outside, 'victim'));
    const file = { type: 'file' as const, mode: 0o644, size: 7, mtime: 1 };
    for (const entries of [
      [{ ...file, path: rel }],
      [{ ...file, path: path.join(outside, 'victim') }],
      [
        { path: 'l', type: 'symlink' as const, mode: 0o777, size: 0, mtime: 1, target: outside },
        { ...file, path: 'l/victim' },
      ],
    ]) {
      await rejectsWith(tarUpload({ client, localRoot: local, remoteRoot, entries: entries }), 'syncPathOutside');
    }
    assert.deepEqual(await treeSnapshot(outside), before);
    assert.deepEqual(await fs.readdir(remoteRoot), []);
  });

  it('a mirrored directory swapped for a symlink is replaced, not extracted through', T, async () => {
    const outside = await outsideDir(tempDir);
    const before = await treeSnapshot(outside);
    const local = await sampleTree(await outsideDir(tempDir));
    const spec = '~/tar-swapped';
    const remote = path.join(s.user.home, 'tar-swapped');
    await syncFolder({ client, localRoot: local, remoteDir: spec, batchMinEntries: 0 });
    await fs.rm(path.join(remote, 'app'), { recursive: true });
    await fs.symlink(outside, path.join(remote, 'app'));
    const r = await syncFolder({ client, localRoot: local, remoteDir: spec, batchMinEntries: 0 });
    assert.equal(r.batched, true);
    assert.equal((await fs.lstat(path.join(remote, 'app'))).isDirectory(), true);
    assert.deepEqual(await treeSnapshot(remote), await rsyncCopy(local));
    assert.deepEqual(await treeSnapshot(outside), before, 'nothing written through the swapped link');
  });

  it(
    'a cancel mid-stream leaves no file the next sync takes for complete; that sync completes the mirror',
    T,
    async () => {
      const local = await tempDir();
      for (let i = 0; i < 300; i++) {
        await fs.writeFile(path.join(local, `f${String(i).padStart(3, '0')}`), Buffer.alloc(64 * 1024, i));
      }
      const old = new Date(Date.now() - 3600_000);
      for (const n of await fs.readdir(local)) {
        await fs.utimes(path.join(local, n), old, old);
      }
      const controller = new AbortController();
      const spec = '~/tar-cancelled';
      const remote = path.join(s.user.home, 'tar-cancelled');
      await rejectsWith(
        syncFolder({
          client,
          localRoot: local,
          remoteDir: spec,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'transferring' && p.filesDone >= 40) {
              controller.abort();
            }
          },
        }),
        'cancelled',
      );
      const left = await fs.readdir(remote);
      assert.ok(left.length < 300, `the cancel came mid-stream (${left.length} files)`);
      // Whatever tar left: a file with the local size and mtime holds the local bytes.
      for (const n of left) {
        const [r, l] = await Promise.all([fs.lstat(path.join(remote, n)), fs.lstat(path.join(local, n))]);
        if (r.size === l.size && Math.floor(r.mtimeMs / 1000) === Math.floor(l.mtimeMs / 1000)) {
          assert.deepEqual(await fs.readFile(path.join(remote, n)), await fs.readFile(path.join(local, n)), n);
        }
      }
      const done = await syncFolder({ client, localRoot: local, remoteDir: spec });
      assert.ok(done.uploaded < 300, 'the finished files were kept');
      assert.deepEqual(await treeSnapshot(remote), await treeSnapshot(local));
    },
  );

  it('a remote without tar gets the same mirror over SFTP', T, async () => {
    const local = await sampleTree(await outsideDir(tempDir));
    await withRemotePath({ drop: 'tar' }, async () => {
      const r = await syncFolder({ client, localRoot: local, remoteDir: '~/no-tar', batchMinEntries: 0 });
      assert.equal(r.batched, false);
    });
    assert.deepEqual(await treeSnapshot(path.join(s.user.home, 'no-tar')), await rsyncCopy(local));
  });

  it(
    "a remote whose find is busybox's (no -printf) is listed over SFTP: re-syncs move only what changed",
    T,
    async () => {
      const local = await sampleTree(await outsideDir(tempDir));
      const spec = '~/busybox-find';
      const remote = path.join(s.user.home, 'busybox-find');
      await withRemotePath({ busybox: 'find' }, async () => {
        await syncFolder({ client, localRoot: local, remoteDir: spec });
        const again = await syncFolder({ client, localRoot: local, remoteDir: spec });
        assert.equal(
          again.uploaded + again.deleted + again.symlinks + again.directoriesCreated,
          0,
          JSON.stringify(again),
        );
        await fs.writeFile(path.join(local, 'app/index.html'), 'changed!');
        await fs.rm(path.join(local, 'app/sub'), { recursive: true });
        const third = await syncFolder({ client, localRoot: local, remoteDir: spec });
        assert.equal(third.uploaded, 1);
        assert.equal(third.deleted, 2, 'sub and sub/deep.txt');
      });
      assert.deepEqual(await treeSnapshot(remote), await rsyncCopy(local));
    },
  );
});
