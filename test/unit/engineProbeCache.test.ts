/**
 * The probe cache behind the status bar and the Docker Contexts view: fresh results are not
 * probed again, the lazy path never waits and runs a bounded number of probes at once, every
 * probe has a time limit even when it ignores its signal, a newer answer is never overwritten
 * by an older one, and keys no longer shown are dropped with their probes aborted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EngineProbeCache, type ProbeResult } from '../../src/core/engine/engineProbeCache';
import { CoreError, cancelledError } from '../../src/core/common/errors';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued promise callbacks run. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function cache(o: { ttlMs?: number; concurrency?: number; timeoutMs?: number; now?: () => number } = {}): {
  c: EngineProbeCache<string>;
  changes: string[];
} {
  const changes: string[] = [];
  const c = new EngineProbeCache<string>({
    ttlMs: o.ttlMs ?? 60_000,
    concurrency: o.concurrency ?? 4,
    timeoutMs: o.timeoutMs ?? 60_000,
    now: o.now,
    onDidChange: (k) => changes.push(k),
  });
  return { c, changes };
}

describe('EngineProbeCache', () => {
  test('request returns at once, probes once, and reports the result; a fresh result is not probed again', async () => {
    let now = 1_000;
    const { c, changes } = cache({ ttlMs: 60_000, now: () => now });
    const d = deferred<string>();
    let calls = 0;
    const probe = (): Promise<string> => {
      calls++;
      return d.promise;
    };
    const first = c.request('a', probe);
    assert.deepEqual(first, { result: undefined, probing: true, stale: true });
    assert.equal(c.request('a', probe).probing, true);
    assert.equal(calls, 1, 'a second request while probing does not start another probe');
    d.resolve('linux/amd64');
    await tick();
    await tick();
    assert.deepEqual(changes, ['a']);
    const entry = c.peek('a');
    assert.equal(entry?.probing, false);
    assert.equal(entry?.stale, false);
    assert.deepEqual(entry?.result, { ok: true, value: 'linux/amd64', at: 1_000 });
    now += 59_999;
    c.request('a', probe);
    assert.equal(calls, 1, 'younger than the TTL: no probe');
    now += 1;
    c.request('a', () => Promise.resolve('linux/arm64'));
    await tick();
    await tick();
    assert.equal((c.peek('a')?.result as { value: string }).value, 'linux/arm64', 'at the TTL: probed again');
    c.dispose();
  });

  test('failures are results: the lazy path records them and run resolves with them', async () => {
    const { c, changes } = cache();
    const r = await c.run('a', () => Promise.reject(new CoreError('daemonNotRunning', 'stopped', { host: 'h' })));
    assert.equal(r.ok, false);
    assert.equal((r as { error: CoreError }).error.reason, 'daemonNotRunning');
    assert.equal(c.peek('a')?.result?.ok, false);
    assert.deepEqual(changes, ['a']);
    const plain = await c.run('b', () => Promise.reject(new Error('boom')));
    assert.equal((plain as { error: CoreError }).error.reason, 'internal', 'a non-CoreError becomes internal');
    c.dispose();
  });

  test('no more than `concurrency` queued probes run at once; the rest start as slots free up', async () => {
    const { c } = cache({ concurrency: 2 });
    const gates = new Map<string, Deferred<string>>();
    let running = 0;
    let maxRunning = 0;
    const started: string[] = [];
    const probe = (key: string) => async (): Promise<string> => {
      started.push(key);
      running++;
      maxRunning = Math.max(maxRunning, running);
      const d = deferred<string>();
      gates.set(key, d);
      try {
        return await d.promise;
      } finally {
        running--;
      }
    };
    for (const k of ['a', 'b', 'c', 'd', 'e']) {
      assert.equal(c.request(k, probe(k)).probing, true, `${k} is shown as probing (queued)`);
    }
    await tick();
    assert.deepEqual(started, ['a', 'b']);
    gates.get('a')?.resolve('x');
    await tick();
    await tick();
    await tick();
    assert.deepEqual(started, ['a', 'b', 'c']);
    for (const k of ['b', 'c']) {
      gates.get(k)?.resolve('x');
    }
    await tick();
    await tick();
    await tick();
    for (const k of ['d', 'e']) {
      gates.get(k)?.resolve('x');
    }
    await tick();
    await tick();
    assert.deepEqual(started, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(maxRunning, 2);
    assert.ok(['a', 'b', 'c', 'd', 'e'].every((k) => c.peek(k)?.result?.ok === true));
    c.dispose();
  });

  test('run starts at once outside the queue, and joins a running probe unless told not to', async () => {
    const { c } = cache({ concurrency: 1 });
    const blocker = deferred<string>();
    c.request('slow', () => blocker.promise);
    // The queue is full; run must not wait behind it.
    const r = await c.run('status', () => Promise.resolve('ok'));
    assert.deepEqual(r.ok && r.value, 'ok');

    const d = deferred<string>();
    let calls = 0;
    const p1 = c.run('k', () => {
      calls++;
      return d.promise;
    });
    const p2 = c.run('k', () => {
      calls++;
      return Promise.resolve('second');
    });
    assert.equal(calls, 1, 'joined');
    const p3 = c.run(
      'k',
      () => {
        calls++;
        return Promise.resolve('third');
      },
      { join: false },
    );
    assert.equal(calls, 2, 'join: false starts another probe');
    const r3 = await p3;
    assert.equal(r3.ok && r3.value, 'third');
    d.resolve('first');
    const [r1, r2] = await Promise.all([p1, p2]);
    assert.equal(r1.ok && r1.value, 'first');
    assert.equal(r2, r1);
    // The first probe started before the third, so its late answer does not replace the third's.
    assert.equal((c.peek('k')?.result as { value: string }).value, 'third');
    blocker.resolve('x');
    c.dispose();
  });

  test('a probe that ignores its signal still ends at the time limit, as a timeout, and its signal is aborted', async () => {
    const { c } = cache({ timeoutMs: 20 });
    let signal: AbortSignal | undefined;
    const r = await c.run('hang', (s) => {
      signal = s;
      return new Promise<string>(() => undefined);
    });
    assert.equal(r.ok, false);
    const e = (r as { error: CoreError }).error;
    assert.equal(e.reason, 'timeout');
    assert.equal(e.details.timeoutMs, 20);
    assert.equal(signal?.aborted, true);
    const own = await c.run('hang', () => new Promise<string>(() => undefined), { timeoutMs: 5 });
    assert.equal(!own.ok && own.error.details.timeoutMs, 5, 'a run may set its own limit');
    c.dispose();
  });

  test('a cancelled probe keeps the previous result', async () => {
    const { c, changes } = cache();
    await c.run('a', () => Promise.resolve('before'));
    const r = await c.run('a', () => Promise.reject(cancelledError()), { join: false });
    assert.equal(r.ok, false);
    assert.equal((c.peek('a')?.result as { value: string }).value, 'before');
    assert.deepEqual(changes, ['a']);
    c.dispose();
  });

  test('invalidate makes a fresh result stale but keeps showing it until the next answer', async () => {
    const { c } = cache();
    await c.run('a', () => Promise.resolve('old'));
    await c.run('b', () => Promise.resolve('old'));
    c.invalidate('a');
    assert.equal(c.peek('a')?.stale, true);
    assert.equal(c.peek('b')?.stale, false);
    const d = deferred<string>();
    const entry = c.request('a', () => d.promise);
    assert.equal((entry.result as { value: string }).value, 'old');
    assert.equal(entry.probing, true);
    d.resolve('new');
    await tick();
    await tick();
    assert.equal((c.peek('a')?.result as { value: string }).value, 'new');
    c.invalidate();
    assert.equal(c.peek('b')?.stale, true);
    c.dispose();
  });

  test('retain drops other keys, aborts their probes, and their late answers are not recorded', async () => {
    const { c, changes } = cache();
    let signal: AbortSignal | undefined;
    const d = deferred<string>();
    const p = c.run('gone', (s) => {
      signal = s;
      return d.promise;
    });
    await c.run('kept', () => Promise.resolve('x'));
    c.request('queued-gone', () => Promise.resolve('never'));
    c.retain(['kept']);
    assert.equal(signal?.aborted, true);
    assert.equal(c.size, 1);
    d.resolve('late');
    await p;
    assert.equal(c.peek('gone'), undefined);
    assert.deepEqual(changes, ['kept']);
    c.dispose();
  });

  test('200 refreshes of the same keys keep the cache at their number', async () => {
    const { c } = cache({ ttlMs: 0 });
    for (let i = 0; i < 200; i++) {
      await Promise.all(['a', 'b', 'c'].map((k) => c.run(k, () => Promise.resolve(String(i)))));
      c.request('d', () => Promise.resolve(String(i)));
    }
    await tick();
    assert.equal(c.size, 4);
    c.dispose();
    assert.equal(c.size, 0);
    const after: ProbeResult<string> = await c.run('x', () => Promise.resolve('y'));
    assert.equal(after.ok, false, 'a disposed cache probes nothing');
  });
});
