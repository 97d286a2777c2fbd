/**
 * The remote listing where `find` cannot print it (a busybox or BSD `find` has no `-printf`): the
 * same entries read over SFTP, a directory's READDIR at a time with several directories in flight,
 * symlinks read with READLINK, never followed. SFTP (v3) reports no ctime, so the entries carry
 * none and the plan cannot tell an edit made in the second of the last write (see syncPlan).
 */
import type { FileEntryWithStats } from 'ssh2';
import { throwIfAborted } from '../common/errors';
import { remoteJoin } from './remotePaths';
import type { SftpSession } from './sftpSession';
import type { TreeEntry } from './syncTypes';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
/** Directories read at once: sftp-server answers one request at a time, this keeps it busy. */
const DIRS_IN_FLIGHT = 16;

function entryOf(rel: string, f: FileEntryWithStats): { entry: TreeEntry; isDir: boolean; isLink: boolean } {
  const kind = f.attrs.mode & S_IFMT;
  const base = { path: rel, mode: f.attrs.mode & 0o7777, mtime: f.attrs.mtime };
  if (kind === S_IFDIR) {
    return { entry: { ...base, type: 'dir', size: 0 }, isDir: true, isLink: false };
  }
  if (kind === S_IFLNK) {
    return { entry: { ...base, type: 'symlink', size: 0, target: '' }, isDir: false, isLink: true };
  }
  // A FIFO, socket or device takes a file's place: size -1 never matches, so it is replaced.
  return { entry: { ...base, type: 'file', size: kind === S_IFREG ? f.attrs.size : -1 }, isDir: false, isLink: false };
}

/** Every entry under the (existing, checked) mirror directory `root`; empty when it has none. */
export async function listRemoteTreeSftp(
  session: SftpSession,
  root: string,
  signal?: AbortSignal,
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const queue: string[] = [''];
  const running = new Set<Promise<void>>();
  const readOne = async (dirRel: string): Promise<void> => {
    throwIfAborted(signal);
    const list = await session.readdir(dirRel === '' ? root : remoteJoin(root, dirRel));
    for (const f of list) {
      if (f.filename === '.' || f.filename === '..' || f.filename.includes('/')) {
        continue;
      }
      const rel = dirRel === '' ? f.filename : `${dirRel}/${f.filename}`;
      const { entry, isDir, isLink } = entryOf(rel, f);
      if (isLink) {
        out.push({ ...entry, target: await session.readlink(remoteJoin(root, rel)) });
      } else {
        out.push(entry);
      }
      if (isDir) {
        queue.push(rel);
      }
    }
  };
  while (queue.length > 0 || running.size > 0) {
    while (queue.length > 0 && running.size < DIRS_IN_FLIGHT) {
      const p: Promise<void> = readOne(queue.shift() as string).finally(() => running.delete(p));
      p.catch(() => undefined); // the race below reports the first failure; later ones are dropped
      running.add(p);
    }
    await Promise.race(running);
  }
  return out;
}
