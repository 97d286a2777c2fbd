import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeError } from './errors';
import { errnoCode, isNotFound } from './fsutil';
import { nullLogger, type Logger } from './log';

/**
 * Watches files that other programs (the docker CLI in a terminal, an editor) change behind our
 * back, so the UI can follow them without polling. Built on Node's `fs.watch` with these rules:
 *
 * - A file is watched through its parent directory, filtered by name: the CLI and editors replace
 *   files by renaming a temp file over them, which would orphan a watch on the file's inode.
 * - A path that does not exist yet is watched through its nearest existing ancestor (filtered by
 *   the next path component), and the watch is moved down when the missing directories appear.
 * - A watched directory that is deleted or replaced is noticed (its own delete event, or an inode
 *   and creation-time check) and re-armed.
 * - The first relevant event after a quiet period is reported at once (a `docker context use` in a
 *   terminal reaches the status bar without waiting); the events that follow it within
 *   `debounceMs` are coalesced into one more call after `debounceMs` of quiet.
 */

export interface WatchTarget {
  /** Absolute path of the file or directory to follow. */
  path: string;
  /** `file`: the entry itself (watched via its parent). `tree`: a directory and everything below it. */
  kind: 'file' | 'tree';
}

export interface WatchChange {
  /** The targets (their `path`) that saw a change since the last call, in target order. */
  targets: string[];
}

export interface WatchOptions {
  debounceMs?: number;
  logger?: Logger;
}

export interface PathWatcher {
  /** Resolves once every target has a live watch (tests wait for it before touching files). */
  readonly ready: Promise<void>;
  close(): void;
}

export const DEFAULT_DEBOUNCE_MS = 150;

/** The files of the docker CLI's config directory whose changes alter the context list or the current context. */
export function dockerStoreWatchTargets(configDir: string): WatchTarget[] {
  return [
    { path: path.join(configDir, 'config.json'), kind: 'file' },
    { path: path.join(configDir, 'contexts', 'meta'), kind: 'tree' },
  ];
}

export function watchPaths(
  targets: readonly WatchTarget[],
  onChange: (change: WatchChange) => void,
  options: WatchOptions = {},
): PathWatcher {
  return new PathWatcherImpl(
    targets,
    onChange,
    options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    options.logger ?? nullLogger,
  );
}

/** What is being watched for one target right now. */
interface Armed {
  /** The directory actually handed to fs.watch. */
  dir: string;
  /** Identity of `dir` when armed, to notice it being deleted or replaced. */
  ino: number;
  dev: number;
  /** Creation time where the filesystem records one (0 otherwise): ext4 and tmpfs hand a deleted
   *  directory's inode number to the next directory made, so ino + dev alone miss a re-creation. */
  birthtimeMs: number;
  /** An event named like `dir` itself arrived: how Node reports the watched directory being deleted
   *  or moved (IN_DELETE_SELF / IN_MOVE_SELF). The next flush re-arms whatever the stat says. */
  selfEvent: boolean;
  recursive: boolean;
  /** Events for entries with this name (in `dir`) are relevant; undefined = every event is. */
  filter: string | undefined;
  /** True when `dir` is the target's own directory, false when it is an ancestor standing in for it. */
  exact: boolean;
  watcher: fs.FSWatcher | undefined;
}

class PathWatcherImpl implements PathWatcher {
  readonly ready: Promise<void>;
  private readonly armed: (Armed | undefined)[];
  private readonly dirty = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  /** Until then a relevant event joins the trailing call instead of being reported at once. */
  private quietUntil = 0;
  private closed = false;
  /** Serialises re-arming so two passes never race on the same slot. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly targets: readonly WatchTarget[],
    private readonly onChange: (change: WatchChange) => void,
    private readonly debounceMs: number,
    private readonly logger: Logger,
  ) {
    this.armed = targets.map(() => undefined);
    this.ready = this.enqueue(async () => {
      for (let i = 0; i < targets.length; i++) {
        await this.arm(i);
      }
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (let i = 0; i < this.armed.length; i++) {
      this.disarm(i);
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step).catch((e: unknown) => this.logger.warn(`File watcher: ${describeError(e)}`));
    this.chain = next;
    return next;
  }

  /**
   * Leading edge for a relevant event after a quiet period, trailing (debounced) for the rest.
   * Irrelevant events (the temp file an atomic writer renames over the target) never take the
   * leading edge, nor delay the one of the rename that follows them.
   */
  private schedule(relevant: boolean): void {
    if (this.closed) {
      return;
    }
    if (relevant) {
      const now = performance.now();
      const quiet = now >= this.quietUntil;
      this.quietUntil = now + this.debounceMs;
      if (quiet) {
        void this.enqueue(() => this.flush());
        return;
      }
      this.logger.trace(`File watcher: change held for ${this.debounceMs} ms of quiet`);
    }
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.enqueue(() => this.flush());
    }, this.debounceMs);
  }

  /** Re-arms whatever moved, then reports. Reporting after re-arming means a reader that lists
   *  the files in response sees every change made before the new watch existed. */
  private async flush(): Promise<void> {
    for (let i = 0; i < this.targets.length; i++) {
      if (await this.needsRearm(i)) {
        this.dirty.add(i);
        await this.arm(i);
      }
    }
    if (this.closed || this.dirty.size === 0) {
      this.dirty.clear();
      return;
    }
    const targets = [...this.dirty].sort((a, b) => a - b).map((i) => this.targets[i].path);
    this.dirty.clear();
    try {
      this.onChange({ targets });
    } catch (e) {
      this.logger.error(`File watcher listener failed: ${describeError(e)}`);
    }
  }

  private async needsRearm(i: number): Promise<boolean> {
    const a = this.armed[i];
    if (!a || !a.watcher || a.selfEvent) {
      return true;
    }
    try {
      const st = await fs.promises.stat(a.dir);
      if (st.ino !== a.ino || st.dev !== a.dev || st.birthtimeMs !== a.birthtimeMs) {
        return true;
      }
    } catch {
      return true;
    }
    // An ancestor stand-in is moved down as soon as the next directory towards the target exists.
    return !a.exact && (await this.watchRoot(this.targets[i])).dir !== a.dir;
  }

  private async arm(i: number): Promise<void> {
    this.disarm(i);
    if (this.closed) {
      return;
    }
    const target = this.targets[i];
    const root = await this.watchRoot(target);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(root.dir);
    } catch (e) {
      // Vanished between the two calls; the next event (or none, if the whole chain is gone) re-arms.
      this.logger.debug(`File watcher: ${root.dir} disappeared while arming (${errnoCode(e) ?? describeError(e)})`);
      return;
    }
    const recursive = target.kind === 'tree' && root.exact;
    const slot: Armed = {
      ...root,
      ino: st.ino,
      dev: st.dev,
      birthtimeMs: st.birthtimeMs,
      selfEvent: false,
      recursive,
      watcher: undefined,
    };
    slot.watcher = this.open(i, slot);
    this.armed[i] = slot;
    this.logger.trace(
      `File watcher: ${target.path} via ${root.dir}${recursive ? ' (recursive)' : ''}${slot.filter ? ` [${slot.filter}]` : ''}`,
    );
  }

  private open(i: number, slot: Armed): fs.FSWatcher | undefined {
    const listener = (_event: string, filename: string | Buffer | null): void => {
      const name = filename === null ? undefined : filename.toString();
      if (name === path.basename(slot.dir)) {
        // Either the directory itself went (the usual case) or an entry inside has its name: a
        // needless re-arm in the second case is cheap, a dead watch in the first is not.
        slot.selfEvent = true;
      }
      // A rename of the watched directory itself, or an event without a name, may mean our watch is
      // gone: treat it as relevant so the flush re-checks the slot.
      const relevant = slot.filter === undefined || name === undefined || name === '' || name === slot.filter;
      if (relevant) {
        this.dirty.add(i);
      }
      // Irrelevant events still schedule a flush: it costs a few stats and catches a watch whose
      // directory was removed without an event we recognise.
      this.schedule(relevant);
    };
    const tryWatch = (recursive: boolean): fs.FSWatcher => {
      const w = fs.watch(slot.dir, { recursive, persistent: false }, listener);
      w.on('error', (e) => {
        // Linux reports the removal of a watched directory this way on some Node versions.
        this.logger.debug(`File watcher error on ${slot.dir}: ${describeError(e)}`);
        if (slot.watcher === w) {
          w.close();
          slot.watcher = undefined;
        }
        this.dirty.add(i);
        this.schedule(false);
      });
      return w;
    };
    try {
      return tryWatch(slot.recursive);
    } catch (e) {
      if (slot.recursive && !isNotFound(e)) {
        // Recursive watching unsupported (older runtimes) or inotify limits reached: watching the
        // top directory still catches contexts being added and removed.
        this.logger.warn(
          `File watcher: recursive watch of ${slot.dir} failed (${errnoCode(e) ?? describeError(e)}); watching the top level only`,
        );
        slot.recursive = false;
        try {
          return tryWatch(false);
        } catch (e2) {
          this.logger.warn(`File watcher: cannot watch ${slot.dir}: ${describeError(e2)}`);
          return undefined;
        }
      }
      this.logger.warn(`File watcher: cannot watch ${slot.dir}: ${describeError(e)}`);
      return undefined;
    }
  }

  private disarm(i: number): void {
    const a = this.armed[i];
    if (a?.watcher) {
      a.watcher.close();
    }
    this.armed[i] = undefined;
  }

  /** The directory to hand to fs.watch for a target, and which entry name in it matters. */
  private async watchRoot(target: WatchTarget): Promise<{ dir: string; filter: string | undefined; exact: boolean }> {
    const wanted = target.kind === 'file' ? path.dirname(target.path) : target.path;
    let dir = wanted;
    let child: string | undefined = target.kind === 'file' ? path.basename(target.path) : undefined;
    for (;;) {
      if (await isDirectory(dir)) {
        return { dir, filter: child, exact: dir === wanted };
      }
      const parent = path.dirname(dir);
      if (parent === dir) {
        // Not even the filesystem root is a directory (cannot happen on a sane system).
        return { dir, filter: child, exact: false };
      }
      child = path.basename(dir);
      dir = parent;
    }
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(p)).isDirectory();
  } catch {
    return false;
  }
}
