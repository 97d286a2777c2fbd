/**
 * The mirror against a real OpenSSH sshd (its sftp-server and GNU find) as a test user: the
 * remote tree equals the local one (content, modes, mtimes, symlinks as symlinks), a re-sync
 * moves only what changed (deletions too, an edit within the second of the last write too),
 * and nothing is ever written outside the mirror directory: a traversing setting, a remote
 * component that is a symlink, and a remote directory swapped for a symlink are refused or
 * replaced, never written through. The "remote" is this machine, so its files are read directly.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'ssh2';
import { syncFolder } from '../../src/core/sync/syncFolder';
import { requireRoot } from '../support';
import { rejectsWith } from '../support/rejectsWith';
import { tempDirs } from '../support/tempDirs';
import { outsideDir, syncSetup, treeSnapshot, type SyncSetup } from './syncSetup';

const T = { timeout: 300_000 };
const tempDir = tempDirs('rdc-sync-it-');

describe('syncFolder against a real sshd', () => {
  let s: SyncSetup;
  let client: Client;
  before(async () => {
    requireRoot('syncFolder');
    s = await syncSetup();
    client = await s.connect();
  }, T);
  after(async () => {
    await s?.stop();
  }, T);

  async function sampleTree(outside: string): Promise<string> {
    const root = await tempDir();
    await fs.mkdir(path.join(root, 'app/sub'), { recursive: true });
    await fs.writeFile(path.join(root, 'app/index.html'), 'hello');
    await fs.writeFile(path.join(root, 'app/sub/deep.txt'), 'deep');
    await fs.writeFile(path.join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
    await fs.chmod(path.join(root, 'run.sh'), 0o750);
    await fs.writeFile(path.join(root, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    await fs.writeFile(path.join(root, 'a name with spaces & $dollar'), 'odd');
    await fs.mkdir(path.join(root, 'node_modules/pkg'), { recursive: true });
    await fs.writeFile(path.join(root, 'node_modules/pkg/index.js'), 'skip me');
    await fs.writeFile(path.join(root, '.dockerignore'), '# comment\nnode_modules\n*.tmp\n');
    await fs.writeFile(path.join(root, 'scratch.tmp'), 'skip me too');
    await fs.symlink(outside, path.join(root, 'escape'));
    await fs.symlink(path.join(outside, 'victim'), path.join(root, 'app/victim-link'));
    await fs.symlink('sub/deep.txt', path.join(root, 'app/rel-link'));
    return root;
  }

  it(
    'mirrors a tree, then moves only what changed; symlinks pointing out stay symlinks and nothing is written outside',
    T,
    async () => {
      const outside = await outsideDir(tempDir);
      const before = await treeSnapshot(outside);
      const local = await sampleTree(outside);
      const spec = '~/.remote-docker/first';
      const remote = path.join(s.user.home, '.remote-docker/first');

      const first = await syncFolder({ client, localRoot: local, remoteDir: spec });
      assert.equal(first.remoteDir, remote);
      const expected = (await treeSnapshot(local)).filter((l) => !/node_modules|scratch\.tmp/.test(l));
      assert.deepEqual(await treeSnapshot(remote), expected);
      assert.equal(first.symlinks, 3);
      assert.equal((await fs.lstat(path.join(remote, 'escape'))).isSymbolicLink(), true);
      assert.deepEqual(await treeSnapshot(outside), before, 'nothing written through the links');

      const again = await syncFolder({ client, localRoot: local, remoteDir: spec });
      assert.equal(
        again.uploaded + again.deleted + again.symlinks + again.directoriesCreated,
        0,
        JSON.stringify(again),
      );

      await fs.writeFile(path.join(local, 'app/index.html'), 'changed!');
      await fs.rm(path.join(local, 'app/sub'), { recursive: true });
      await fs.chmod(path.join(local, 'run.sh'), 0o700);
      await fs.rm(path.join(local, 'app/rel-link'));
      await fs.symlink('index.html', path.join(local, 'app/rel-link'));
      const third = await syncFolder({ client, localRoot: local, remoteDir: spec });
      assert.equal(third.uploaded, 1);
      assert.equal(third.deleted, 3, 'sub, sub/deep.txt and the old link');
      assert.deepEqual(
        await treeSnapshot(remote),
        (await treeSnapshot(local)).filter((l) => !/node_modules|scratch\.tmp/.test(l)),
      );
      assert.deepEqual(await treeSnapshot(outside), before);
    },
  );

  it('an edit in the second of the last write (same size, same mtime) is found by its hash', T, async () => {
    const local = await tempDir();
    const f = path.join(local, 'racy.txt');
    await fs.writeFile(f, 'aaaa');
    // A local mtime not older than the remote copy's write: the case times cannot settle.
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(f, later, later);
    const spec = '~/racy';
    await syncFolder({ client, localRoot: local, remoteDir: spec });
    await fs.writeFile(f, 'bbbb');
    await fs.utimes(f, later, later);
    const r = await syncFolder({ client, localRoot: local, remoteDir: spec });
    assert.equal(r.verified, 1);
    assert.equal(r.uploaded, 1);
    assert.equal(await fs.readFile(path.join(s.user.home, 'racy/racy.txt'), 'utf8'), 'bbbb');
    const settled = await syncFolder({ client, localRoot: local, remoteDir: spec });
    assert.equal(settled.uploaded, 0);
  });

  it('a traversing remote directory setting is refused before anything is written', T, async () => {
    const local = await sampleTree(await outsideDir(tempDir));
    for (const bad of ['~/../escaped', '~/a/../../escaped', '/', '~', 'relative']) {
      await assert.rejects(
        syncFolder({ client, localRoot: local, remoteDir: bad }),
        (e) => (e as { reason?: string }).reason === 'syncRemoteDirInvalid',
        bad,
      );
    }
    await assert.rejects(fs.access(path.join(path.dirname(s.user.home), 'escaped')));
  });

  it(
    'a remote path component that is a symlink is refused; a mirrored directory swapped for a symlink is replaced, not written through',
    T,
    async () => {
      const outside = await outsideDir(tempDir);
      const before = await treeSnapshot(outside);
      const local = await sampleTree(await outsideDir(tempDir));
      await fs.symlink(outside, path.join(s.user.home, 'linked'));
      await rejectsWith(syncFolder({ client, localRoot: local, remoteDir: '~/linked/mirror' }), 'syncRemoteSymlink');

      const spec = '~/swapped';
      const remote = path.join(s.user.home, 'swapped');
      await syncFolder({ client, localRoot: local, remoteDir: spec });
      await fs.rm(path.join(remote, 'app'), { recursive: true });
      await fs.symlink(outside, path.join(remote, 'app'));
      await syncFolder({ client, localRoot: local, remoteDir: spec });
      assert.equal((await fs.lstat(path.join(remote, 'app'))).isDirectory(), true);
      assert.equal(await fs.readFile(path.join(remote, 'app/index.html'), 'utf8'), 'hello');
      assert.deepEqual(await treeSnapshot(outside), before, 'nothing written through the swapped link');
    },
  );

  it('a cancelled SFTP sync stops and leaves no temporary files behind', T, async () => {
    const local = await tempDir();
    for (let i = 0; i < 200; i++) {
      await fs.writeFile(path.join(local, `f${i}`), Buffer.alloc(64 * 1024, i));
    }
    const controller = new AbortController();
    const spec = '~/cancelled';
    await rejectsWith(
      syncFolder({
        client,
        localRoot: local,
        remoteDir: spec,
        signal: controller.signal,
        concurrency: 2,
        batchMinEntries: Infinity, // the SFTP path's cancel (syncTar.test.ts cancels the tar stream)
        onProgress: (p) => {
          if (p.phase === 'transferring' && p.filesDone >= 5) {
            controller.abort();
          }
        },
      }),
      'cancelled',
    );
    const c2 = await s.connect();
    const done = await syncFolder({ client: c2, localRoot: local, remoteDir: spec });
    assert.ok(done.uploaded < 200, 'the finished files were kept');
    const names = await fs.readdir(path.join(s.user.home, 'cancelled'));
    assert.equal(names.filter((n) => n.includes('.rdc-sync-')).length, 0, names.join(' '));
    assert.equal(names.length, 200);
  });
});
