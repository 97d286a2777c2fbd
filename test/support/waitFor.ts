/**
 * Bounded polling for the end-to-end tests: wait for a state the UI (or the CLI) reaches, and
 * when it does not, fail with the last value seen so the failure says what was shown instead.
 */

/**
 * Polls `probe` until `ok` holds and returns that value; after `timeoutMs` throws with the last
 * value seen. A probe that throws counts as "not yet".
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await probe();
      if (ok(value)) {
        return value;
      }
      last = JSON.stringify(value);
    } catch (error) {
      last = `error ${String(error)}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${last}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `check` until it is true (30 s by default, as long UI steps take); fails like `waitFor`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(what, check, (ok) => ok, timeoutMs);
}
