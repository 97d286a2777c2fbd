import * as vscode from 'vscode';
import type { CurrentContext, DockerContextSummary } from '../../core/contexts/contextStore';
import { describeError } from '../../core/common/errors';
import { dataKey, LatestSnapshot } from '../../core/common/latestSnapshot';
import type { Logger } from '../../core/common/log';
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

export function currentSummary(s: ContextsSnapshot): DockerContextSummary | undefined {
  return s.current ? s.contexts.find((c) => c.name === s.current?.name) : undefined;
}

/**
 * Loads the store when asked (by the refresh manager) and tells listeners when what it shows
 * changed. Readers get the last snapshot, or wait for the first load, so the tree and the status
 * bar never read files twice (see LatestSnapshot).
 */
export class ContextsModel implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ContextsSnapshot>();
  readonly onDidChange = this.emitter.event;
  private readonly cell = new LatestSnapshot(
    () => this.load(),
    dataKey,
    (s) => this.emitter.fire(s),
  );

  constructor(
    private readonly docker: DockerStoreService,
    private readonly logger: Logger,
  ) {}

  /** The latest snapshot; before the first one exists, the load in progress (or a new one). */
  get snapshot(): Promise<ContextsSnapshot> {
    return this.cell.value;
  }

  peek(): ContextsSnapshot | undefined {
    return this.cell.peek();
  }

  /** Reads the store now (callers: the refresh manager) and tells listeners of a change. */
  reload(): Promise<ContextsSnapshot> {
    return this.cell.reload();
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
      this.logger.error(
        `Listing Docker contexts in ${store.configDir} failed: ${describeError(snap.listError)}`,
        snap.listError,
      );
    }
    if (snap.currentError) {
      this.logger.error(
        `Resolving the current Docker context failed: ${describeError(snap.currentError)}`,
        snap.currentError,
      );
    }
    // A refresh can race a settings change that swapped the store: keep only the newest store's data.
    if (store !== this.docker.store) {
      return this.load();
    }
    return snap;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
