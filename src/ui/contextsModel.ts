import * as vscode from 'vscode';
import type { CurrentContext, DockerContextSummary } from '../core/docker/contextStore';
import { describeError } from '../core/errors';
import type { Logger } from '../core/log';
import type { DockerStoreService } from './dockerStoreService';

/** DOCKER_HOST / DOCKER_CONTEXT as set in the extension host (and so in terminals it opens). */
export interface EnvOverrides {
  dockerHost?: string;
  dockerContext?: string;
}

/** One consistent reading of the context store, shared by the tree, the status bar and pickers. */
export interface ContextsSnapshot {
  configDir: string;
  configFile: string;
  contexts: DockerContextSummary[];
  /** Undefined only when the current context could not be resolved at all (see `currentError`). */
  current?: CurrentContext;
  /** Set when listing failed as a whole; `contexts` is then empty. */
  listError?: unknown;
  currentError?: unknown;
  env: EnvOverrides;
}

export function readEnvOverrides(env: NodeJS.ProcessEnv = process.env): EnvOverrides {
  return {
    dockerHost: env.DOCKER_HOST || undefined,
    dockerContext: env.DOCKER_CONTEXT || undefined,
  };
}

/** Everything a snapshot shows, as one comparable string. */
function snapshotKey(s: ContextsSnapshot): string {
  const err = (e: unknown): string | undefined => (e === undefined ? undefined : describeError(e));
  return JSON.stringify([s.configDir, s.configFile, s.contexts, s.current, err(s.listError), err(s.currentError), s.env]);
}

export function currentSummary(s: ContextsSnapshot): DockerContextSummary | undefined {
  return s.current ? s.contexts.find((c) => c.name === s.current?.name) : undefined;
}

/**
 * Loads the store when asked (by the refresh manager) and tells listeners. Readers get the last
 * snapshot, or wait for the first load, so the tree and the status bar never read files twice.
 */
export class ContextsModel implements vscode.Disposable {
  private latest: ContextsSnapshot | undefined;
  private inflight: Promise<ContextsSnapshot> | undefined;
  private readonly emitter = new vscode.EventEmitter<ContextsSnapshot>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly docker: DockerStoreService,
    private readonly logger: Logger,
  ) {}

  /** The latest snapshot; before the first one exists, the load in progress (or a new one). */
  get snapshot(): Promise<ContextsSnapshot> {
    if (this.latest) {
      return Promise.resolve(this.latest);
    }
    return this.inflight ?? this.reload();
  }

  peek(): ContextsSnapshot | undefined {
    return this.latest;
  }

  /** Reads the store now (callers: the refresh manager) and tells listeners. */
  reload(): Promise<ContextsSnapshot> {
    const p = this.load().finally(() => {
      if (this.inflight === p) {
        this.inflight = undefined;
      }
    });
    this.inflight = p;
    return p;
  }

  private async load(): Promise<ContextsSnapshot> {
    const store = this.docker.store;
    const [list, current] = await Promise.allSettled([store.list(), store.current()]);
    const snap: ContextsSnapshot = {
      configDir: store.configDir,
      configFile: store.configFile,
      contexts: list.status === 'fulfilled' ? list.value : [],
      current: current.status === 'fulfilled' ? current.value : undefined,
      listError: list.status === 'rejected' ? list.reason : undefined,
      currentError: current.status === 'rejected' ? current.reason : undefined,
      env: readEnvOverrides(),
    };
    if (snap.listError) {
      this.logger.error(`Listing Docker contexts in ${store.configDir} failed: ${describeError(snap.listError)}`, snap.listError);
    }
    if (snap.currentError) {
      this.logger.error(`Resolving the current Docker context failed: ${describeError(snap.currentError)}`, snap.currentError);
    }
    // A refresh can race a settings change that swapped the store: keep only the newest store's data.
    if (store !== this.docker.store) {
      return this.load();
    }
    // Nothing to tell when the files say what they said: our own writes are read twice (right
    // after the write, then by the file watcher), and every redraw of the tree briefly drops
    // clicks on its rows, so an unchanged store must not redraw it.
    if (this.latest && snapshotKey(this.latest) === snapshotKey(snap)) {
      return this.latest;
    }
    this.latest = snap;
    this.emitter.fire(snap);
    return snap;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
