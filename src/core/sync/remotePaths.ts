/**
 * The remote directory a workspace folder mirrors to, and the one way remote paths are made from
 * it. Every remote path the sync touches comes from `remoteJoin`, which refuses anything that
 * would leave the mirror directory, so a hostile file name or setting cannot write elsewhere.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { CoreError } from '../common/errors';

/** A validated remote directory: under the remote user's home (`~/…`) or absolute. */
export interface RemoteDirSpec {
  readonly underHome: boolean;
  /** The components after `~` or `/`, never empty, none of them `.` or `..`. */
  readonly components: readonly string[];
}

const MAX_PATH = 4096;

function refuse(value: string, rule: string): CoreError {
  return new CoreError('syncRemoteDirInvalid', `The remote directory ${JSON.stringify(value)} cannot be used.`, {
    path: value,
    rule,
  });
}

/**
 * Parses the remote directory setting: `~/x/y` or `/x/y`; no `.` or `..` components, no control
 * characters, neither `/` nor the home directory itself (a mirror deletes what the folder lacks).
 */
export function parseRemoteDir(value: string): RemoteDirSpec {
  const text = value.trim();
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(text) || text.length > MAX_PATH) {
    throw refuse(value, 'characters');
  }
  let underHome: boolean;
  let rest: string;
  if (text.startsWith('~/') || text === '~') {
    underHome = true;
    rest = text.slice(1);
  } else if (text.startsWith('/')) {
    underHome = false;
    rest = text;
  } else {
    throw refuse(value, 'absolute');
  }
  const components = rest.split('/').filter((c) => c !== '');
  if (components.some((c) => c === '.' || c === '..')) {
    throw refuse(value, 'traversal');
  }
  if (components.length === 0) {
    throw refuse(value, underHome ? 'home' : 'root');
  }
  return { underHome, components };
}

/** The absolute remote path of a spec, given the remote user's home; never the home itself. */
export function resolveRemoteDir(spec: RemoteDirSpec, home: string): string {
  const base = spec.underHome ? home : '/';
  const resolved = path.posix.join(base, ...spec.components);
  if (path.posix.normalize(home).replace(/\/+$/, '') === resolved) {
    throw refuse(resolved, 'home');
  }
  return resolved;
}

/** `~/.remote-docker/<folder name>-<8 hex of the laptop path>`: two folders of one name do not collide. */
export function defaultRemoteDir(folderName: string, localPath: string): string {
  const hash = createHash('sha256').update(localPath).digest('hex').slice(0, 8);
  const name = folderName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'folder';
  return `~/.remote-docker/${name}-${hash}`;
}

/** `root/rel` for a relative POSIX path of a tree; refuses anything that would not stay under root. */
export function remoteJoin(root: string, rel: string): string {
  const parts = rel.split('/');
  if (
    rel === '' ||
    rel.includes('\0') ||
    parts.some((c) => c === '' || c === '.' || c === '..') ||
    !root.startsWith('/')
  ) {
    throw new CoreError('syncPathOutside', `The path ${JSON.stringify(rel)} is not inside the mirror.`, {
      path: rel,
    });
  }
  const joined = path.posix.join(root, rel);
  if (!joined.startsWith(root.replace(/\/+$/, '') + '/')) {
    throw new CoreError('syncPathOutside', `The path ${JSON.stringify(rel)} is not inside the mirror.`, {
      path: rel,
    });
  }
  return joined;
}

/** The parent directories of every component of `abs` (without `/`), outermost first. */
export function pathPrefixes(abs: string): string[] {
  const parts = abs.split('/').filter((c) => c !== '');
  return parts.map((_c, i) => '/' + parts.slice(0, i + 1).join('/'));
}
