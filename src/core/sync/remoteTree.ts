/**
 * The remote side of a sync: the mirror directory made safe to write into, and its whole tree in
 * one listing (one `find -printf` over one exec channel, not a round trip per file).
 */
import type { Client } from 'ssh2';
import { CoreError } from '../common/errors';
import { shellWord } from '../diagnose/fixCommands';
import { execRemote } from '../ssh/remoteExec';
import { pathPrefixes, resolveRemoteDir, type RemoteDirSpec } from './remotePaths';
import { SFTP_NO_SUCH_FILE, type SftpSession } from './sftpSession';
import type { TreeEntry } from './syncTypes';

/**
 * The absolute mirror directory, created when missing. Every component below the home directory
 * (for `~/…`) or below `/` is checked with lstat: one that is a symlink is refused, since writing
 * through it could land anywhere on the remote.
 */
export async function ensureRemoteRoot(session: SftpSession, spec: RemoteDirSpec): Promise<string> {
  const home = spec.underHome ? await session.realpath('.') : '/';
  const root = resolveRemoteDir(spec, home);
  const skip = spec.underHome ? pathPrefixes(home).length : 0;
  for (const dir of pathPrefixes(root).slice(skip)) {
    let st;
    try {
      st = await session.lstat(dir);
    } catch (e) {
      if (!CoreError.is(e, 'syncRemoteFailed') || e.details.code !== SFTP_NO_SUCH_FILE) {
        throw e;
      }
      await session.mkdir(dir, 0o755);
      st = await session.lstat(dir);
    }
    if (st.isSymbolicLink()) {
      throw new CoreError('syncRemoteSymlink', `${dir} on the remote is a symlink; nothing is written through it.`, {
        path: dir,
      });
    }
    if (!st.isDirectory()) {
      throw new CoreError('syncRemoteFailed', `${dir} on the remote is not a directory.`, {
        op: 'mkdir',
        path: dir,
        message: 'not a directory',
      });
    }
  }
  return root;
}

/** type, permissions (octal), size, mtime, ctime, relative path, link text: NUL-separated. */
const FIND_FORMAT = String.raw`%y\0%m\0%s\0%T@\0%C@\0%P\0%l\0`;
const FIELDS = 7;

/**
 * `find` for the mirror directory, quoted as one shell word: absolute, or relative to the home
 * directory (where a session starts), so the listing need not wait for SFTP to name the home. A
 * missing directory lists as empty; one that is a symlink is not followed (`find -P`, the default)
 * and is refused before anything is written.
 */
export function findCommand(root: string): string {
  const dir = shellWord(root);
  if (dir === undefined || root.startsWith('-')) {
    throw new CoreError('syncRemoteDirInvalid', `The remote directory ${JSON.stringify(root)} cannot be used.`, {
      path: root,
      rule: 'characters',
    });
  }
  // A find without -printf (busybox, BSD) or no find at all exits with NO_PRINTF before printing anything.
  return (
    `if [ -d ${dir} ]; then ` +
    `LC_ALL=C find ${dir} -maxdepth 0 -printf '' >/dev/null 2>&1 || exit ${NO_PRINTF}; ` +
    `LC_ALL=C find ${dir} -mindepth 1 -printf '${FIND_FORMAT}'; fi`
  );
}

/** The exit status of `findCommand` when the remote `find` cannot print the listing (not GNU find). */
export const NO_PRINTF = 97;

export function parseFindOutput(out: string): TreeEntry[] {
  const f = out.split('\0');
  const entries: TreeEntry[] = [];
  for (let i = 0; i + FIELDS <= f.length; i += FIELDS) {
    const [y, m, s, t, c, p, l] = f.slice(i, i + FIELDS);
    if (!p) {
      continue;
    }
    const base = { path: p, mode: parseInt(m, 8) & 0o7777, mtime: Math.floor(Number(t)), ctime: Math.floor(Number(c)) };
    if (y === 'd') {
      entries.push({ ...base, type: 'dir', size: 0 });
    } else if (y === 'l') {
      entries.push({ ...base, type: 'symlink', size: 0, target: l });
    } else {
      // A FIFO, socket or device takes a file's place: size -1 never matches, so it is replaced.
      entries.push({ ...base, type: 'file', size: y === 'f' ? Number(s) : -1 });
    }
  }
  return entries;
}

/** The listing path of a spec: relative to the home directory for `~/…`, else absolute. */
export function listingPath(spec: RemoteDirSpec): string {
  return (spec.underHome ? '' : '/') + spec.components.join('/');
}

/**
 * The remote tree in one command, or `undefined` when the remote `find` is not GNU find (busybox,
 * BSD): the caller then lists over SFTP (`listRemoteTreeSftp`).
 */
export async function listRemoteTree(
  client: Client,
  spec: RemoteDirSpec,
  signal?: AbortSignal,
): Promise<TreeEntry[] | undefined> {
  const root = listingPath(spec);
  const r = await execRemote(client, findCommand(root), {
    signal,
    timeoutMs: 300_000,
    maxOutputBytes: 1024 * 1024 * 1024,
  });
  if (r.code === NO_PRINTF) {
    return undefined;
  }
  if (r.code !== 0) {
    throw new CoreError('syncRemoteListFailed', `Listing ${root} on the remote failed: ${r.stderr.slice(0, 500)}`, {
      path: root,
      code: r.code ?? undefined,
      stderr: r.stderr.slice(0, 500),
    });
  }
  return parseFindOutput(r.stdout);
}
