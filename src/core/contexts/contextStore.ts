import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreError, type Reason } from '../common/errors';
import { ensureDir, errnoCode, writeFileAtomic } from '../common/fsutil';
import {
  type ContextMeta,
  encodeContextMeta,
  inspectFields,
  newContextMeta,
  summarizeCanonicalMeta,
} from './contextMeta';
import {
  DOCKER_ENDPOINT,
  META_FILE,
  hasTls,
  loadMeta,
  locateMeta,
  lstatOrUndefined,
  scanMetaDir,
  tlsIds,
  tlsMaterial,
  type MetaFile,
} from './contextFiles';
import { type DockerConfigSnapshot, readDockerConfig, withCurrentContext } from './dockerConfigFile';
import { parseEndpoint, resolveDefaultDockerHost } from './endpoint';
import { compareGoKeys } from './jsonDocument';
import { naturalCompare } from '../common/naturalCompare';

export interface DockerContextSummary {
  name: string;
  /** '' when none; for `default` the CLI's text "Current DOCKER_HOST based configuration". */
  description: string;
  /** Endpoints.docker.Host ('' if missing or the context is broken). */
  endpoint: string;
  skipTLSVerify: boolean;
  /** The virtual `default` context. */
  isDefault: boolean;
  /** contexts/tls/<id>/docker exists. */
  hasTls: boolean;
  /** The context's meta.json file; absent for `default` and for a missing current context. */
  metaPath?: string;
  /**
   * Whether `docker` in an environment like ours uses this context (see `current()`). Always set
   * by list() and get(); optional so that summaries built elsewhere need not invent it.
   */
  current?: boolean;
  /**
   * Set when the context cannot be used as it is: meta.json unreadable (`contextMetaUnreadable`)
   * or not loadable by the CLI (`contextMetaCorrupt`, also for a missing docker endpoint or a
   * meta.json stored under the wrong directory), the current context does not exist
   * (`contextNotFound`, an entry the CLI's `ls` shows too), or DOCKER_HOST is invalid
   * (`endpointInvalid`, on `default`). The context is still listed.
   */
  error?: { reason: Reason; message: string };
}

export type CurrentSource = 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config' | 'default';

export interface CurrentContext {
  name: string;
  source: CurrentSource;
  /** `currentContext` in config.json, also when an environment variable overrides it. */
  configured?: string;
  /** config.json could not be read or parsed; the CLI then warns and uses `default` as well. */
  configError?: { reason: Reason; file: string; message: string };
}

/** The context list and the current context from one reading of the store (see `ContextStore.read`). */
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
}

export const DEFAULT_CONTEXT_NAME = 'default';
export const DEFAULT_CONTEXT_DESCRIPTION = 'Current DOCKER_HOST based configuration';
/** The docker CLI's rule for context names (`store.ValidateContextName`), quoted as the CLI quotes it. */
export const CONTEXT_NAME_RULE = '^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$';
const NAME_PATTERN = new RegExp(CONTEXT_NAME_RULE);

/** $DOCKER_CONFIG if set and non-empty, else <home>/.docker (cli/config/config.go). */
export function dockerConfigDir(env: NodeJS.ProcessEnv, home: string): string {
  const dir = env.DOCKER_CONFIG;
  return dir ? dir : path.join(home, '.docker');
}

/** True when the CLI accepts `name` for a new context (valid and not `default`). */
export function isValidContextName(name: string): boolean {
  return name !== DEFAULT_CONTEXT_NAME && NAME_PATTERN.test(name);
}

/** `store.ValidateContextName` of the CLI, with its messages. */
export function validateContextName(name: string): void {
  if (name === '') {
    throw new CoreError('contextNameInvalid', 'context name cannot be empty', { name, rule: CONTEXT_NAME_RULE });
  }
  if (name === DEFAULT_CONTEXT_NAME) {
    throw new CoreError('contextNameReserved', `"${DEFAULT_CONTEXT_NAME}" is a reserved context name`, { name });
  }
  if (!NAME_PATTERN.test(name)) {
    throw new CoreError(
      'contextNameInvalid',
      `context name "${name}" is invalid, names are validated against regexp "${CONTEXT_NAME_RULE}"`,
      {
        name,
        rule: CONTEXT_NAME_RULE,
      },
    );
  }
}

/** The directory name of a context: lowercase hex SHA-256 of its name. */
export function contextId(name: string): string {
  // crypto.hash (Node >= 20.12) is several times cheaper than a Hash object; listing calls this per context.
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', name, 'hex')
    : crypto.createHash('sha256').update(name, 'utf8').digest('hex');
}

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

  constructor(options: ContextStoreOptions) {
    this.configDir = options.configDir;
    this.env = options.env ?? process.env;
    this.platform = options.platform ?? process.platform;
    this.configFile = path.join(this.configDir, 'config.json');
    this.contextsDir = path.join(this.configDir, 'contexts');
    this.metaDir = path.join(this.contextsDir, 'meta');
    this.tlsDir = path.join(this.contextsDir, 'tls');
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
    const out = files.map((f) => this.summarize(f, current, tls));
    out.push(this.defaultSummary(current));
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
        return this.defaultSummary(current);
      }
      const found = locateMeta(this.metaDir, name, contextId(name), true);
      if (!found) {
        throw notFound(name);
      }
      return this.summarize(found, current, tlsIds(this.tlsDir));
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
    const cfg = readDockerConfig(this.configFile);
    if (cfg.refuseWrite) {
      throw new CoreError(cfg.refuseWrite.reason, cfg.refuseWrite.message, { file: cfg.file });
    }
    const current = this.resolveCurrent(cfg);
    const inConfig = cfg.currentContext === name;
    const wasCurrent = current.name === name || inConfig;
    if (wasCurrent && !options.force) {
      throw new CoreError('contextInUse', `context "${name}" is in use, set -f flag to force remove`, {
        name,
        source: current.name === name ? current.source : 'config',
      });
    }
    if (inConfig) {
      await this.writeConfig(cfg, withCurrentContext(cfg, undefined));
    }
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
    const cfg = readDockerConfig(this.configFile);
    await this.writeConfig(cfg, withCurrentContext(cfg, name === DEFAULT_CONTEXT_NAME ? undefined : name));
  }

  /** One element of `docker context inspect NAME` (TLSMaterial, Storage, …), `default` included. */
  inspect(name: string): Promise<unknown> {
    return settled(() => {
      if (name === DEFAULT_CONTEXT_NAME) {
        const resolved = resolveDefaultDockerHost(this.env, this.platform);
        if (resolved.error) {
          throw resolved.error;
        }
        return {
          Name: DEFAULT_CONTEXT_NAME,
          Metadata: {},
          Endpoints: { [DOCKER_ENDPOINT]: { Host: resolved.host, SkipTLSVerify: false } },
          TLSMaterial: {},
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
    const extra: Partial<CurrentContext> = {};
    if (cfg.currentContext) {
      extra.configured = cfg.currentContext;
    }
    if (cfg.problem) {
      extra.configError = { reason: cfg.problem.reason, file: cfg.file, message: cfg.problem.message };
    }
    if (this.env.DOCKER_HOST) {
      return { name: DEFAULT_CONTEXT_NAME, source: 'DOCKER_HOST', ...extra };
    }
    if (this.env.DOCKER_CONTEXT) {
      return { name: this.env.DOCKER_CONTEXT, source: 'DOCKER_CONTEXT', ...extra };
    }
    if (cfg.currentContext) {
      return { name: cfg.currentContext, source: 'config', ...extra };
    }
    return { name: DEFAULT_CONTEXT_NAME, source: 'default', ...extra };
  }

  private defaultSummary(current: CurrentContext): DockerContextSummary {
    const resolved = resolveDefaultDockerHost(this.env, this.platform);
    const summary: DockerContextSummary = {
      name: DEFAULT_CONTEXT_NAME,
      description: DEFAULT_CONTEXT_DESCRIPTION,
      endpoint: resolved.host,
      skipTLSVerify: false,
      isDefault: true,
      hasTls: false,
      current: current.name === DEFAULT_CONTEXT_NAME,
    };
    if (resolved.error) {
      summary.error = { reason: resolved.error.reason, message: resolved.error.message };
    }
    return summary;
  }

  private summarize(f: MetaFile, current: CurrentContext, tls: Set<string>): DockerContextSummary {
    let meta = f.text !== undefined ? summarizeCanonicalMeta(f.text) : undefined;
    if (!meta) {
      const loaded = loadMeta(f);
      if (!loaded.ok) {
        // No name can be trusted from a file that does not load; a `Name` string it still holds is
        // used, else the current context's name when this is its directory, else the directory id.
        const name =
          loaded.jsonName ||
          (current.name !== DEFAULT_CONTEXT_NAME && contextId(current.name) === f.dirId ? current.name : f.dirId);
        return {
          name,
          description: '',
          endpoint: '',
          skipTLSVerify: false,
          isDefault: false,
          hasTls: hasTls(this.tlsDir, f.dirId, tls),
          metaPath: f.file,
          current: name === current.name,
          error: { reason: loaded.reason, message: loaded.message },
        };
      }
      const m = loaded.meta;
      meta = { name: m.name, description: m.metadata?.description ?? '', docker: m.docker ?? undefined };
    }
    const name = meta.name || f.dirId;
    const id = meta.name ? contextId(meta.name) : f.dirId;
    const summary: DockerContextSummary = {
      name,
      description: meta.description,
      endpoint: meta.docker?.host ?? '',
      skipTLSVerify: meta.docker?.skipTLSVerify ?? false,
      isDefault: false,
      hasTls: tls.size > 0 && hasTls(this.tlsDir, id, tls),
      metaPath: f.file,
      current: name === current.name,
    };
    if (!meta.name) {
      summary.error = { reason: 'contextMetaCorrupt', message: `${f.file} has no "Name"` };
    } else if (id !== f.dirId) {
      summary.error = {
        reason: 'contextMetaCorrupt',
        message: `${f.file} names the context "${meta.name}" but is not in the directory named after its SHA-256 (${id}), so docker cannot find it by name`,
      };
    } else if (!meta.docker) {
      summary.error = { reason: 'contextMetaCorrupt', message: 'cannot find docker endpoint in context' };
    }
    return summary;
  }

  private loadOrThrow(name: string, f: MetaFile): ContextMeta {
    const loaded = loadMeta(f);
    if (!loaded.ok) {
      throw new CoreError(loaded.reason, loaded.message, { name, file: f.file });
    }
    return loaded.meta;
  }

  private async writeConfig(cfg: DockerConfigSnapshot, text: string | undefined): Promise<void> {
    if (text === undefined) {
      return;
    }
    try {
      if (cfg.text === undefined) {
        await ensureDir(this.configDir, 0o700); // the CLI's ConfigFile.Save
      }
      // A new config.json gets 0600 like the CLI's; an existing one keeps its mode (and symlink).
      await writeFileAtomic(this.configFile, text, { mode: 0o600 });
    } catch (e) {
      throw fileWriteError(this.configFile, e);
    }
  }
}

function missingCurrentSummary(current: CurrentContext): DockerContextSummary {
  return {
    name: current.name,
    description: '',
    endpoint: '',
    skipTLSVerify: false,
    isDefault: false,
    hasTls: false,
    current: true,
    error: {
      reason: 'contextNotFound',
      message: `context "${current.name}" does not exist (selected by ${current.source})`,
    },
  };
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
