/**
 * The one view model of "what do we know about context X's daemon": nothing yet, facts from an
 * earlier session not yet checked again, facts read in this session, or a failure with its
 * reason; whether a probe is under way; when the shown answer was read. The status bar and the
 * Docker Contexts view both read it and both listen to its events; nothing is pushed to them.
 *
 * Probes go through EngineProbeCache (time limits, a bounded queue for the view's lazy probes,
 * an older answer never overwriting a newer one); facts that a probe read are written to the
 * FactsMemory so the next session starts with them.
 */
import type { CoreError } from '../common/errors';
import { parseEndpoint } from '../contexts/endpoint';
import { EngineProbeCache, type Probe, type ProbeResult } from './engineProbeCache';
import type { EngineInfo } from './engineInfo';
import { FactsMemory, type RememberedFacts } from './engineFactsMemory';
import { keyId, type EngineKey } from './engineKey';
import { needsInteraction } from './engineSshTarget';
import { isCalmFailure } from './engineStatusFormat';

interface StateBase {
  readonly key: EngineKey;
  /** A probe runs or waits in the queue. */
  readonly probing: boolean;
  /** A probe a person started runs (it may ask; the status bar shows it as connecting). */
  readonly personProbing: boolean;
  /** Older than the TTL or invalidated: the next lazy read probes again. */
  readonly stale: boolean;
}

export type DaemonState = StateBase &
  (
    | { readonly kind: 'unknown' }
    /** Facts from an earlier session (persisted), shown until this session's first answer. */
    | { readonly kind: 'remembered'; readonly facts: RememberedFacts }
    | { readonly kind: 'ok'; readonly info: EngineInfo }
    | {
        readonly kind: 'failed';
        readonly error: CoreError;
        /** When the failure was seen (Date.now()). */
        readonly at: number;
        /** A normal state rather than a problem (no daemon behind a local socket): no warning colours. */
        readonly calm: boolean;
        /** A prompt can resolve it (trust the host key, enter the passphrase). */
        readonly interactive: boolean;
        /** An ssh:// endpoint (its diagnose is the SSH report). */
        readonly ssh: boolean;
      }
  );

export interface EngineStatesOptions {
  ttlMs: number;
  concurrency: number;
  timeoutMs: number;
  memory?: FactsMemory;
  now?: () => number;
  /** Writing the facts failed (logged by the caller; the state itself is not affected). */
  onMemoryError?: (e: unknown) => void;
}

type Listener<T> = (value: T) => void;

function listen<T>(set: Set<Listener<T>>, l: Listener<T>): { dispose(): void } {
  set.add(l);
  return { dispose: () => set.delete(l) };
}

function fire<T>(set: Set<Listener<T>>, value: T): void {
  for (const l of [...set]) {
    l(value);
  }
}

function schemeOf(endpoint: string): ReturnType<typeof parseEndpoint>['scheme'] | undefined {
  try {
    return parseEndpoint(endpoint).scheme;
  } catch {
    return undefined;
  }
}

export class EngineStates {
  private readonly cache: EngineProbeCache<EngineInfo>;
  private readonly memory: FactsMemory;
  /** The key object of every id the cache holds (ids are never parsed back). */
  private readonly keys = new Map<string, EngineKey>();
  /** Person probes under way per id. */
  private readonly personProbes = new Map<string, number>();
  private readonly changeListeners = new Set<Listener<EngineKey>>();
  private readonly invalidateListeners = new Set<Listener<void>>();

  constructor(private readonly o: EngineStatesOptions) {
    this.memory = o.memory ?? new FactsMemory();
    this.cache = new EngineProbeCache<EngineInfo>({
      ttlMs: o.ttlMs,
      concurrency: o.concurrency,
      timeoutMs: o.timeoutMs,
      now: o.now,
      onDidChange: (id) => this.recorded(id),
    });
  }

  /** A key's state changed: an answer arrived, or a probe started where nothing (or a failure) was shown. */
  onDidChange(l: Listener<EngineKey>): { dispose(): void } {
    return listen(this.changeListeners, l);
  }

  /** Every answer became stale (Refresh, a dropped connection, new settings): views should ask again. */
  onDidInvalidate(l: Listener<void>): { dispose(): void } {
    return listen(this.invalidateListeners, l);
  }

  configure(o: { ttlMs: number; timeoutMs: number }): void {
    this.cache.configure(o);
  }

  /** What is known now, without probing. */
  get(key: EngineKey): DaemonState {
    const id = keyId(key);
    const entry = this.cache.peek(id);
    const base: StateBase = {
      key,
      probing: entry?.probing ?? false,
      personProbing: (this.personProbes.get(id) ?? 0) > 0,
      stale: entry?.stale ?? true,
    };
    const r = entry?.result;
    if (!r) {
      const facts = this.memory.recall(key);
      return facts ? { ...base, kind: 'remembered', facts } : { ...base, kind: 'unknown' };
    }
    if (r.ok) {
      return { ...base, kind: 'ok', info: r.value };
    }
    const scheme = schemeOf(key.endpoint);
    return {
      ...base,
      kind: 'failed',
      error: r.error,
      at: r.at,
      calm: isCalmFailure(scheme, r.error.reason),
      interactive: needsInteraction(r.error),
      ssh: scheme === 'ssh',
    };
  }

  /** The lazy path of a view: the state now, and a background probe queued when nothing fresh is known. */
  request(key: EngineKey, probe: Probe<EngineInfo>): DaemonState {
    this.cache.request(this.track(key), probe);
    return this.get(key);
  }

  /**
   * The direct path: probes now and resolves with the answer (also a failure). A background
   * probe joins one under way; a person's probe starts its own (it may ask) with `timeoutMs`.
   */
  async run(
    key: EngineKey,
    probe: Probe<EngineInfo>,
    o: { person: boolean; timeoutMs?: number },
  ): Promise<ProbeResult<EngineInfo>> {
    const id = this.track(key);
    const before = this.get(key);
    if (o.person) {
      this.personProbes.set(id, (this.personProbes.get(id) ?? 0) + 1);
    }
    const p = this.cache.run(id, probe, { join: !o.person, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    if (o.person || before.kind === 'unknown') {
      fire(this.changeListeners, key);
    }
    try {
      return await p;
    } finally {
      if (o.person) {
        const n = (this.personProbes.get(id) ?? 1) - 1;
        if (n > 0) {
          this.personProbes.set(id, n);
        } else {
          this.personProbes.delete(id);
          // A cancelled probe records nothing, yet the "connecting" it showed is over.
          fire(this.changeListeners, key);
        }
      }
    }
  }

  /** Marks the answers about an endpoint (all when undefined) stale and tells the views. */
  invalidate(endpoint?: string): void {
    for (const [id, key] of this.keys) {
      if (endpoint === undefined || key.endpoint === endpoint) {
        this.cache.invalidate(id);
      }
    }
    fire(this.invalidateListeners, undefined);
  }

  /** Keeps only these keys (the contexts that exist), here and in the persisted facts. */
  retain(keys: readonly EngineKey[]): void {
    const ids = new Set(keys.map(keyId));
    this.cache.retain(ids);
    for (const id of [...this.keys.keys()]) {
      if (!ids.has(id)) {
        this.keys.delete(id);
      }
    }
    this.memory.retain(keys).catch((e: unknown) => this.o.onMemoryError?.(e));
  }

  /** Keys held (the memory benchmark checks it stays bounded). */
  get size(): number {
    return this.cache.size;
  }

  dispose(): void {
    this.cache.dispose();
    this.changeListeners.clear();
    this.invalidateListeners.clear();
  }

  private track(key: EngineKey): string {
    const id = keyId(key);
    this.keys.set(id, key);
    return id;
  }

  private recorded(id: string): void {
    const key = this.keys.get(id);
    if (!key) {
      return;
    }
    const r = this.cache.peek(id)?.result;
    if (r?.ok) {
      this.memory.remember(key, r.value).catch((e: unknown) => this.o.onMemoryError?.(e));
    }
    fire(this.changeListeners, key);
  }
}
