import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreError } from '../common/errors';
import { ensureDir, errnoCode, writeFileAtomic } from '../common/fsutil';
import { type ContextMeta, encodeContextMeta, inspectFields, newContextMeta } from './contextMeta';
import {
  META_FILE,
  isExactUtf8File,
  loadMeta,
  locateMeta,
  lstatOrUndefined,
  scanMetaDir,
  type MetaFile,
} from './contextFiles';
import {
  type CurrentContext,
  DEFAULT_CONTEXT_NAME,
  type DockerContextSummary,
  type SummaryPlace,
  contextId,
  defaultSummary,
  missingCurrentSummary,
  resolveCurrentContext,
  summarize,
} from './contextSummary';
import { DOCKER_ENDPOINT, defaultContextTls, tlsIds, tlsMaterial } from './contextTls';
import {
  type DockerConfigSnapshot,
  readDockerConfig,
  withCurrentContext,
  writeDockerConfigIfUnchanged,
} from './dockerConfigFile';
import { parseEndpoint, resolveDefaultDockerHost } from './endpoint';
import { validateContextName } from './contextNames';
import { compareGoKeys } from './goJson';
import { naturalCompare } from '../common/naturalCompare';

export { CONTEXT_NAME_RULE, dockerConfigDir, isValidContextName, validateContextName } from './contextNames';
export {
  type CurrentContext,
  type CurrentSource,
  DEFAULT_CONTEXT_DESCRIPTION,
  DEFAULT_CONTEXT_NAME,
  type DockerContextSummary,
  contextId,
} from './contextSummary';

export interface StoreReading {
  current: CurrentContext;
  /** Empty when `listError` is set. */
  contexts: DockerContextSummary[];
  listError?: Error;
}

export interface ContextStoreOptions {
  configDir: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /**
   * Called when an edit of config.json is on disk in its temporary file, before the file is read
   * again and compared, then renamed over; a
   * seam for tests that change the file in that window (as a `docker login` might).
   */
  beforeConfigRename?: () => Promise<void> | void;
}

/** Edits of config.json that found it changed are recomputed on the new text this many times. */
const CONFIG_EDIT_ATTEMPTS = 5;

/**
 * The docker CLI's context store (`$DOCKER_CONFIG/contexts`, `config.json`'s `currentContext`),
 * read and written in the CLI's own formats. Reads never fail because one context is broken;
 * writes are atomic, keep what they do not mean to change, and refuse files they cannot parse.
 */
export class ContextStore {
  readonly configDir: string;
  readonly configFile: string;
  readonly contextsDir: string;
  readonly metaDir: string;
  readonly tlsDir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly platform: NodeJS.Platform;
  private readonly beforeConfigRename: (() => Promise<void> | void) | undefined;

  constructor(options: ContextStoreOptions) {
    this.configDir = options.configDir;
    this.env = options.env ?? process.env;
    this.platform = options.platform ?? process.platform;
    this.configFile = path.join(this.configDir, 'config.json');
    this.contextsDir = path.join(this.configDir, 'contexts');
    this.metaDir = path.join(this.contextsDir, 'meta');
    this.tlsDir = path.join(this.contextsDir, 'tls');
    this.beforeConfigRename = options.beforeConfigRename;
  }

  /**
   * Like `docker context ls`: every directory under contexts/meta holding a meta.json, plus
   * `default`, plus the current context when it does not exist (as the CLI adds it, with an
   * error), all in `sortorder.NaturalLess` order of the name — `default` sorts among the others.
   */
  async list(): Promise<DockerContextSummary[]> {
    const reading = await this.read();
    if (reading.listError !== undefined) {
      throw reading.listError;
    }
    return reading.contexts;
  }

  /**
   * `list()` and `current()` from one read of config.json, so the two always agree (the current
   * context is the one marked in the list) and a view's refresh parses the file once. A listing
   * that fails as a whole leaves `contexts` empty and says why in `listError`; the current
   * context is still resolved.
   */
  async read(): Promise<StoreReading> {
    const current = this.resolveCurrent(readDockerConfig(this.configFile));
    let files: MetaFile[];
    try {
      files = await scanMetaDir(this.metaDir);
    } catch (e) {
      return { current, contexts: [], listError: e instanceof Error ? e : new Error(String(e)) };
    }
    const tls = tlsIds(this.tlsDir);
    const out = files.map((f) => summarize(this.place, f, current, tls));
    out.push(defaultSummary(this.place, current));
    if (!out.some((s) => s.name === current.name)) {
      out.push(missingCurrentSummary(current));
    }
    // Go's sort is not stable; ties (two dirs claiming one name) are broken by path for a stable UI.
    out.sort((a, b) => naturalCompare(a.name, b.name) || compareGoKeys(a.metaPath ?? '', b.metaPath ?? ''));
    return { current, contexts: out };
  }

  /**
   * The context `docker` uses in an environment like ours: DOCKER_HOST (non-empty) forces
   * `default`, then DOCKER_CONTEXT, then `currentContext` in config.json, then `default`.
   * An unreadable or unparsable config.json does not throw: like the CLI (which warns and
   * carries on) it yields `default`, with `configError` saying why.
   */
  current(): Promise<CurrentContext> {
    return settled(() => this.resolveCurrent(readDockerConfig(this.configFile)));
  }

  get(name: string): Promise<DockerContextSummary> {
    return settled(() => {
      const current = this.resolveCurrent(readDockerConfig(this.configFile));
      if (name === DEFAULT_CONTEXT_NAME) {
        return defaultSummary(this.place, current);
      }
      const found = locateMeta(this.metaDir, name, contextId(name), true);
      if (!found) {
        throw notFound(name);
      }
      return summarize(this.place, found, current, tlsIds(this.tlsDir));
    });
  }

  /** `docker context create NAME --docker host=ENDPOINT [--description D]`, byte for byte. */
  async create(input: { name: string; endpoint: string; description?: string }): Promise<DockerContextSummary> {
    validateContextName(input.name);
    parseEndpoint(input.endpoint);
    const id = contextId(input.name);
    const dir = path.join(this.metaDir, id);
    const file = path.join(dir, META_FILE);
    const exists = (): CoreError =>
      new CoreError('contextExists', `context "${input.name}" already exists`, { name: input.name, file });
    // Even a broken meta.json is someone's context: never overwrite it.
    if (lstatOrUndefined(file)) {
      throw exists();
    }
    await ensureDir(dir, 0o755);
    const bytes = encodeContextMeta(newContextMeta(input.name, input.endpoint, input.description ?? ''));
    try {
      await writeFileAtomic(file, bytes, { mode: 0o644, exclusive: true });
    } catch (e) {
      throw errnoCode(e) === 'EEXIST' ? exists() : fileWriteError(file, e);
    }
    return this.get(input.name);
  }

  /**
   * Changes the description ('' removes it) and/or the docker endpoint's Host. Every other key of
   * meta.json stays (Metadata extras such as GODEBUG, other endpoints, SkipTLSVerify, unknown
   * keys the CLI itself would drop); TLS material is left alone. A meta.json that cannot be
   * parsed is not rewritten.
   */
  async update(name: string, changes: { description?: string; endpoint?: string }): Promise<DockerContextSummary> {
    if (name === DEFAULT_CONTEXT_NAME) {
      throw new CoreError('defaultContextImmutable', 'default context cannot be created nor updated', { name });
    }
    if (changes.endpoint !== undefined) {
      parseEndpoint(changes.endpoint);
    }
    const found = locateMeta(this.metaDir, name, contextId(name), false);
    if (!found) {
      throw notFound(name);
    }
    const meta = this.loadOrThrow(name, found);
    if (meta.name !== name) {
      throw new CoreError(
        'contextMetaCorrupt',
        `${found.file} names the context "${meta.name}", not "${name}"; refusing to rewrite it`,
        {
          name,
          file: found.file,
        },
      );
    }
    if (changes.endpoint === undefined && changes.description === undefined) {
      return this.get(name);
    }
    if (!isExactUtf8File(found.file, found.text)) {
      // Go reads such bytes as U+FFFD and would write that back; we leave the file as it is.
      throw new CoreError(
        'contextMetaCorrupt',
        `${found.file} holds bytes that are not UTF-8; refusing to rewrite it`,
        {
          name,
          file: found.file,
          detail: 'notUtf8',
        },
      );
    }
    if (changes.endpoint !== undefined) {
      meta.docker = meta.docker
        ? { ...meta.docker, host: changes.endpoint }
        : { host: changes.endpoint, skipTLSVerify: false, extras: [] };
    }
    // The CLI always writes Metadata after an update, as an object.
    meta.metadata = {
      description: changes.description ?? meta.metadata?.description ?? '',
      extras: meta.metadata?.extras ?? [],
    };
    try {
      await writeFileAtomic(found.file, encodeContextMeta(meta), { mode: 0o644 });
    } catch (e) {
      throw fileWriteError(found.file, e);
    }
    return this.get(name);
  }

  /**
   * `docker context rm [-f] NAME`. A context is in use when it is the current one (any source)
   * or config.json's `currentContext` (so that no dangling name is left behind even when an
   * environment variable overrides it); without `force` that is a `contextInUse` error. With it,
   * config.json's `currentContext` is removed first (the CLI's "fallback to DOCKER_HOST"); unlike
   * the CLI we leave a different `currentContext` alone when DOCKER_CONTEXT chose this context.
   * Also removes a broken context listed under its directory id.
   */
  async remove(name: string, options: { force?: boolean } = {}): Promise<{ wasCurrent: boolean }> {
    if (name === DEFAULT_CONTEXT_NAME) {
      throw new CoreError('defaultContextImmutable', `context "${DEFAULT_CONTEXT_NAME}" cannot be removed`, { name });
    }
    const found = locateMeta(this.metaDir, name, contextId(name), true);
    if (!found) {
      throw new CoreError('contextNotFound', `context "${name}" does not exist`, { name });
    }
    let wasCurrent = false;
    await this.editConfig((cfg) => {
      if (cfg.refuseWrite) {
        throw new CoreError(cfg.refuseWrite.reason, cfg.refuseWrite.message, { file: cfg.file });
      }
      const current = this.resolveCurrent(cfg);
      const inConfig = cfg.currentContext === name;
      wasCurrent = current.name === name || inConfig;
      if (wasCurrent && !options.force) {
        throw new CoreError('contextInUse', `context "${name}" is in use, set -f flag to force remove`, {
          name,
          source: current.name === name ? current.source : 'config',
        });
      }
      return inConfig ? withCurrentContext(cfg, undefined) : undefined;
    });
    const metaPath = path.join(this.metaDir, found.dirId);
    await fs.promises.rm(path.join(metaPath, META_FILE), { force: true }); // gone from `ls` first
    await fs.promises.rm(metaPath, { recursive: true, force: true });
    await fs.promises.rm(path.join(this.tlsDir, found.dirId), { recursive: true, force: true });
    return { wasCurrent };
  }

  /**
   * `docker context use NAME`: sets config.json's `currentContext` (removes it for `default`),
   * changing nothing else in the file, and writes only when the value changes. The context must
   * exist and be loadable.
   */
  async use(name: string): Promise<void> {
    if (name !== DEFAULT_CONTEXT_NAME) {
      validateContextName(name);
      const found = locateMeta(this.metaDir, name, contextId(name), false);
      if (!found) {
        throw notFound(name);
      }
      this.loadOrThrow(name, found);
    }
    await this.editConfig((cfg) => withCurrentContext(cfg, name === DEFAULT_CONTEXT_NAME ? undefined : name));
  }

  /** One element of `docker context inspect NAME` (TLSMaterial, Storage, …), `default` included. */
  inspect(name: string): Promise<unknown> {
    return settled(() => {
      if (name === DEFAULT_CONTEXT_NAME) {
        const resolved = resolveDefaultDockerHost(this.env, this.platform);
        if (resolved.error) {
          throw resolved.error;
        }
        const tls = defaultContextTls(this.env, this.configDir);
        return {
          Name: DEFAULT_CONTEXT_NAME,
          Metadata: {},
          Endpoints: { [DOCKER_ENDPOINT]: { Host: resolved.host, SkipTLSVerify: tls?.skipTLSVerify ?? false } },
          // The CLI lists them in Go's map order, which varies from run to run; sorted here.
          TLSMaterial: tls ? { [DOCKER_ENDPOINT]: tls.files } : {},
          Storage: { MetadataPath: '<IN MEMORY>', TLSPath: '<IN MEMORY>' },
        };
      }
      const found = locateMeta(this.metaDir, name, contextId(name), true);
      if (!found) {
        throw notFound(name);
      }
      const meta = this.loadOrThrow(name, found);
      return {
        ...inspectFields(meta),
        TLSMaterial: tlsMaterial(this.tlsDir, found.dirId),
        Storage: { MetadataPath: path.join(this.metaDir, found.dirId), TLSPath: path.join(this.tlsDir, found.dirId) },
      };
    });
  }

  private resolveCurrent(cfg: DockerConfigSnapshot): CurrentContext {
    return resolveCurrentContext(this.env, cfg);
  }

  private get place(): SummaryPlace {
    return { configDir: this.configDir, tlsDir: this.tlsDir, env: this.env, platform: this.platform };
  }

  private loadOrThrow(name: string, f: MetaFile): ContextMeta {
    const loaded = loadMeta(f);
    if (!loaded.ok) {
      throw new CoreError(loaded.reason, loaded.message, { name, file: f.file });
    }
    return loaded.meta;
  }

  /**
   * Edits config.json: `edit` gets the file as read and returns the new text (undefined: no
   * write). The file is read again right before the rename; if someone changed it meanwhile (a
   * `docker login` adding credentials), the edit is made again on what is there now, a bounded
   * number of times, so their change is never lost.
   */
  private async editConfig(edit: (cfg: DockerConfigSnapshot) => string | undefined): Promise<void> {
    for (let attempt = 0; attempt < CONFIG_EDIT_ATTEMPTS; attempt++) {
      const cfg = readDockerConfig(this.configFile);
      const text = edit(cfg);
      if (text === undefined) {
        return;
      }
      try {
        if (cfg.text === undefined) {
          await ensureDir(this.configDir, 0o700); // the CLI's ConfigFile.Save
        }
        if (await writeDockerConfigIfUnchanged(cfg, text, this.beforeConfigRename)) {
          return;
        }
      } catch (e) {
        throw fileWriteError(this.configFile, e);
      }
    }
    throw new CoreError(
      'fileChangedMeanwhile',
      `${this.configFile} changed during each of ${CONFIG_EDIT_ATTEMPTS} attempts to edit it; it was left as it is`,
      { file: this.configFile },
    );
  }
}

function notFound(name: string): CoreError {
  return new CoreError('contextNotFound', `context "${name}": context not found`, { name });
}

function fileWriteError(file: string, e: unknown): CoreError {
  if (e instanceof CoreError) {
    return e;
  }
  return new CoreError('fileUnwritable', `${file} cannot be written: ${(e as Error).message}`, { file }, { cause: e });
}

/** A synchronous read behind the store's async API: a failure rejects the promise, never throws at the call. */
function settled<T>(read: () => T): Promise<T> {
  return new Promise((resolve) => resolve(read()));
}
