import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLogger } from '../../src/core/common/log';
import { RefreshManager, type RefreshReason } from '../../src/ui/base/refreshManager';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('a burst of requests runs the handler once, with every reason, and resolves every caller', async () => {
  const rm = new RefreshManager(new MemoryLogger());
  const calls: RefreshReason[][] = [];
  rm.register('contexts', (reasons) => {
    calls.push([...reasons]);
  });
  await Promise.all([
    rm.request('contexts', 'files'),
    rm.request('contexts', 'files'),
    rm.request('all', 'command'),
    rm.request(['contexts'], 'settings'),
  ]);
  assert.deepEqual(calls, [['files', 'command', 'settings']]);
  rm.dispose();
});

test('a request made while the handler runs causes exactly one more run, never a concurrent one', async () => {
  const rm = new RefreshManager(new MemoryLogger(), 0);
  let running = 0;
  let maxRunning = 0;
  const runs: RefreshReason[][] = [];
  const gates = [deferred(), deferred()];
  const started = [deferred(), deferred()];
  rm.register('contexts', async (reasons) => {
    const n = runs.length;
    runs.push([...reasons]);
    running++;
    maxRunning = Math.max(maxRunning, running);
    started[n]?.resolve();
    await gates[n]?.promise;
    running--;
  });
  const first = rm.request('contexts', 'activation');
  await started[0].promise;
  // While run 1 is in progress: two more requests, which must share run 2.
  let secondDone = false;
  const second = rm.request('contexts', 'files').then(() => (secondDone = true));
  const third = rm.request('contexts', 'command');
  gates[0].resolve();
  await first;
  await started[1].promise;
  assert.equal(secondDone, false, 'a request made during run 1 must wait for run 2');
  gates[1].resolve();
  await Promise.all([second, third]);
  assert.deepEqual(runs, [['activation'], ['files', 'command']]);
  assert.equal(maxRunning, 1);
  rm.dispose();
});

test('a failing handler is logged and does not stop other handlers or the callers', async () => {
  const logger = new MemoryLogger();
  const rm = new RefreshManager(logger, 0);
  let secondRan = false;
  rm.register('contexts', () => {
    throw new Error('boom');
  });
  rm.register('contexts', () => {
    secondRan = true;
  });
  await rm.request('contexts', 'command');
  assert.equal(secondRan, true);
  assert.ok(
    logger.lines.some((l) => l.startsWith('[error]') && l.includes('boom')),
    logger.lines.join('\n'),
  );
  rm.dispose();
});

test('an unregistered handler is not called; after dispose requests resolve without running anything', async () => {
  const rm = new RefreshManager(new MemoryLogger(), 0);
  let calls = 0;
  const reg = rm.register('contexts', () => {
    calls++;
  });
  await rm.request('contexts', 'command');
  assert.equal(calls, 1);
  reg.dispose();
  await rm.request('contexts', 'command');
  assert.equal(calls, 1);

  rm.register('contexts', () => {
    calls++;
  });
  const pending = rm.request('contexts', 'files');
  rm.dispose();
  await pending;
  await rm.request('contexts', 'files');
  assert.equal(calls, 1);
});

test(
  'leading edge: the first request after a quiet period runs at once, not after the coalescing window',
  { timeout: 10_000 },
  async () => {
    // A window far longer than the test's timeout: only a leading-edge run can finish in time.
    const rm = new RefreshManager(new MemoryLogger(), 60_000);
    const calls: RefreshReason[][] = [];
    rm.register('contexts', (reasons) => {
      calls.push([...reasons]);
    });
    await rm.request('contexts', 'files');
    assert.deepEqual(calls, [['files']]);
    rm.dispose();
  },
);

test('trailing edge: requests right after a refresh wait for the window and share one run', async () => {
  const rm = new RefreshManager(new MemoryLogger(), 60_000);
  const calls: RefreshReason[][] = [];
  rm.register('contexts', (reasons) => {
    calls.push([...reasons]);
  });
  await rm.request('contexts', 'files');
  const held = [rm.request('contexts', 'files'), rm.request('contexts', 'command')];
  // A leading run would have started within the microtasks before this macrotask.
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, [['files']], 'held for the window');
  rm.dispose();
  await Promise.all(held);

  const short = new RefreshManager(new MemoryLogger(), 20);
  const runs: RefreshReason[][] = [];
  short.register('contexts', (reasons) => {
    runs.push([...reasons]);
  });
  await short.request('contexts', 'activation');
  await Promise.all([short.request('contexts', 'files'), short.request('contexts', 'command')]);
  assert.deepEqual(runs, [['activation'], ['files', 'command']]);
  short.dispose();
});
