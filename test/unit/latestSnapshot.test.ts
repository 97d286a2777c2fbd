/**
 * The shared latest result of the contexts store and the SSH configuration: readers share one
 * load, listeners hear only of changes (a tree redraw would drop a click on one of its rows).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import { dataKey, LatestSnapshot } from '../../src/core/common/latestSnapshot';

interface Snap {
  names: string[];
  error?: unknown;
}

/** A source whose next load answers `next`, counting loads and change reports. */
function source(first: Snap) {
  const s = { next: first, loads: 0, reported: [] as Snap[] };
  const cell = new LatestSnapshot<Snap>(
    async () => {
      s.loads++;
      await new Promise((r) => setImmediate(r));
      return { ...s.next, names: [...s.next.names] };
    },
    dataKey,
    (v) => s.reported.push(v),
  );
  return { s, cell };
}

describe('LatestSnapshot', () => {
  test('readers before the first result share one load', async () => {
    const { s, cell } = source({ names: ['a'] });
    assert.equal(cell.peek(), undefined);
    const [x, y] = await Promise.all([cell.value, cell.value]);
    assert.equal(s.loads, 1);
    assert.equal(x, y);
    assert.deepEqual(x, { names: ['a'] });
    assert.equal(cell.peek(), x);
    await cell.value;
    assert.equal(s.loads, 1, 'a reader after the first result reads no files');
  });

  test('a reload that finds the same data tells nobody and keeps the old object; a change is told once', async () => {
    const { s, cell } = source({ names: ['a'] });
    const first = await cell.reload();
    assert.equal(s.reported.length, 1);
    assert.equal(await cell.reload(), first, 'unchanged: the same snapshot');
    assert.equal(s.reported.length, 1, 'unchanged: no report');
    s.next = { names: ['a', 'b'] };
    const second = await cell.reload();
    assert.deepEqual(second, { names: ['a', 'b'] });
    assert.deepEqual(s.reported, [first, second]);
    assert.equal(cell.peek(), second);
  });

  test('errors count by reason and message', async () => {
    const { s, cell } = source({ names: [], error: new CoreError('fileUnreadable', 'no access') });
    await cell.reload();
    s.next = { names: [], error: new CoreError('fileUnreadable', 'no access') };
    await cell.reload();
    assert.equal(s.reported.length, 1, 'the same failure again');
    s.next = { names: [], error: new CoreError('sshConfigUnparsable', 'no access') };
    await cell.reload();
    s.next = { names: [], error: new Error('another message') };
    await cell.reload();
    assert.equal(s.reported.length, 3);
  });

  test('a failed load rejects its readers and the next reader loads again', async () => {
    let fail = true;
    const cell = new LatestSnapshot<Snap>(
      () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve({ names: ['x'] })),
      dataKey,
      () => undefined,
    );
    await assert.rejects(cell.value, /boom/);
    fail = false;
    assert.deepEqual(await cell.value, { names: ['x'] });
  });
});
