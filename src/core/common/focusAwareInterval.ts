/**
 * A periodic task that runs only while the window is focused: polling a daemon for a window
 * nobody looks at costs battery and keeps SSH connections from going idle. On regaining focus
 * an overdue tick runs at once, so what the user looks at is never older than one interval.
 * Ticks never overlap: the next one is scheduled when the previous one has finished.
 */

export interface FocusAwareIntervalOptions {
  /** 0 (or less) turns the ticks off. */
  intervalMs: number;
  focused: boolean;
  tick: () => Promise<unknown> | unknown;
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
  private readonly now: () => number;

  constructor(private readonly o: FocusAwareIntervalOptions) {
    this.now = o.now ?? Date.now;
    this.intervalMs = o.intervalMs;
    this.focused = o.focused;
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

  /** True while a timer is armed (for tests and logs). */
  get armed(): boolean {
    return this.timer !== undefined;
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
    const wait = Math.max(0, this.last + this.intervalMs - this.now());
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
      await this.o.tick();
    } catch {
      // The task reports its own failures; a throw must not stop the schedule.
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
