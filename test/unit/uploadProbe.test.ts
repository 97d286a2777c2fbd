/**
 * The upload estimate's line: the cost per byte and the fixed cost fitted through each round's
 * small and large transfer (the probe itself runs against a real sshd and dockerd in
 * test/integration/uploadProbe.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateUploadSeconds } from '../../src/core/buildContext/linkThroughput';
import { fitUpload, type ProcessTiming } from '../../src/core/buildContext/uploadProbe';

const MB = 1_000_000;
/** A transfer of `bytes` on a line of `fixedMs` plus `bytes` at `rate`. */
const run = (bytes: number, fixedMs: number, rate: number): ProcessTiming => ({
  bytes,
  totalMs: fixedMs + (bytes * 1000) / rate,
  stdout: 'HTTP/1.1 500 Internal Server Error\r\n',
});

test('the slope is the rate and the intercept the fixed cost, whatever the pause at the start costs', () => {
  // 1.5 s before the first byte counts as fixed: a single transfer would have charged it per byte.
  const rounds = [1, 2, 3].map(() => ({ small: run(8 * MB, 1500, 20 * MB), large: run(32 * MB, 1500, 20 * MB) }));
  const fit = fitUpload(rounds);
  assert.ok(fit);
  assert.ok(Math.abs(fit.bytesPerSecond - 20 * MB) < 1, `${fit.bytesPerSecond}`);
  assert.ok(Math.abs(fit.fixedMs - 1500) < 1e-6, `${fit.fixedMs}`);
  // 50 MB: 1.5 s + 2.5 s.
  assert.ok(Math.abs(estimateUploadSeconds(50 * MB, { ...fit, via: 'openssh', at: 0 }) - 4) < 1e-9);
});

test('one disturbed round out of three does not move the answer (medians)', () => {
  const fit = fitUpload([
    { small: run(8 * MB, 800, 30 * MB), large: run(32 * MB, 800, 30 * MB) },
    // The machine was busy during the large transfer of this round.
    { small: run(8 * MB, 800, 30 * MB), large: run(32 * MB, 5000, 30 * MB) },
    { small: run(8 * MB, 800, 30 * MB), large: run(32 * MB, 800, 30 * MB) },
  ]);
  assert.ok(fit);
  assert.ok(Math.abs(fit.bytesPerSecond - 30 * MB) < 1);
  assert.ok(Math.abs(fit.fixedMs - 800) < 1e-6);
});

test('rounds whose two transfers are too close in size (a slow link cut both short) are left out', () => {
  const slow = { small: run(3 * MB, 900, 2 * MB), large: run(3.5 * MB, 900, 2 * MB) };
  assert.equal(fitUpload([slow, slow]), undefined);
  const fit = fitUpload([slow, { small: run(3 * MB, 900, 2 * MB), large: run(10 * MB, 900, 2 * MB) }]);
  assert.ok(fit);
  assert.ok(Math.abs(fit.bytesPerSecond - 2 * MB) < 1);
});

test('a negative intercept (noise) counts as no fixed cost; a shorter large transfer says nothing', () => {
  const at = (bytes: number, totalMs: number): ProcessTiming => ({ bytes, totalMs, stdout: '' });
  // 24 MB in 2400 ms: 10 MB/s, whose line crosses zero bytes at -300 ms.
  const fit = fitUpload([{ small: at(8 * MB, 500), large: at(32 * MB, 2900) }]);
  assert.ok(fit);
  assert.equal(fit.fixedMs, 0);
  assert.equal(fitUpload([{ small: run(8 * MB, 2000, 10 * MB), large: run(32 * MB, -3000, 10 * MB) }]), undefined);
});
