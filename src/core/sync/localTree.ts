/**
 * The local side of a sync: every file, directory and symlink under a folder, with the facts the
 * plan compares. Symlinks are read, never followed (a link pointing out of the folder becomes a
 * link on the remote, not a copy of what it points to); sockets, FIFOs and devices are skipped.
 */
import * as fs from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import * as path from 'node:path';
import { CoreError, describeError, throwIfAborted } from '../common/errors';
import type { Excluder } from './syncExcludes';
import type { TreeEntry } from './syncTypes';

function unreadable(file: string, e: unknown): CoreError {
  return new CoreError('syncLocalUnreadable', `${file} cannot be read: ${describeError(e)}`, { file }, { cause: e });
}

/**
 * Windows reports no POSIX permissions (directories come back as 0666, without the x bit a remote
 * directory needs): there the mirror gets the usual 0755 directories and 0644 files.
 */
function modeOf(mode: number, isDir: boolean, platform: NodeJS.Platform): number {
  if (platform === 'win32') {
    return isDir ? 0o755 : 0o644;
  }
  return mode & 0o7777;
}

/** Every entry under `root` that the excluder keeps (and the directories leading to kept entries). */
export async function listLocalTree(
  root: string,
  excluder: Excluder,
  signal?: AbortSignal,
  platform: NodeJS.Platform = process.platform,
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  await walk({ root, excluder, out, signal, platform }, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface Walk {
  root: string;
  excluder: Excluder;
  out: TreeEntry[];
  signal: AbortSignal | undefined;
  platform: NodeJS.Platform;
}

/**
 * Walks one directory; answers whether anything below it was kept. The directory's entries are
 * read and lstat-ed synchronously (from the page cache that is about 20 µs an entry, where a
 * promise through libuv's four-thread pool costs five times that: the walk was most of a
 * no-change re-sync), and the event loop gets a turn after each directory, so a large tree
 * never blocks it for long and a cancel is seen between directories.
 */
async function walk(w: Walk, dirRel: string): Promise<boolean> {
  const { root, excluder, out } = w;
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfAborted(w.signal);
  const dirAbs = dirRel === '' ? root : path.join(root, ...dirRel.split('/'));
  let names: Dirent[];
  try {
    names = fs.readdirSync(dirAbs, { withFileTypes: true });
  } catch (e) {
    throw unreadable(dirAbs, e);
  }
  let keptAny = false;
  for (const d of names) {
    const rel = dirRel === '' ? d.name : `${dirRel}/${d.name}`;
    const excluded = excluder.excludes(rel);
    if (excluded && (!d.isDirectory() || excluder.canSkipExcludedDirs)) {
      continue;
    }
    const abs = path.join(dirAbs, d.name);
    let st: Stats;
    let target: string | undefined;
    try {
      st = fs.lstatSync(abs);
      target = st.isSymbolicLink() ? fs.readlinkSync(abs) : undefined;
    } catch (e) {
      throw unreadable(abs, e);
    }
    const base = {
      path: rel,
      mode: modeOf(st.mode, st.isDirectory(), w.platform),
      mtime: Math.floor(st.mtimeMs / 1000),
    };
    if (target !== undefined) {
      out.push({ ...base, type: 'symlink', size: 0, target });
      keptAny = true;
    } else if (st.isDirectory()) {
      const below = await walk(w, rel);
      if (!excluded || below) {
        out.push({ ...base, type: 'dir', size: 0 });
        keptAny = true;
      }
    } else if (st.isFile()) {
      out.push({ ...base, type: 'file', size: st.size });
      keptAny = true;
    }
  }
  return keptAny;
}
