/**
 * Build contexts measured for the CodeLens and the hover: each scan runs in a worker thread, is
 * cached per context folder and Dockerfile, and is dropped when a file under that folder changes
 * (the workspace's file watcher, debounced). The link's speed is probed once per context on the
 * pooled SSH connection and reused for ten minutes.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';
import { probeLinkSpeed, type LinkSpeed } from '../../core/buildContext/linkThroughput';
import { runScanInWorker, type ScanResult } from '../../core/buildContext/runScan';
import type { EngineSubject } from '../../core/engine/engineMonitor';
import type { EngineService } from '../engine/engineService';

const LINK_TTL_MS = 10 * 60_000;
const PROBE_TIMEOUT_MS = 30_000;
const INVALIDATE_DELAY_MS = 1_000;

export interface BuildTarget {
  contextDir: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
}

interface Entry {
  result: Promise<ScanResult>;
  abort: AbortController;
}

export class BuildContextService implements vscode.Disposable {
  private readonly scans = new Map<string, Entry>();
  private readonly links = new Map<string, Promise<LinkSpeed | undefined> & { at?: number }>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** A scan's answer is out of date (files changed): lenses and hovers ask again. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly workerFile: string,
    private readonly engine: EngineService,
    private readonly logger: Logger,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    const touched = (uri: vscode.Uri): void => this.touched(uri.fsPath);
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate(touched),
      watcher.onDidChange(touched),
      watcher.onDidDelete(touched),
      engine.onDidChangeStatusSubject(() => this.changed.fire()),
    );
  }

  /** The scan of a build context (joined when one is under way or cached). */
  scan(t: BuildTarget): Promise<ScanResult> {
    const key = `${t.contextDir}\0${t.dockerfile}`;
    let e = this.scans.get(key);
    if (!e) {
      const abort = new AbortController();
      const result = runScanInWorker(
        this.workerFile,
        { contextDir: t.contextDir, dockerfile: t.dockerfile },
        abort.signal,
      );
      e = { result, abort };
      this.scans.set(key, e);
      const mine = e;
      result.catch((err: unknown) => {
        if (this.scans.get(key) === mine) {
          this.scans.delete(key);
        }
        if (!abort.signal.aborted) {
          this.logger.warn(`Measuring the build context ${t.contextDir} failed: ${describeError(err)}`);
        }
      });
    }
    return e.result;
  }

  /** The measured speed of the link to a context's daemon (ssh:// only), or undefined. */
  linkSpeed(subject: EngineSubject): Promise<LinkSpeed | undefined> {
    const hit = this.links.get(subject.name);
    if (hit && (hit.at === undefined || Date.now() - hit.at < LINK_TTL_MS)) {
      return hit;
    }
    const p: Promise<LinkSpeed | undefined> & { at?: number } = this.probe(subject);
    this.links.set(subject.name, p);
    void p.then((l) => {
      if (l) {
        p.at = l.at;
      } else {
        this.links.delete(subject.name);
      }
    });
    return p;
  }

  private async probe(subject: EngineSubject): Promise<LinkSpeed | undefined> {
    if (!/^ssh:\/\//i.test(subject.endpoint)) {
      return undefined;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
    try {
      const lease = await this.engine.lease(subject, { interactive: false, signal: abort.signal });
      try {
        return await probeLinkSpeed(lease.client, { timeoutMs: PROBE_TIMEOUT_MS, signal: abort.signal });
      } finally {
        lease.release();
      }
    } catch (e) {
      this.logger.debug(`No link speed for ${subject.name}: ${describeError(e)}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forgets the scan of one context now (after an edit of its ignore file by a code action). */
  forget(contextDir: string): void {
    this.touched(path.join(contextDir, '.dockerignore'));
  }

  private touched(file: string): void {
    this.dirty.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), INVALIDATE_DELAY_MS);
  }

  private flush(): void {
    const files = [...this.dirty];
    this.dirty = new Set();
    let any = false;
    for (const [key, e] of this.scans) {
      const dir = key.slice(0, key.indexOf('\0'));
      const [, dockerfile] = key.split('\0');
      const inside = files.some((f) => f === dir || f.startsWith(dir + path.sep) || f === `${dockerfile}.dockerignore`);
      if (inside) {
        e.abort.abort();
        this.scans.delete(key);
        any = true;
      }
    }
    if (any) {
      this.changed.fire();
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const e of this.scans.values()) {
      e.abort.abort();
    }
    this.scans.clear();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
