/**
 * The last known answer of each daemon the UI shows (the status bar's context and every row of
 * the Docker Contexts view), and the rules for asking again:
 *
 * - `request` is the lazy path of a view: it never waits, returns what is known, and queues a
 *   probe only when nothing fresh is known. Queued probes run a few at a time, so a long list
 *   of unreachable hosts cannot open dozens of connection attempts at once.
 * - `run` is the direct path (the status bar, a command): it starts now, outside the queue,
 *   and by default joins a probe of the same key that is already under way.
 * - Every probe has a time limit of its own, on top of whatever the probe function enforces,
 *   so a probe that ignores its AbortSignal still ends.
 *
 * Failures are results too (they are what the UI shows), so `run` never rejects. A cancelled
 * probe leaves the previous result in place. Keys that are no longer shown are dropped with
 * `retain`, which also aborts their probes: the cache never grows beyond what is on screen.
 */
import { CoreError, describeError, isCancelled } from '../common/errors';

export type ProbeResult<T> = { ok: true; value: T; at: number } | { ok: false; error: CoreError; at: number };

/** What a view shows for one key. */
export interface ProbeEntry<T> {
  result?: ProbeResult<T>;
  /** A probe runs or waits in the queue. */
  probing: boolean;
  /** The result is older than the TTL or was invalidated. */
  stale: boolean;
}

export type Probe<T> = (signal: AbortSignal) => Promise<T>;

export interface EngineProbeCacheOptions {
  /** A result younger than this is fresh: `request` does not probe again. */
  ttlMs: number;
  /** Queued probes running at once. */
  concurrency: number;
  /** Time limit of one probe (queue time not counted). */
  timeoutMs: number;
  /** Called when a key's result changed (not when a probe merely starts). */
  onDidChange?: (key: string) => void;
  now?: () => number;
}

interface Inflight<T> {
  seq: number;
  promise: Promise<ProbeResult<T>>;
  controller: AbortController;
}

interface Slot<T> {
  result?: ProbeResult<T>;
  /** Sequence number of the probe that produced `result`: an older probe never overwrites a newer answer. */
  resultSeq: number;
  inflight?: Inflight<T>;
  queued?: Probe<T>;
  invalidated: boolean;
}

export class EngineProbeCache<T> {
  private readonly slots = new Map<string, Slot<T>>();
  private queue: string[] = [];
  private active = 0;
  private seq = 0;
  private disposed = false;
  private options: EngineProbeCacheOptions;
  private readonly now: () => number;

  constructor(options: EngineProbeCacheOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** New limits apply to probes started from now on. */
  configure(o: Partial<Pick<EngineProbeCacheOptions, 'ttlMs' | 'concurrency' | 'timeoutMs'>>): void {
    this.options = { ...this.options, ...o };
    this.pump();
  }

  peek(key: string): ProbeEntry<T> | undefined {
    const slot = this.slots.get(key);
    if (!slot) {
      return undefined;
    }
    return { result: slot.result, probing: !!slot.inflight || !!slot.queued, stale: this.isStale(slot) };
  }

  /** The lazy path: what is known now; a probe is queued when nothing fresh is known. */
  request(key: string, probe: Probe<T>): ProbeEntry<T> {
    const slot = this.slot(key);
    if (!this.disposed && !slot.inflight && !slot.queued && this.isStale(slot)) {
      slot.queued = probe;
      this.queue.push(key);
      this.pump();
    }
    return this.peek(key) as ProbeEntry<T>;
  }

  /**
   * The direct path: probes now and resolves with the result (also a failure). With `join`
   * (the default) an ongoing probe of the key is awaited instead of starting another one.
   * `timeoutMs` replaces the cache's limit for this probe (one that may wait for a person).
   */
  run(key: string, probe: Probe<T>, o: { join?: boolean; timeoutMs?: number } = {}): Promise<ProbeResult<T>> {
    if (this.disposed) {
      return Promise.resolve({
        ok: false,
        error: new CoreError('cancelled', 'The probe cache was disposed.'),
        at: this.now(),
      });
    }
    const slot = this.slot(key);
    if ((o.join ?? true) && slot.inflight) {
      return slot.inflight.promise;
    }
    if (slot.queued) {
      // This probe answers for the queued one.
      slot.queued = undefined;
      this.queue = this.queue.filter((k) => k !== key);
    }
    return this.start(key, slot, probe, o.timeoutMs);
  }

  /** Marks one key (or all) stale: the next `request` probes again; the old result stays visible until then. */
  invalidate(key?: string): void {
    for (const [k, slot] of this.slots) {
      if (key === undefined || k === key) {
        slot.invalidated = true;
      }
    }
  }

  /** Every key, for callers that invalidate by a property of the key. */
  keys(): string[] {
    return [...this.slots.keys()];
  }

  /** Drops every key not in `keys` (and aborts its probe). */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const [k, slot] of this.slots) {
      if (!keep.has(k)) {
        slot.inflight?.controller.abort();
        this.slots.delete(k);
      }
    }
    this.queue = this.queue.filter((k) => keep.has(k));
  }

  /** Number of keys held (tests and the memory benchmark check it stays bounded). */
  get size(): number {
    return this.slots.size;
  }

  dispose(): void {
    this.disposed = true;
    this.retain([]);
  }

  // -------------------------------------------------------------------------------------------

  private slot(key: string): Slot<T> {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { resultSeq: 0, invalidated: false };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private isStale(slot: Slot<T>): boolean {
    return !slot.result || slot.invalidated || this.now() - slot.result.at >= this.options.ttlMs;
  }

  private pump(): void {
    while (!this.disposed && this.active < Math.max(1, this.options.concurrency) && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      const slot = this.slots.get(key);
      const probe = slot?.queued;
      if (!slot || !probe) {
        continue;
      }
      slot.queued = undefined;
      this.active++;
      void this.start(key, slot, probe).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private start(
    key: string,
    slot: Slot<T>,
    probe: Probe<T>,
    timeoutMs = this.options.timeoutMs,
  ): Promise<ProbeResult<T>> {
    const seq = ++this.seq;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new CoreError('timeout', `No answer within ${timeoutMs} ms.`, { timeoutMs, stage: 'probe' }));
        controller.abort();
      }, timeoutMs);
    });
    // The probe's own rejection after the limit fired must not go unhandled.
    const work = probe(controller.signal);
    work.catch(() => undefined);
    const promise = Promise.race([work, limit]).then(
      (value): ProbeResult<T> => ({ ok: true, value, at: this.now() }),
      (e: unknown): ProbeResult<T> => ({ ok: false, error: toCoreError(e), at: this.now() }),
    );
    const inflight: Inflight<T> = { seq, promise, controller };
    slot.inflight = inflight;
    return promise.then((result) => {
      clearTimeout(timer);
      if (slot.inflight === inflight) {
        slot.inflight = undefined;
      }
      const current = this.slots.get(key);
      // Dropped meanwhile, cancelled, or overtaken by a newer answer: nothing to record.
      if (current === slot && !(result.ok === false && isCancelled(result.error)) && seq > slot.resultSeq) {
        slot.result = result;
        slot.resultSeq = seq;
        slot.invalidated = false;
        this.options.onDidChange?.(key);
      }
      return result;
    });
  }
}

function toCoreError(e: unknown): CoreError {
  if (e instanceof CoreError) {
    return e;
  }
  if (isCancelled(e)) {
    return new CoreError('cancelled', describeError(e));
  }
  return new CoreError('internal', describeError(e), {}, { cause: e });
}
