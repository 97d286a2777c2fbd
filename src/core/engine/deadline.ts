/**
 * The one deadline helper of the engine code and of diagnose: a promise raced with a timer and an
 * AbortSignal. What arrives too late (a channel, a connection) is handed to `onLate` so the caller
 * can close it instead of leaking it.
 */
import { CoreError, cancelledError } from '../common/errors';

export interface DeadlineOptions<T> {
  timeoutMs: number;
  signal?: AbortSignal;
  /** The error on expiry (default: a `timeout` CoreError with `timeoutMs`). */
  onTimeout?: () => CoreError;
  /** Receives a value that arrived after the deadline or the abort. */
  onLate?: (value: T) => void;
}

export function withDeadline<T>(p: Promise<T>, o: DeadlineOptions<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => finish(() => reject(cancelledError()));
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            o.onTimeout?.() ??
              new CoreError('timeout', `No answer within ${o.timeoutMs} ms.`, { timeoutMs: o.timeoutMs }),
          ),
        ),
      Math.max(1, o.timeoutMs),
    );
    if (o.signal?.aborted) {
      onAbort();
    } else {
      o.signal?.addEventListener('abort', onAbort, { once: true });
    }
    p.then(
      (v) => {
        if (done) {
          o.onLate?.(v);
          return;
        }
        finish(() => resolve(v));
      },
      (e: unknown) => finish(() => reject(asError(e))),
    );
  });
}

/** What a promise rejected with, as an Error (CoreErrors and Errors pass unchanged). */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
