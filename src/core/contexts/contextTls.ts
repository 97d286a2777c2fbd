import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreError, describeError } from '../common/errors';
import { errnoCode } from '../common/fsutil';
import { compareGoKeys } from './goJson';

/**
 * The TLS material of contexts: `contexts/tls/<id>/<endpoint>/` for stored contexts, and for
 * `default` the files `DOCKER_TLS_VERIFY` / `DOCKER_TLS` / `DOCKER_CERT_PATH` name, read as the
 * docker CLI reads them. Only "does not exist" (ENOENT) means "no TLS": a folder that cannot be
 * read (EACCES, ELOOP, a file where a folder belongs) is an error, never a plain-text connection.
 */

/** The one endpoint of a context this extension knows (the CLI's `docker` endpoint). */
export const DOCKER_ENDPOINT = 'docker';

/** The TLS files the CLI knows, by their names in a TLS folder and in DOCKER_CERT_PATH. */
const CA_FILE = 'ca.pem';
const CERT_FILE = 'cert.pem';
const KEY_FILE = 'key.pem';

/**
 * Ids (directory names) under contexts/tls, to skip a stat per context. `undefined` when the
 * folder exists but cannot be listed: every context is then looked at on its own.
 */
export function tlsIds(tlsDir: string): Set<string> | undefined {
  try {
    return new Set(fs.readdirSync(tlsDir));
  } catch (e) {
    return errnoCode(e) === 'ENOENT' ? new Set() : undefined;
  }
}

function unreadable(name: string, file: string, e: unknown): CoreError {
  return new CoreError(
    'tlsMaterialUnreadable',
    `The TLS material of context "${name}" cannot be read (${file}: ${describeError(e)}); it is not contacted without it.`,
    { name, file, code: errnoCode(e) },
    { cause: e },
  );
}

/**
 * The folder holding the docker endpoint's TLS files of context `id`, or undefined when the
 * context has none (tls/<id> or tls/<id>/docker does not exist). Anything else that stops the
 * folder from being read throws `tlsMaterialUnreadable`, as the CLI fails ("failed to retrieve
 * TLS files") rather than connecting without it. `ids` from `tlsIds` (undefined: unknown).
 */
export function contextTlsFolder(
  tlsDir: string,
  id: string,
  name: string,
  ids: Set<string> | undefined,
): string | undefined {
  if (ids !== undefined && !ids.has(id)) {
    return undefined;
  }
  const contextDir = path.join(tlsDir, id);
  try {
    if (!fs.statSync(contextDir).isDirectory()) {
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    }
    fs.readdirSync(contextDir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      return undefined;
    }
    throw unreadable(name, contextDir, e);
  }
  const folder = path.join(contextDir, DOCKER_ENDPOINT);
  try {
    if (!fs.statSync(folder).isDirectory()) {
      // The CLI skips a file here and connects in plain text; a file where the certificates
      // belong is not something to connect past.
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    }
    fs.readdirSync(folder);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      return undefined;
    }
    throw unreadable(name, folder, e);
  }
  return folder;
}

/** `cli/context/store` ListTLSFiles: endpoint dirs → their files (null when empty), sorted. */
export function tlsMaterial(tlsDir: string, id: string): Record<string, string[] | null> {
  const out: Record<string, string[] | null> = {};
  let endpoints: fs.Dirent[];
  try {
    endpoints = fs.readdirSync(path.join(tlsDir, id), { withFileTypes: true });
  } catch (e) {
    // Only ENOENT: Go's os.IsNotExist is false for ENOTDIR, and the CLI fails on it.
    if (errnoCode(e) === 'ENOENT') {
      return out;
    }
    throw new CoreError('fileUnreadable', `cannot list TLS files of ${id}: ${describeError(e)}`, {
      file: path.join(tlsDir, id),
      code: errnoCode(e),
    });
  }
  for (const ep of endpoints.filter((d) => d.isDirectory()).sort((a, b) => compareGoKeys(a.name, b.name))) {
    let files: string[];
    try {
      files = fs
        .readdirSync(path.join(tlsDir, id, ep.name), { withFileTypes: true })
        .filter((d) => !d.isDirectory())
        .map((d) => d.name)
        .sort(compareGoKeys);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') {
        continue;
      }
      throw new CoreError('fileUnreadable', `cannot list TLS files of ${id}/${ep.name}: ${describeError(e)}`, {
        file: path.join(tlsDir, id, ep.name),
        code: errnoCode(e),
      });
    }
    out[ep.name] = files.length > 0 ? files : null;
  }
  return out;
}

/** The `default` context's TLS as the docker CLI derives it from its environment. */
export interface DefaultTls {
  /** The folder the files are read from (DOCKER_CERT_PATH, else the docker config folder). */
  folder: string;
  /** `SkipTLSVerify`: TLS asked for by DOCKER_TLS without DOCKER_TLS_VERIFY. */
  skipTLSVerify: boolean;
  /** The files the CLI loads (ca.pem always; cert.pem and key.pem when they exist), sorted. */
  files: string[];
}

/**
 * `cli/flags` ClientOptions for `default`: DOCKER_TLS_VERIFY non-empty means TLS with
 * verification, DOCKER_TLS non-empty TLS without; then DOCKER_CERT_PATH (else the docker config
 * folder) must hold a readable ca.pem, and cert.pem / key.pem are used when they exist (the CLI
 * drops them only when they do not exist). undefined: no TLS. Throws `tlsMaterialUnreadable`
 * where the CLI fails (`open …/ca.pem: no such file or directory`).
 */
export function defaultContextTls(env: NodeJS.ProcessEnv, configDir: string): DefaultTls | undefined {
  const verify = !!env.DOCKER_TLS_VERIFY;
  if (!verify && !env.DOCKER_TLS) {
    return undefined;
  }
  const folder = env.DOCKER_CERT_PATH || configDir;
  const files: string[] = [];
  for (const file of [CA_FILE, CERT_FILE, KEY_FILE]) {
    const p = path.join(folder, file);
    if (file !== CA_FILE) {
      try {
        fs.statSync(p);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') {
          continue;
        }
      }
    }
    try {
      // The CLI reads them all into memory here; reading one byte shows the same failures.
      const fd = fs.openSync(p, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
      try {
        if (!fs.fstatSync(fd).isFile()) {
          throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
        }
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      throw unreadable('default', p, e);
    }
    files.push(file);
  }
  return { folder, skipTLSVerify: !verify, files: files.sort(compareGoKeys) };
}
