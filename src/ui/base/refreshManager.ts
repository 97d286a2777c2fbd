import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';

/**
 * What can be refreshed. Each part of the UI that shows data from disk or from a remote registers
 * a handler for its scope; the SSH Hosts view and the engine probes add their scopes here.
 */
export type RefreshScope = 'contexts' | 'sshHosts' | 'engine';
/** In this order: the engine handlers read the contexts snapshot the `contexts` handlers just made. */
export const ALL_SCOPES: readonly RefreshScope[] = ['contexts', 'sshHosts', 'engine'];

/** Why a refresh was asked for; logged, and passed to handlers that want to skip needless work. */
export type RefreshReason = 'activation' | 'command' | 'files' | 'settings' | 'afterChange' | 'window';

export type RefreshHandler = (reasons: readonly RefreshReason[]) => Promise<void> | void;

/** Structurally a vscode.Disposable; this module stays vscode-free so plain Node tests can run it. */
export interface Disposable {
  dispose(): void;
}

/** Requests arriving within this window after a refresh started share the next one. */
const COALESCE_MS = 30;

/**
 * The one refresh policy: file watchers, settings changes, commands and the Refresh button all
 * call `request`; requests are coalesced per scope and handlers never run concurrently with
 * themselves, so there is no flicker and no race between two reloads of the same data.
 *
 * The first request after a quiet period runs at once (requests made in the same tick join it):
 * a switch made in a terminal reaches the status bar without a stacked delay. Requests that
 * follow within `coalesceMs` of a refresh's start, or while it runs, share one more refresh.
 */
export class RefreshManager implements Disposable {
  private readonly handlers = new Map<RefreshScope, RefreshHandler[]>();
  private pending = new Map<RefreshScope, Set<RefreshReason>>();
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** A leading refresh is queued for the end of the current tick. */
  private queued = false;
  private lastStart = Number.NEGATIVE_INFINITY;
  private running = false;
  private disposed = false;

  constructor(
    private readonly logger: Logger,
    private readonly coalesceMs = COALESCE_MS,
  ) {}

  register(scope: RefreshScope, handler: RefreshHandler): Disposable {
    const list = this.handlers.get(scope) ?? [];
    list.push(handler);
    this.handlers.set(scope, list);
    return {
      dispose: () => {
        const l = this.handlers.get(scope);
        const i = l ? l.indexOf(handler) : -1;
        if (l && i >= 0) {
          l.splice(i, 1);
        }
      },
    };
  }

  /**
   * Asks for a refresh. The promise resolves once a refresh that started after this call has
   * finished, so a command can await it and leave the UI up to date; fire-and-forget callers
   * use `void`.
   */
  request(scopes: RefreshScope | readonly RefreshScope[] | 'all', reason: RefreshReason): Promise<void> {
    if (this.disposed) {
      return Promise.resolve();
    }
    const list = scopes === 'all' ? ALL_SCOPES : typeof scopes === 'string' ? [scopes] : scopes;
    for (const s of list) {
      const reasons = this.pending.get(s) ?? new Set<RefreshReason>();
      reasons.add(reason);
      this.pending.set(s, reasons);
    }
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.timer || this.queued || this.running || this.disposed) {
      return;
    }
    const wait = this.lastStart + this.coalesceMs - performance.now();
    if (wait <= 0) {
      this.queued = true;
      queueMicrotask(() => {
        this.queued = false;
        if (!this.disposed) {
          void this.flush();
        }
      });
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    this.running = true;
    this.lastStart = performance.now();
    const work = this.pending;
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    for (const [scope, reasons] of work) {
      const why = [...reasons];
      this.logger.trace(`Refreshing ${scope} (${why.join(', ')})`);
      for (const handler of this.handlers.get(scope) ?? []) {
        try {
          await handler(why);
        } catch (e) {
          // Handlers show their own failures (as tree items, status); this is only a safety net.
          this.logger.error(`Refresh of ${scope} failed: ${describeError(e)}`);
        }
      }
    }
    this.running = false;
    for (const w of waiters) {
      w();
    }
    if (this.pending.size > 0) {
      this.schedule();
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const w of this.waiters) {
      w();
    }
    this.waiters = [];
    this.handlers.clear();
  }
}
