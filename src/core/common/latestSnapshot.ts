/**
 * The newest result of a load that several readers share (the contexts store, the SSH
 * configuration). Readers get the last result, or, before there is one, wait for the load in
 * progress, so a view and the status bar asking at once read the files once. Listeners hear of a
 * result only when it differs from the last one by `key`: a reload that finds what was there
 * (our own write, read again when the file watcher reports it) redraws nothing, and a tree
 * redraw would drop a click on one of its rows.
 */
export class LatestSnapshot<T> {
  private latest: T | undefined;
  private inflight: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly key: (value: T) => string,
    private readonly changed: (value: T) => void,
  ) {}

  /** The latest result; before the first one exists, the load in progress (or a new one). */
  get value(): Promise<T> {
    if (this.latest !== undefined) {
      return Promise.resolve(this.latest);
    }
    return this.inflight ?? this.reload();
  }

  peek(): T | undefined {
    return this.latest;
  }

  /** Loads now; listeners hear of the result if it differs from the last one. */
  reload(): Promise<T> {
    const p = this.load()
      .then((next) => this.settle(next))
      .finally(() => {
        if (this.inflight === p) {
          this.inflight = undefined;
        }
      });
    this.inflight = p;
    return p;
  }

  private settle(next: T): T {
    if (this.latest !== undefined && this.key(this.latest) === this.key(next)) {
      return this.latest;
    }
    this.latest = next;
    this.changed(next);
    return next;
  }
}

/**
 * A comparable string of plain data that may hold errors (a failed listing, a host that did not
 * resolve): an error counts by its reason code and message.
 */
export function dataKey(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Error ? [(v as { reason?: unknown }).reason, v.message] : v,
  );
}
