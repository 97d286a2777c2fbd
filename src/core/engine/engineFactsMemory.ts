/**
 * The last facts known about each context's daemon, kept across sessions so the status bar and
 * the Docker Contexts view have something to show at startup, before any network I/O: OS,
 * architecture, engine version, and when they were read. Shown as "last checked …" until a
 * probe confirms or replaces them.
 *
 * Stored as plain JSON in a key-value store (VS Code's globalState at the edge). The format is
 * versioned and read defensively: an entry that does not parse is dropped, never trusted.
 */
import { daemonText } from './daemonText';
import type { EngineInfo } from './engineInfo';
import { keyId, type EngineKey } from './engineKey';

/** What is remembered of a daemon: the facts the status text and a row show, not the whole /info. */
export interface RememberedFacts {
  operatingSystem: string;
  architecture: string;
  platform: string;
  serverVersion: string;
  /** Date.now() of the check that read them. */
  checkedAt: number;
}

/** The persisted shape. */
export interface FactsMemoryData {
  version: 1;
  entries: ({ name: string; endpoint: string; skipTLSVerify: boolean } & RememberedFacts)[];
}

/** Structurally VS Code's Memento (only what is used). */
export interface KeyValueStore {
  get(key: string): unknown;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const FACTS_MEMORY_KEY = 'remoteDocker.engineFacts';
/** More contexts than anyone switches between; keeps the stored value small. */
export const FACTS_MEMORY_LIMIT = 50;
/** Facts that did not change are written again only when the stored time is older than this. */
export const FACTS_REWRITE_AFTER_MS = 10 * 60_000;

const isString = (v: unknown): v is string => typeof v === 'string';

/** The entries of a stored value that are well formed (the rest is dropped). */
export function parseFactsMemory(value: unknown): FactsMemoryData['entries'] {
  if (typeof value !== 'object' || value === null || (value as { version?: unknown }).version !== 1) {
    return [];
  }
  const entries = (value as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) {
    return [];
  }
  return (entries as unknown[]).filter((v): v is FactsMemoryData['entries'][number] => {
    if (typeof v !== 'object' || v === null) {
      return false;
    }
    const e = v as Record<string, unknown>;
    return (
      [e.name, e.endpoint, e.operatingSystem, e.architecture, e.platform, e.serverVersion].every(isString) &&
      typeof e.skipTLSVerify === 'boolean' &&
      typeof e.checkedAt === 'number' &&
      Number.isFinite(e.checkedAt)
    );
  });
}

export function factsOf(info: EngineInfo): RememberedFacts {
  return {
    operatingSystem: info.operatingSystem,
    architecture: info.architecture,
    platform: info.platform,
    serverVersion: info.serverVersion,
    checkedAt: info.checkedAt,
  };
}

export class FactsMemory {
  private readonly entries = new Map<string, FactsMemoryData['entries'][number]>();

  constructor(private readonly store?: KeyValueStore) {
    for (const e of parseFactsMemory(store?.get(FACTS_MEMORY_KEY))) {
      this.entries.set(keyId(e), e);
    }
  }

  recall(key: EngineKey): RememberedFacts | undefined {
    const e = this.entries.get(keyId(key));
    // Cleaned again: an entry may have been written before daemon text was cleaned, or by anyone.
    return e
      ? {
          operatingSystem: daemonText(e.operatingSystem),
          architecture: daemonText(e.architecture),
          platform: daemonText(e.platform),
          serverVersion: daemonText(e.serverVersion),
          checkedAt: e.checkedAt,
        }
      : undefined;
  }

  /**
   * Records what a probe read. Writes only when the facts changed or the stored ones are old,
   * so a status check every 30 s does not write every 30 s. Resolves when written.
   */
  remember(key: EngineKey, info: EngineInfo): Promise<void> {
    const facts = factsOf(info);
    const id = keyId(key);
    const old = this.entries.get(id);
    const same =
      old &&
      old.operatingSystem === facts.operatingSystem &&
      old.architecture === facts.architecture &&
      old.platform === facts.platform &&
      old.serverVersion === facts.serverVersion;
    if (same && facts.checkedAt - old.checkedAt < FACTS_REWRITE_AFTER_MS) {
      return Promise.resolve();
    }
    this.entries.delete(id);
    this.entries.set(id, { name: key.name, endpoint: key.endpoint, skipTLSVerify: key.skipTLSVerify, ...facts });
    while (this.entries.size > FACTS_MEMORY_LIMIT) {
      // Maps keep insertion order: the first entry is the one written longest ago.
      this.entries.delete(this.entries.keys().next().value as string);
    }
    return this.save();
  }

  /** Forgets contexts that no longer exist (a removed context's facts must not come back with its name). */
  retain(keys: Iterable<EngineKey>): Promise<void> {
    const keep = new Set([...keys].map(keyId));
    const before = this.entries.size;
    for (const id of [...this.entries.keys()]) {
      if (!keep.has(id)) {
        this.entries.delete(id);
      }
    }
    return this.entries.size === before ? Promise.resolve() : this.save();
  }

  private async save(): Promise<void> {
    const data: FactsMemoryData = { version: 1, entries: [...this.entries.values()] };
    await this.store?.update(FACTS_MEMORY_KEY, data);
  }
}
