/**
 * Carries out a plan over one SFTP session: deletions (children first), then directories
 * (parents first), then files, symlinks and attributes with several requests in flight. A file
 * is written to a fresh name opened with O_EXCL in its directory, given its mode and mtime, and
 * renamed over the old copy (a container reading the bind mount sees the old or the new file,
 * never half of one; the exclusive open never follows a symlink).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CoreError, describeError, throwIfAborted } from '../common/errors';
import { remoteJoin } from './remotePaths';
import type { SftpSession } from './sftpSession';
import type { SyncPlan, TreeEntry } from './syncTypes';

export interface ExecuteOptions {
  localRoot: string;
  remoteRoot: string;
  signal?: AbortSignal;
  /** Files in flight at once (default 64: small files are latency-bound). */
  concurrency?: number;
  /** Called after each file or entry is done, with the bytes it carried. */
  onAdvance?: (files: number, bytes: number) => void;
}

const CHUNK = 64 * 1024;
/** Write requests of one file in flight at once. */
const WRITES_IN_FLIGHT = 8;

/** Runs `fn` over `items`, `n` at a time; the first failure stops the rest. */
export async function runPool<T>(
  items: readonly T[],
  n: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      throwIfAborted(signal);
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

function localPath(root: string, rel: string): string {
  return path.join(root, ...rel.split('/'));
}

/** The temporary name a file is written to before its rename: same directory, never an existing name. */
function tempName(remote: string): string {
  const dir = path.posix.dirname(remote);
  const base = path.posix.basename(remote).slice(0, 160);
  return `${dir}/.${base}.rdc-sync-${randomBytes(6).toString('hex')}`;
}

/** Files up to this size are read whole and sent in one burst; larger ones stream in chunks. */
const WHOLE_FILE = 1024 * 1024;

async function readLocal(o: ExecuteOptions, e: TreeEntry): Promise<fs.FileHandle> {
  try {
    return await fs.open(localPath(o.localRoot, e.path), 'r');
  } catch (err) {
    throw new CoreError('syncLocalUnreadable', `${e.path} cannot be read: ${describeError(err)}`, { file: e.path });
  }
}

/**
 * Sends the file's bytes to an open handle: a small file as one burst of writes, a large one with
 * WRITES_IN_FLIGHT requests outstanding. Answers the bytes sent.
 */
async function sendContent(
  session: SftpSession,
  handle: Buffer,
  file: fs.FileHandle,
  o: ExecuteOptions,
  size: number,
): Promise<number> {
  if (size <= WHOLE_FILE) {
    const data = await file.readFile();
    const writes: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += CHUNK) {
      writes.push(session.write(handle, data.subarray(at, at + CHUNK), at));
    }
    await Promise.all(writes);
    return data.length;
  }
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  for (;;) {
    throwIfAborted(o.signal);
    const buf = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await file.read(buf, 0, CHUNK, sent);
    if (bytesRead === 0) {
      break;
    }
    const p: Promise<void> = session.write(handle, buf.subarray(0, bytesRead), sent).finally(() => inFlight.delete(p));
    inFlight.add(p);
    sent += bytesRead;
    if (inFlight.size >= WRITES_IN_FLIGHT) {
      await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  return sent;
}

/**
 * One file: a new one is created in place (O_EXCL: never through a symlink, never over a file
 * that appeared meanwhile); one that replaces a remote file is written aside and renamed over
 * it. The writes, the attributes and the close go out together (a server handles the requests of
 * one handle in order), so a small new file costs two round trips.
 */
async function upload(session: SftpSession, o: ExecuteOptions, e: TreeEntry, overwrite: boolean): Promise<number> {
  const remote = remoteJoin(o.remoteRoot, e.path);
  const target = overwrite ? tempName(remote) : remote;
  const file = await readLocal(o, e);
  let opened = false;
  try {
    const handle = await session.openExclusive(target, 0o600);
    opened = true;
    const sending = sendContent(session, handle, file, o, e.size);
    const finishing = sending.then(async () => {
      const attrs = session.fsetstat(handle, { mode: e.mode, atime: e.mtime, mtime: e.mtime });
      const close = session.closeHandle(handle);
      await Promise.all([attrs, close]);
    });
    // Whatever fails, the handle is closed before the temporary name is removed.
    const [sent] = await Promise.all([
      sending,
      finishing.catch(async (err: unknown) => {
        await session.closeHandle(handle).catch(() => undefined);
        throw err;
      }),
    ]);
    if (overwrite) {
      await session.rename(target, remote);
    }
    return sent;
  } catch (err) {
    if (opened && overwrite) {
      await session.unlink(target).catch(() => undefined);
    }
    throw err;
  } finally {
    await file.close();
  }
}

/** Entries grouped by the number of components of their path, shallowest first. */
function byDepth(entries: readonly TreeEntry[]): TreeEntry[][] {
  const levels: TreeEntry[][] = [];
  for (const e of entries) {
    const d = e.path.split('/').length - 1;
    (levels[d] ??= []).push(e);
  }
  return levels.filter((l) => l !== undefined);
}

export async function executePlan(session: SftpSession, plan: SyncPlan, o: ExecuteOptions): Promise<void> {
  const n = o.concurrency ?? 64;
  const advance = o.onAdvance ?? (() => undefined);
  const at = (rel: string): string => remoteJoin(o.remoteRoot, rel);
  // Files and links go first, all at once; then directories, children first, so each is empty by then.
  await runPool(
    plan.deletes.filter((d) => d.type !== 'dir'),
    n,
    async (d) => {
      await session.unlink(at(d.path));
      advance(1, 0);
    },
    o.signal,
  );
  for (const level of byDepth(plan.deletes.filter((d) => d.type === 'dir')).reverse()) {
    await runPool(
      level,
      n,
      async (d) => {
        await session.rmdir(at(d.path));
        advance(1, 0);
      },
      o.signal,
    );
  }
  // Parents before children; one level's directories at once.
  for (const level of byDepth(plan.mkdirs)) {
    await runPool(
      level,
      n,
      async (d) => {
        await session.mkdir(at(d.path), d.mode);
        // mkdir's mode passes through the remote umask; set it exactly.
        await session.setstat(at(d.path), { mode: d.mode });
        advance(1, 0);
      },
      o.signal,
    );
  }
  type Job = { kind: 'upload' | 'symlink' | 'attributes'; e: TreeEntry };
  const jobs: Job[] = [
    // Large files first, so a big one does not start last and run alone.
    ...[...plan.uploads].sort((a, b) => b.size - a.size).map((e): Job => ({ kind: 'upload', e })),
    ...plan.symlinks.map((e): Job => ({ kind: 'symlink', e })),
    ...plan.attributes.map((e): Job => ({ kind: 'attributes', e })),
  ];
  await runPool(
    jobs,
    n,
    async ({ kind, e }) => {
      if (kind === 'upload') {
        advance(1, await upload(session, o, e, plan.overwrites.has(e.path)));
      } else if (kind === 'symlink') {
        await session.symlink(e.target ?? '', at(e.path));
        advance(1, 0);
      } else {
        await session.setstat(
          at(e.path),
          e.type === 'dir' ? { mode: e.mode } : { mode: e.mode, atime: e.mtime, mtime: e.mtime },
        );
        advance(1, 0);
      }
    },
    o.signal,
  );
}
