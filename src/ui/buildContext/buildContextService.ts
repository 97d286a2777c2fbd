/**
 * Build contexts measured for the CodeLens and the hover: each scan runs in a worker thread, is
 * cached per context folder and Dockerfile, and is dropped when a file under that folder changes
 * (the workspace's file watcher, debounced). What an upload costs on the link is probed once per
 * context endpoint, in the background (a lens shows the size at once and the time when the probe
 * has answered), as the docker CLI uploads: through the system's `ssh` into the daemon's build
 * (uploadProbe.ts); where that client cannot run unattended, on the pooled ssh2 connection. The
 * answer is reused for thirty minutes; a probe under way is cancelled when the window closes.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';
import { probeLinkSpeed, type LinkSpeed } from '../../core/buildContext/linkThroughput';
import { probeUpload } from '../../core/buildContext/uploadProbe';
import { parseEndpoint } from '../../core/contexts/endpoint';
import { runScanInWorker, type ScanResult } from '../../core/buildContext/runScan';
import type { EngineSubject } from '../../core/engine/engineMonitor';
import { SETTINGS_SECTION } from '../base/ids';
import type { EngineService } from '../engine/engineService';

/** A link's upload speed is measured again after this long (each probe sends up to 40 MiB). */
const LINK_TTL_MS = 2 * 60 * 60_000;
/** Per ssh process of the probe (login included) and for the fallback's rounds. */
const PROBE_TIMEOUT_MS = 60_000;
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
  private readonly links = new Map<string, { answer?: LinkSpeed; pending?: Promise<LinkSpeed | undefined> }>();
  private readonly probes = new AbortController();
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

  /**
   * What an upload to a context's daemon costs (ssh:// only): the answer when one is known and
   * fresh, else undefined at once — a probe then starts in the background and `onDidChange`
   * fires when it has answered.
   */
  linkSpeed(subject: EngineSubject): LinkSpeed | undefined {
    if (!vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>('buildContext.measureUpload', true)) {
      return undefined;
    }
    const key = `${subject.name}\0${subject.endpoint}`;
    const hit = this.links.get(key);
    if (hit?.answer && Date.now() - hit.answer.at < LINK_TTL_MS) {
      return hit.answer;
    }
    if (!hit?.pending) {
      const pending = this.probe(subject);
      this.links.set(key, { answer: hit?.answer, pending });
      void pending.then((answer) => {
        this.links.set(key, { answer: answer ?? hit?.answer });
        if (answer) {
          this.changed.fire();
        }
      });
    }
    return hit?.answer;
  }

  private async probe(subject: EngineSubject): Promise<LinkSpeed | undefined> {
    if (!/^ssh:\/\//i.test(subject.endpoint)) {
      return undefined;
    }
    const signal = this.probes.signal;
    try {
      const e = parseEndpoint(subject.endpoint);
      if (e.host === undefined) {
        return undefined;
      }
      const link = await probeUpload(
        {
          binary: process.platform === 'win32' ? 'ssh.exe' : 'ssh',
          destination: e.host,
          user: e.user,
          port: e.port,
          socketPath: e.path,
          env: process.env,
        },
        { timeoutMs: PROBE_TIMEOUT_MS, signal },
      );
      this.logger.info(`Upload to ${subject.name}: ${describeLink(link)} (through ssh, as the docker CLI uploads)`);
      return link;
    } catch (e) {
      if (signal.aborted) {
        return undefined;
      }
      this.logger.debug(
        `The upload probe through ssh for ${subject.name} failed: ${describeError(e)}; probing the pooled connection`,
      );
    }
    return this.probePool(subject, signal);
  }

  private async probePool(subject: EngineSubject, signal: AbortSignal): Promise<LinkSpeed | undefined> {
    try {
      const lease = await this.engine.lease(subject, { interactive: false, signal });
      try {
        const link = await probeLinkSpeed(lease.client, { timeoutMs: PROBE_TIMEOUT_MS, signal, rounds: 1 });
        this.logger.info(`Upload to ${subject.name}: ${describeLink(link)} (the pooled connection)`);
        return link;
      } finally {
        lease.release();
      }
    } catch (e) {
      this.logger.debug(`No link speed for ${subject.name}: ${describeError(e)}`);
      return undefined;
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
    this.probes.abort();
    for (const e of this.scans.values()) {
      e.abort.abort();
    }
    this.scans.clear();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}

function describeLink(l: LinkSpeed): string {
  return `${(l.bytesPerSecond / 1e6).toFixed(1)} MB/s after a fixed ${Math.round(l.fixedMs)} ms`;
}
