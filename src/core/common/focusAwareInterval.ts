/**
 * A periodic task that runs only while the window is focused: polling a daemon for a window
 * nobody looks at costs battery and keeps SSH connections from going idle. On regaining focus
 * an overdue tick runs at once, so what the user looks at is never older than one interval.
 * Ticks never overlap: the next one is scheduled when the previous one has finished.
 *
 * After a failure (a tick that answers `false`, or one reported with `noteResult`) the next
 * ticks come sooner, by `retryDelaysMs` (1, 2, 4, 8 s by default), and then at the interval
 * again: a daemon that comes back is seen within seconds, one that stays away costs a few
 * attempts. A success ends the backoff.
 */

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000];

export interface FocusAwareIntervalOptions {
  /** 0 (or less) turns the ticks off. */
  intervalMs: number;
  focused: boolean;
  /** Answers `false` when the task failed (the backoff starts or goes on); anything else is a success. */
  tick: () => unknown;
  /** Waits after the 1st, 2nd, … failure in a row; the interval after that. */
  retryDelaysMs?: readonly number[];
  now?: () => number;
}

export class FocusAwareInterval {
  private intervalMs: number;
  private focused: boolean;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private disposed = false;
  /** When the last tick started (or the schedule began). */
  private last: number;
  /** Failures in a row (0 = the normal rhythm). */
  private failures = 0;
  private readonly retryDelaysMs: readonly number[];
  private readonly now: () => number;

  constructor(private readonly o: FocusAwareIntervalOptions) {
    this.now = o.now ?? Date.now;
    this.intervalMs = o.intervalMs;
    this.focused = o.focused;
    this.retryDelaysMs = o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.last = this.now();
    this.schedule();
  }

  setFocused(focused: boolean): void {
    if (focused === this.focused) {
      return;
    }
    this.focused = focused;
    this.schedule();
  }

  setIntervalMs(ms: number): void {
    if (ms === this.intervalMs) {
      return;
    }
    this.intervalMs = ms;
    this.schedule();
  }

  /** Restarts the wait (after a refresh that happened for another reason, e.g. a switch). */
  reset(): void {
    this.last = this.now();
    this.schedule();
  }

  /**
   * The outcome of a run of the task made outside the schedule (after a switch, a dropped
   * connection): a failure starts the backoff from now, a success ends it.
   */
  noteResult(ok: boolean): void {
    this.failures = ok ? 0 : this.failures + 1;
    this.last = this.now();
    this.schedule();
  }

  /** True while a timer is armed (for tests and logs). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** The wait before the next tick, counted from the last one (for tests and logs). */
  get waitMs(): number {
    const retry = this.failures > 0 ? this.retryDelaysMs[this.failures - 1] : undefined;
    return retry !== undefined ? Math.min(retry, this.intervalMs) : this.intervalMs;
  }

  dispose(): void {
    this.disposed = true;
    this.clear();
  }

  private clear(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    this.clear();
    if (this.disposed || this.running || !this.focused || this.intervalMs <= 0) {
      return;
    }
    const wait = Math.max(0, this.last + this.waitMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.fire();
    }, wait);
    this.timer.unref?.();
  }

  private async fire(): Promise<void> {
    if (this.disposed || !this.focused) {
      return;
    }
    this.running = true;
    this.last = this.now();
    try {
      const r = await this.o.tick();
      this.failures = r === false ? this.failures + 1 : 0;
    } catch {
      // The task reports its own failures; a throw must not stop the schedule.
      this.failures++;
    } finally {
      if (this.failures > 0) {
        // A retry waits from the failure's end: an attempt that ran into a timeout is not followed at once.
        this.last = this.now();
      }
      this.running = false;
      this.schedule();
    }
  }
}
