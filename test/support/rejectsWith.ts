import assert from 'node:assert/strict';
import { CoreError, type Reason } from '../../src/core/common/errors';

/** Awaits `p` and asserts it failed with a CoreError of `reason`; the error, for further checks. */
export async function rejectsWith(p: Promise<unknown>, reason: Reason): Promise<CoreError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CoreError, `expected CoreError(${reason}), got ${String(e)}`);
    assert.equal(e.reason, reason, `${e.reason}: ${e.message} ${JSON.stringify(e.details)}`);
    return e;
  }
  assert.fail(`expected CoreError(${reason}), but it succeeded`);
}
