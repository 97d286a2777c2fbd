import * as crypto from 'node:crypto';
import { CoreError, type Reason } from '../common/errors';
import { metaProtection, summarizeCanonicalMeta } from './contextMeta';
import type { ContextProtection } from './contextProtection';
import { loadMeta, type MetaFile } from './contextFiles';
import { contextTlsFolder, defaultContextTls } from './contextTls';
import { resolveDefaultDockerHost } from './endpoint';
import type { DockerConfigSnapshot } from './dockerConfigFile';

/**
 * What a listing shows of one context (`docker context ls`, plus where its TLS material is), made
 * from a meta.json and its TLS folder, or for `default` from the environment.
 */

export interface DockerContextSummary {
  name: string;
  /** '' when none; for `default` the CLI's text "Current DOCKER_HOST based configuration". */
  description: string;
  /** Endpoints.docker.Host ('' if missing or the context is broken). */
  endpoint: string;
  skipTLSVerify: boolean;
  /** The virtual `default` context. */
  isDefault: boolean;
  /** The context has TLS material for its docker endpoint (`tlsPath` says where). */
  hasTls: boolean;
  /**
   * The folder holding ca.pem / cert.pem / key.pem of the docker endpoint, when `hasTls`:
   * contexts/tls/<id>/docker, or for `default` DOCKER_CERT_PATH (else the docker config folder)
   * when DOCKER_TLS_VERIFY or DOCKER_TLS ask for TLS.
   */
  tlsPath?: string;
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
   * meta.json stored under the wrong directory), its TLS material exists but cannot be read
   * (`tlsMaterialUnreadable`: never contacted without it), the current context does not exist
   * (`contextNotFound`, an entry the CLI's `ls` shows too), or DOCKER_HOST is invalid
   * (`endpointInvalid`, on `default`). The context is still listed.
   */
  error?: { reason: Reason; message: string };
  /** Marked protected (contextProtection.ts); absent otherwise. */
  protection?: ContextProtection;
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

export const DEFAULT_CONTEXT_NAME = 'default';
export const DEFAULT_CONTEXT_DESCRIPTION = 'Current DOCKER_HOST based configuration';

/**
 * The context `docker` uses in an environment like `env`: DOCKER_HOST (non-empty) forces
 * `default`, then DOCKER_CONTEXT, then config.json's `currentContext`, then `default`.
 */
export function resolveCurrentContext(env: NodeJS.ProcessEnv, cfg: DockerConfigSnapshot): CurrentContext {
  const extra: Partial<CurrentContext> = {};
  if (cfg.currentContext) {
    extra.configured = cfg.currentContext;
  }
  if (cfg.problem) {
    extra.configError = { reason: cfg.problem.reason, file: cfg.file, message: cfg.problem.message };
  }
  if (env.DOCKER_HOST) {
    return { name: DEFAULT_CONTEXT_NAME, source: 'DOCKER_HOST', ...extra };
  }
  if (env.DOCKER_CONTEXT) {
    return { name: env.DOCKER_CONTEXT, source: 'DOCKER_CONTEXT', ...extra };
  }
  if (cfg.currentContext) {
    return { name: cfg.currentContext, source: 'config', ...extra };
  }
  return { name: DEFAULT_CONTEXT_NAME, source: 'default', ...extra };
}

/** The directory name of a context: lowercase hex SHA-256 of its name. */
export function contextId(name: string): string {
  // crypto.hash (Node >= 20.12) is several times cheaper than a Hash object; listing calls this per context.
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', name, 'hex')
    : crypto.createHash('sha256').update(name, 'utf8').digest('hex');
}

/** Where the store's files are, for the summaries. */
export interface SummaryPlace {
  configDir: string;
  tlsDir: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

/** `default`: DOCKER_HOST (or the platform socket) and the TLS material its environment names. */
export function defaultSummary(place: SummaryPlace, current: CurrentContext): DockerContextSummary {
  const resolved = resolveDefaultDockerHost(place.env, place.platform);
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
    return summary;
  }
  try {
    const tls = defaultContextTls(place.env, place.configDir);
    if (tls) {
      summary.hasTls = true;
      summary.tlsPath = tls.folder;
      summary.skipTLSVerify = tls.skipTLSVerify;
    }
  } catch (e) {
    if (!(e instanceof CoreError)) {
      throw e;
    }
    summary.error = { reason: e.reason, message: e.message };
  }
  return summary;
}

export function missingCurrentSummary(current: CurrentContext): DockerContextSummary {
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

/** A stored context's row: its meta.json (fast path for the CLI's own shape) and TLS folder. */
export function summarize(
  place: SummaryPlace,
  f: MetaFile,
  current: CurrentContext,
  tls: Set<string> | undefined,
): DockerContextSummary {
  let meta = f.text !== undefined ? summarizeCanonicalMeta(f.text) : undefined;
  if (!meta) {
    const loaded = loadMeta(f);
    if (!loaded.ok) {
      // No name can be trusted from a file that does not load; a `Name` string it still holds is
      // used, else the current context's name when this is its directory, else the directory id.
      const name =
        loaded.jsonName ||
        (current.name !== DEFAULT_CONTEXT_NAME && contextId(current.name) === f.dirId ? current.name : f.dirId);
      const broken: DockerContextSummary = {
        name,
        description: '',
        endpoint: '',
        skipTLSVerify: false,
        isDefault: false,
        hasTls: false,
        metaPath: f.file,
        current: name === current.name,
        error: { reason: loaded.reason, message: loaded.message },
      };
      try {
        broken.hasTls = contextTlsFolder(place.tlsDir, f.dirId, name, tls) !== undefined;
      } catch {
        // Already broken for a reason of its own, which is the one shown.
      }
      return broken;
    }
    const m = loaded.meta;
    const protection = metaProtection(m);
    meta = {
      name: m.name,
      description: m.metadata?.description ?? '',
      docker: m.docker ?? undefined,
      ...(protection ? { protection } : {}),
    };
  }
  const name = meta.name || f.dirId;
  const id = meta.name ? contextId(meta.name) : f.dirId;
  const summary: DockerContextSummary = {
    name,
    description: meta.description,
    endpoint: meta.docker?.host ?? '',
    skipTLSVerify: meta.docker?.skipTLSVerify ?? false,
    isDefault: false,
    hasTls: false,
    metaPath: f.file,
    current: name === current.name,
    ...(meta.protection ? { protection: meta.protection } : {}),
  };
  let tlsError: CoreError | undefined;
  try {
    const folder = contextTlsFolder(place.tlsDir, id, name, tls);
    if (folder !== undefined) {
      summary.hasTls = true;
      summary.tlsPath = folder;
    }
  } catch (e) {
    if (!(e instanceof CoreError)) {
      throw e;
    }
    tlsError = e;
  }
  if (!meta.name) {
    summary.error = { reason: 'contextMetaCorrupt', message: `${f.file} has no "Name"` };
  } else if (id !== f.dirId) {
    summary.error = {
      reason: 'contextMetaCorrupt',
      message: `${f.file} names the context "${meta.name}" but is not in the directory named after its SHA-256 (${id}), so docker cannot find it by name`,
    };
  } else if (!meta.docker) {
    summary.error = { reason: 'contextMetaCorrupt', message: 'cannot find docker endpoint in context' };
  } else if (tlsError) {
    summary.error = { reason: tlsError.reason, message: tlsError.message };
  }
  return summary;
}
