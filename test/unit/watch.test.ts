import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { dockerStoreWatchTargets, watchPaths, type PathWatcher, type WatchChange } from '../../src/core/common/watch';
import { MemoryLogger } from '../../src/core/common/log';
import { tempDirs } from '../support/tempDirs';

// Waiting for an event uses a generous deadline: a missing event fails the test, a slow machine
// only makes it wait longer. No assertion is made on how fast events arrive.
const EVENT_DEADLINE_MS = 10_000;

const newDir = tempDirs('rdc-watch-');

async function tempDir(): Promise<string> {
  return fs.realpath(await newDir());
}

/** Collects change reports and lets a test wait for the next one matching a predicate. */
class Recorder {
  readonly changes: WatchChange[] = [];
  private waiters: { pred: (c: WatchChange) => boolean; resolve: (c: WatchChange) => void }[] = [];
  readonly listener = (c: WatchChange): void => {
    this.changes.push(c);
    for (const w of this.waiters.filter((x) => x.pred(c))) {
      w.resolve(c);
    }
    this.waiters = this.waiters.filter((x) => !x.pred(c));
  };

  next(pred: (c: WatchChange) => boolean = () => true, what = 'a change'): Promise<WatchChange> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no event for ${what} within ${EVENT_DEADLINE_MS} ms; saw ${JSON.stringify(this.changes)}`)),
        EVENT_DEADLINE_MS,
      );
      this.waiters.push({
        pred,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      });
    });
  }
}

function touches(target: string): (c: WatchChange) => boolean {
  return (c) => c.targets.includes(target);
}

/** Writes like the docker CLI's atomic writer: temp file in the same directory, then rename. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

async function withWatcher(
  configDir: string,
  fn: (rec: Recorder, targets: { config: string; meta: string }, w: PathWatcher) => Promise<void>,
  debounceMs = 100,
): Promise<void> {
  const rec = new Recorder();
  const [config, meta] = dockerStoreWatchTargets(configDir);
  const w = watchPaths([config, meta], rec.listener, { debounceMs, logger: new MemoryLogger() });
  try {
    await w.ready;
    await fn(rec, { config: config.path, meta: meta.path }, w);
  } finally {
    w.close();
  }
}

test('dockerStoreWatchTargets names config.json and the contexts/meta tree', () => {
  const t = dockerStoreWatchTargets(path.join('/x', '.docker'));
  assert.deepEqual(t, [
    { path: path.join('/x', '.docker', 'config.json'), kind: 'file' },
    { path: path.join('/x', '.docker', 'contexts', 'meta'), kind: 'tree' },
  ]);
});

test('config.json: creation, in-place edit and atomic replacement are each reported', async () => {
  const dir = await tempDir();
  await withWatcher(dir, async (rec, t) => {
    let next = rec.next(touches(t.config), 'create');
    await fs.writeFile(t.config, '{}');
    await next;

    next = rec.next(touches(t.config), 'in-place edit');
    await fs.appendFile(t.config, '\n');
    await next;

    // Twice: the first rename replaces the inode a naive file watch would be holding.
    for (const value of ['a', 'b']) {
      next = rec.next(touches(t.config), `atomic replace ${value}`);
      await writeAtomically(t.config, JSON.stringify({ currentContext: value }));
      await next;
    }
    next = rec.next(touches(t.config), 'delete');
    await fs.rm(t.config);
    await next;
  });
});

test('contexts/meta: a context added, updated in place, replaced atomically and removed is reported each time', async () => {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'contexts', 'meta'), { recursive: true });
  await withWatcher(dir, async (rec, t) => {
    const ctxDir = path.join(t.meta, 'e0de706a');
    const metaFile = path.join(ctxDir, 'meta.json');

    let next = rec.next(touches(t.meta), 'add');
    await fs.mkdir(ctxDir);
    await fs.writeFile(metaFile, '{"Name":"one"}');
    await next;

    next = rec.next(touches(t.meta), 'update in place');
    await fs.writeFile(metaFile, '{"Name":"one","Metadata":{}}');
    await next;

    next = rec.next(touches(t.meta), 'atomic replace');
    await writeAtomically(metaFile, '{"Name":"one","Metadata":{"Description":"x"}}');
    await next;

    next = rec.next(touches(t.meta), 'remove');
    await fs.rm(ctxDir, { recursive: true });
    await next;
  });
});

test('changes to unrelated files next to config.json are not reported', async () => {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'contexts', 'meta'), { recursive: true });
  await withWatcher(dir, async (rec, t) => {
    // Unrelated writes first, then a relevant change to the other target: the report for it must
    // not name config.json, and no report may name it at all.
    await fs.writeFile(path.join(dir, 'other.json'), 'x');
    await writeAtomically(path.join(dir, 'daemon.json'), 'y');
    await fs.mkdir(path.join(dir, 'buildx'));
    const next = rec.next(touches(t.meta), 'meta change');
    await fs.mkdir(path.join(t.meta, 'abc'));
    await next;
    assert.ok(
      rec.changes.every((c) => !c.targets.includes(t.config)),
      JSON.stringify(rec.changes),
    );
  });
});

test('a config directory that does not exist yet is followed once it is created, and deeper changes are still seen', async () => {
  const home = await tempDir();
  const dir = path.join(home, '.docker');
  await withWatcher(dir, async (rec, t) => {
    // What `docker context create` does on a fresh machine: MkdirAll then write meta.json.
    let next = rec.next(touches(t.meta), 'store created');
    await fs.mkdir(path.join(t.meta, 'id1'), { recursive: true });
    await fs.writeFile(path.join(t.meta, 'id1', 'meta.json'), '{}');
    await next;

    // The watch must have moved down to contexts/meta itself: an edit two levels down is seen.
    next = rec.next(touches(t.meta), 'edit after re-arm');
    await writeAtomically(path.join(t.meta, 'id1', 'meta.json'), '{"Name":"x"}');
    await next;

    next = rec.next(touches(t.config), 'config.json created');
    await writeAtomically(t.config, '{"currentContext":"x"}');
    await next;
  });
});

test('a config directory deleted and recreated is watched again', async () => {
  const home = await tempDir();
  const dir = path.join(home, '.docker');
  await fs.mkdir(path.join(dir, 'contexts', 'meta'), { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), '{}');
  await withWatcher(dir, async (rec, t) => {
    let next = rec.next((c) => c.targets.includes(t.config) && c.targets.includes(t.meta), 'rm -rf');
    await fs.rm(dir, { recursive: true });
    await next;

    next = rec.next(touches(t.meta), 'recreated meta');
    await fs.mkdir(path.join(t.meta, 'again'), { recursive: true });
    await next;

    next = rec.next(touches(t.meta), 'edit inside recreated tree');
    await fs.writeFile(path.join(t.meta, 'again', 'meta.json'), '{}');
    await next;

    next = rec.next(touches(t.config), 'recreated config.json');
    await fs.writeFile(t.config, '{}');
    await next;
  });
});

test('a config directory replaced at once by one with the same inode number is watched again', async () => {
  // ext4 and tmpfs give a new directory the inode number of the one just deleted, so the watcher
  // cannot tell the two apart by inode alone; without another sign the config.json watch stays on
  // the deleted directory and never reports again.
  const home = await tempDir();
  const dir = path.join(home, '.docker');
  for (let round = 0; round < 5; round++) {
    await fs.mkdir(path.join(dir, 'contexts', 'meta'), { recursive: true });
    await fs.writeFile(path.join(dir, 'config.json'), '{}');
    await withWatcher(dir, async (rec, t) => {
      const gone = rec.next(touches(t.config), `round ${round}: replaced`);
      await fs.rm(dir, { recursive: true });
      await fs.mkdir(path.join(dir, 'contexts', 'meta'), { recursive: true });
      await gone;
      // Let any trailing flush of the replacement run before the write being waited for.
      await new Promise((r) => setTimeout(r, 400));
      const next = rec.next(touches(t.config), `round ${round}: config.json written in the new directory`);
      await fs.writeFile(t.config, '{"currentContext":"x"}');
      await next;
    });
    await fs.rm(dir, { recursive: true });
  }
});

test('a burst of writes is coalesced into fewer reports than writes', async () => {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'contexts', 'meta'), { recursive: true });
  // A long quiet period makes the coalescing independent of how fast this machine writes.
  await withWatcher(
    dir,
    async (rec, t) => {
      const next = rec.next(touches(t.meta), 'burst');
      const writes = 20;
      for (let i = 0; i < writes; i++) {
        await fs.mkdir(path.join(t.meta, `c${i}`));
        await writeAtomically(path.join(t.meta, `c${i}`, 'meta.json'), '{}');
      }
      await next;
      assert.ok(
        rec.changes.length < writes,
        `expected coalescing, got ${rec.changes.length} reports for ${writes} writes`,
      );
    },
    1000,
  );
});

test('after close() no report arrives and the listener is never called again', async () => {
  const dir = await tempDir();
  await fs.mkdir(path.join(dir, 'contexts', 'meta'), { recursive: true });
  const rec = new Recorder();
  const w = watchPaths(dockerStoreWatchTargets(dir), rec.listener, { debounceMs: 50 });
  await w.ready;
  // A change reported before close proves the watcher was live.
  const first = rec.next();
  await fs.writeFile(path.join(dir, 'config.json'), '{}');
  await first;
  const seen = rec.changes.length;
  await fs.writeFile(path.join(dir, 'config.json'), '{"a":1}');
  w.close();
  await fs.mkdir(path.join(dir, 'contexts', 'meta', 'late'));
  // Give a pending debounce several times its period to (wrongly) fire.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(rec.changes.length, seen);
});

test('leading edge: the first change after a quiet period is reported at once, not after the quiet period', async () => {
  const dir = await tempDir();
  // A quiet period far longer than EVENT_DEADLINE_MS: only a leading-edge report can arrive in time.
  await withWatcher(
    dir,
    async (rec, t) => {
      const first = rec.next(touches(t.config), 'the first write');
      await writeAtomically(t.config, '{"currentContext":"a"}');
      await first;
      assert.equal(rec.changes.length, 1);
    },
    60_000,
  );
});

test('trailing edge: changes that follow the first within the quiet period are held, not reported one by one', async () => {
  const dir = await tempDir();
  const logger = new MemoryLogger();
  const rec = new Recorder();
  const w = watchPaths(dockerStoreWatchTargets(dir), rec.listener, { debounceMs: 60_000, logger });
  try {
    await w.ready;
    const config = path.join(dir, 'config.json');
    const first = rec.next(touches(config), 'the first write');
    await writeAtomically(config, '{"currentContext":"a"}');
    await first;
    // The watcher logs each change it holds: that line, not a sleep, says the second write was seen.
    const held = (): number => logger.lines.filter((l) => l.includes('change held')).length;
    const before = held();
    await writeAtomically(config, '{"currentContext":"b"}');
    for (let i = 0; held() === before; i++) {
      assert.ok(i < 1000, 'the second write was never seen');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(rec.changes.length, 1, 'the second write waits for the quiet period');
  } finally {
    w.close();
  }
});

test('trailing edge: the held changes are reported once the quiet period ends', async () => {
  const dir = await tempDir();
  await withWatcher(
    dir,
    async (rec, t) => {
      const first = rec.next(touches(t.config), 'the first write');
      await writeAtomically(t.config, '{"currentContext":"a"}');
      await first;
      const second = rec.next(touches(t.config), 'the held writes');
      await writeAtomically(t.config, '{"currentContext":"b"}');
      await writeAtomically(t.config, '{"currentContext":"c"}');
      await second;
    },
    300,
  );
});
