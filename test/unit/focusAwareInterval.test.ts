/**
 * The status refresh timer: ticks at the interval only while the window is focused, never two
 * at once, an overdue tick at once when focus returns, 0 turns it off, and after a failure the
 * next ticks come at 1, 2, 4, 8 s until one succeeds. Node's mock timers and an injected clock
 * drive it, so nothing here depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { FocusAwareInterval } from '../../src/core/common/focusAwareInterval';

describe('FocusAwareInterval', () => {
  let now = 0;
  const clock = (): number => now;
  /** Moves the clock and the mocked timers together, then lets promise callbacks run. */
  const advance = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms; i += 100) {
      const step = Math.min(100, ms - i);
      now += step;
      mock.timers.tick(step);
      await new Promise((r) => setImmediate(r));
    }
  };

  beforeEach(() => {
    now = 0;
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  test('ticks once per interval while focused', async () => {
    let ticks = 0;
    const t = new FocusAwareInterval({ intervalMs: 1_000, focused: true, now: clock, tick: () => void ticks++ });
    await advance(999);
    assert.equal(ticks, 0);
    await advance(1);
    assert.equal(ticks, 1);
    await advance(3_000);
    assert.equal(ticks, 4);
    t.dispose();
    await advance(5_000);
    assert.equal(ticks, 4, 'nothing after dispose');
  });

  test('no ticks while unfocused; an overdue tick at once on focus, then the normal rhythm', async () => {
    let ticks = 0;
    const t = new FocusAwareInterval({ intervalMs: 1_000, focused: true, now: clock, tick: () => void ticks++ });
    await advance(1_000);
    assert.equal(ticks, 1);
    t.setFocused(false);
    assert.equal(t.armed, false);
    await advance(10_000);
    assert.equal(ticks, 1);
    t.setFocused(true);
    await advance(0);
    await advance(100);
    assert.equal(ticks, 2, 'overdue: runs on focus');
    await advance(900);
    assert.equal(ticks, 2);
    await advance(100);
    assert.equal(ticks, 3);
    t.dispose();
  });

  test('focus regained before the interval is over waits for the rest of it', async () => {
    let ticks = 0;
    const t = new FocusAwareInterval({ intervalMs: 1_000, focused: true, now: clock, tick: () => void ticks++ });
    await advance(400);
    t.setFocused(false);
    await advance(200);
    t.setFocused(true);
    await advance(300);
    assert.equal(ticks, 0);
    await advance(100);
    assert.equal(ticks, 1);
    t.dispose();
  });

  test('a slow tick is never overlapped by the next one', async () => {
    let running = 0;
    let maxRunning = 0;
    let ticks = 0;
    let release: (() => void) | undefined;
    const t = new FocusAwareInterval({
      intervalMs: 100,
      focused: true,
      now: clock,
      tick: async () => {
        ticks++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((r) => (release = r));
        running--;
      },
    });
    await advance(1_000);
    assert.equal(ticks, 1, 'the first tick is still running');
    release?.();
    await new Promise((r) => setImmediate(r));
    await advance(100);
    assert.equal(ticks, 2, 'overdue after the slow tick: the next one follows at once');
    release?.();
    await advance(100);
    release?.();
    assert.equal(maxRunning, 1);
    t.dispose();
  });

  test('0 turns it off; a new interval applies at once; reset restarts the wait; a throwing tick does not stop it', async () => {
    let ticks = 0;
    const t = new FocusAwareInterval({
      intervalMs: 0,
      focused: true,
      now: clock,
      tick: () => {
        ticks++;
        throw new Error('tick failed');
      },
    });
    await advance(5_000);
    assert.equal(ticks, 0);
    t.setIntervalMs(500);
    await advance(100);
    assert.equal(ticks, 1, 'overdue since the schedule began');
    await advance(300);
    t.reset();
    await advance(400);
    assert.equal(ticks, 1, 'reset moved the next tick');
    await advance(100);
    assert.equal(ticks, 2, 'and a throwing tick did not stop the schedule');
    t.setIntervalMs(0);
    await advance(5_000);
    assert.equal(ticks, 2);
    t.dispose();
  });

  test('after failures the next ticks come at 1, 2, 4, 8 s, then at the interval; a success ends the backoff', async () => {
    const at: number[] = [];
    let ok = false;
    const t = new FocusAwareInterval({
      intervalMs: 30_000,
      focused: true,
      now: clock,
      tick: () => {
        at.push(now);
        return ok;
      },
    });
    await advance(30_000);
    assert.deepEqual(at, [30_000], 'the first tick at the interval');
    await advance(45_000);
    assert.deepEqual(
      at.map((x, i) => (i === 0 ? 0 : x - at[i - 1])),
      [0, 1_000, 2_000, 4_000, 8_000, 30_000],
      'waits between ticks after the first failure',
    );
    ok = true;
    await advance(30_000);
    const n = at.length;
    await advance(30_000);
    assert.equal(at.length, n + 1, 'after a success: the interval again');
    assert.equal(at[n] - at[n - 1], 30_000);
    t.dispose();
  });

  test('a failure reported from outside the schedule starts the backoff from now; a reported success ends it', async () => {
    const at: number[] = [];
    const t = new FocusAwareInterval({
      intervalMs: 30_000,
      focused: true,
      now: clock,
      tick: () => {
        at.push(now);
        return false;
      },
    });
    await advance(5_000);
    t.noteResult(false);
    assert.equal(t.waitMs, 1_000);
    await advance(1_000);
    assert.deepEqual(at, [6_000], 'a retry 1 s after the reported failure');
    assert.equal(t.waitMs, 2_000, 'the next one 2 s after that');
    t.noteResult(true);
    assert.equal(t.waitMs, 30_000);
    await advance(29_900);
    assert.deepEqual(at, [6_000], 'a success reported meanwhile: back to the interval');
    await advance(100);
    assert.deepEqual(at, [6_000, 36_000]);
    t.dispose();
  });

  test('no retries while the window is not focused; the overdue one runs on focus', async () => {
    let ticks = 0;
    const t = new FocusAwareInterval({
      intervalMs: 30_000,
      focused: false,
      now: clock,
      tick: () => {
        ticks++;
        return false;
      },
    });
    t.noteResult(false);
    assert.equal(t.armed, false);
    await advance(60_000);
    assert.equal(ticks, 0);
    t.setFocused(true);
    await advance(100);
    assert.equal(ticks, 1, 'overdue: at once on focus');
    assert.equal(t.waitMs, 2_000, 'and the backoff goes on');
    t.dispose();
  });

  test('a retry is never longer than the interval, and an interval of 0 also turns the retries off', async () => {
    let ticks = 0;
    const t = new FocusAwareInterval({
      intervalMs: 3_000,
      focused: true,
      now: clock,
      tick: () => {
        ticks++;
        return false;
      },
    });
    t.noteResult(false);
    t.noteResult(false);
    t.noteResult(false);
    assert.equal(t.waitMs, 3_000, '4 s capped by the 3 s interval');
    t.setIntervalMs(0);
    t.noteResult(false);
    assert.equal(t.armed, false);
    await advance(60_000);
    assert.equal(ticks, 0);
    t.dispose();
  });
});
