/**
 * Many new entries in one stream: a tar made here (`tar-stream`) from the local walk's entries,
 * sent over ONE exec channel into `tar -x` in the mirror directory. sftp-server answers one
 * request at a time, four or more requests a file, so a first sync of 10,000 small files spent
 * most of its time in those answers; tar writes them as fast as the disk takes them.
 *
 * What stays true of the SFTP path:
 * - Nothing is written outside the mirror: every name is a relative path of the local walk,
 *   checked again here (no `..`, no absolute path, no empty or `.` component, never below a
 *   symlink this stream makes); the remote `tar` runs in the checked mirror directory, and the
 *   caller has removed every remote entry of another type first (a remote symlink where a
 *   directory goes is deleted, not extracted through).
 * - Modes, mtimes (whole seconds) and symlinks (their text, never followed) are kept: `-p`
 *   restores the exact permission bits whatever the remote umask, `-o` keeps the remote user as
 *   owner (the header's uid 0 is never applied, even when the remote user is root).
 * - Cancel ends the channel. The remote tar then reads an early end of archive and stops: the
 *   member it was writing stays, cut short, under its final name, with tar's creation mode and
 *   the time of writing as its mtime (tar sets a member's mode and mtime only after its last
 *   byte), and a directory it made may still lack its final mode. The next sync sees each of
 *   these as changed (a smaller size, or another mtime checked by hash, or another mode) and puts
 *   it right; a file with the local mtime and size on the remote is a complete file.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client, ClientChannel } from 'ssh2';
import type * as TarStream from 'tar-stream';
import { CoreError, cancelledError, describeError } from '../common/errors';
import { shellWord } from '../diagnose/fixCommands';
import { channelOpenError } from '../ssh/remoteExec';
import type { TreeEntry } from './syncTypes';

export interface TarUploadOptions {
  client: Client;
  localRoot: string;
  /** The checked, absolute mirror directory. */
  remoteRoot: string;
  /** Directories, files and symlinks to create, parents before children (path order). */
  entries: readonly TreeEntry[];
  signal?: AbortSignal;
  /** Called as each entry has been handed to the channel, with the bytes it carried. */
  onAdvance?: (files: number, bytes: number) => void;
  /** No byte accepted by the channel for this long fails the upload (default 60 s). */
  stallTimeoutMs?: number;
}

/** Files up to this size are read whole; larger ones are streamed in chunks of this size. */
const WHOLE_FILE = 1024 * 1024;
/** ustar's 11 octal digits: larger files go over SFTP (tar-stream writes no size extension). */
export const TAR_MAX_FILE = 8 * 1024 * 1024 * 1024 - 1;

function loadTarStream(): typeof TarStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, like the other libraries
  return require('tar-stream') as typeof TarStream;
}

function outside(rel: string): CoreError {
  return new CoreError('syncPathOutside', `The path ${JSON.stringify(rel)} is not inside the mirror.`, { path: rel });
}

/** The remote command: extract stdin in the mirror directory, modes exact, owner the remote user. */
export function tarExtractCommand(remoteRoot: string): string {
  const dir = shellWord(remoteRoot);
  if (dir === undefined || !remoteRoot.startsWith('/')) {
    throw outside(remoteRoot);
  }
  return `cd ${dir} && exec tar -xpof -`;
}

/**
 * Refuses any entry a tar must not carry: a name that is not a plain relative path, or one below
 * a symlink of the same stream (extracting it would write through the link).
 */
export function checkTarEntries(entries: readonly TreeEntry[]): void {
  const links = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split('/');
    if (
      e.path === '' ||
      e.path.includes('\0') ||
      e.path.startsWith('/') ||
      parts.some((c) => c === '' || c === '.' || c === '..')
    ) {
      throw outside(e.path);
    }
    for (let i = 1; i < parts.length; i++) {
      if (links.has(parts.slice(0, i).join('/'))) {
        throw outside(e.path);
      }
    }
    if (e.type === 'symlink') {
      links.add(e.path);
    }
  }
}

/** The exec channel of the remote tar; like every network step it has a deadline and can be cancelled. */
function openChannel(client: Client, command: string, signal: AbortSignal | undefined): Promise<ClientChannel> {
  const timeoutMs = 30_000;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      }
    };
    const onAbort = (): void => settle(() => reject(cancelledError()));
    const timer = setTimeout(
      () =>
        settle(() => reject(new CoreError('timeout', 'The SSH server did not open a session in time.', { timeoutMs }))),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      client.exec(command, (err, ch) => {
        if (err) {
          settle(() => reject(channelOpenError(err)));
        } else if (settled) {
          ch.close(); // opened after a cancel or the deadline: nobody will write to it
        } else {
          settle(() => resolve(ch));
        }
      });
    } catch (e) {
      settle(() =>
        reject(new CoreError('connectionLost', 'The SSH connection is closed.', { message: describeError(e) })),
      );
    }
  });
}

function localFile(o: TarUploadOptions, rel: string): string {
  return path.join(o.localRoot, ...rel.split('/'));
}

/**
 * A small file's bytes, read synchronously: from the page cache that is a few syscalls of some
 * microseconds, where fs.promises' open/fstat/read/close each wait for libuv's thread pool (four
 * times slower over 10,000 files, and the packing was then the slowest stage of a first sync).
 * The stream waits for the channel after each entry, so the event loop gets its turns.
 */
function readWhole(o: TarUploadOptions, rel: string): Buffer {
  try {
    return readFileSync(localFile(o, rel));
  } catch (err) {
    throw new CoreError('syncLocalUnreadable', `${rel} cannot be read: ${describeError(err)}`, { file: rel });
  }
}

/** Writes a large file's first `size` bytes into the entry (zeros if it shrank meanwhile: the next sync sees it). */
async function streamLarge(o: TarUploadOptions, e: TreeEntry, sink: NodeJS.WritableStream): Promise<void> {
  let file: fs.FileHandle;
  try {
    file = await fs.open(localFile(o, e.path), 'r');
  } catch (err) {
    throw new CoreError('syncLocalUnreadable', `${e.path} cannot be read: ${describeError(err)}`, { file: e.path });
  }
  try {
    for (let at = 0; at < e.size;) {
      const buf = Buffer.alloc(Math.min(WHOLE_FILE, e.size - at));
      const { bytesRead } = await file.read(buf, 0, buf.length, at);
      const chunk = bytesRead === 0 ? buf : buf.subarray(0, bytesRead);
      at += chunk.length;
      if (!sink.write(chunk)) {
        // Room again, or the pack was destroyed (a cancel, the remote tar gone): stop reading then.
        const room = await new Promise<boolean>((resolve) => {
          sink.once('drain', () => resolve(true));
          sink.once('close', () => resolve(false));
        });
        if (!room) {
          throw cancelledError();
        }
      }
    }
  } finally {
    await file.close();
  }
}

export async function tarUpload(o: TarUploadOptions): Promise<void> {
  checkTarEntries(o.entries);
  if (o.signal?.aborted) {
    throw cancelledError();
  }
  const ch = await openChannel(o.client, tarExtractCommand(o.remoteRoot), o.signal);
  // A 1 MiB buffer: the pump below takes it in large pieces (see pump).
  const pack = loadTarStream().pack({ highWaterMark: 1024 * 1024 });
  const sent = { at: Date.now() };
  const finished = channelEnd(ch, pack, sent, o);
  finished.catch(() => undefined); // awaited below, after the entries
  pump(pack, ch, sent);
  try {
    await packEntries(o, pack, finished);
  } catch (e) {
    pack.destroy();
    ch.close();
    await finished.catch(() => undefined);
    throw o.signal?.aborted ? cancelledError() : e;
  }
  await finished;
}

/** Adds every entry to the pack, waiting for the channel to take each (backpressure), then ends it. */
async function packEntries(o: TarUploadOptions, pack: TarStream.Pack, finished: Promise<void>): Promise<void> {
  const advance = o.onAdvance ?? (() => undefined);
  // The channel ending first (the remote tar stopped, a cancel, the stall timeout) ends the packing
  // too: a write waiting for room would otherwise wait for ever.
  const ended = finished.then(() => {
    throw new CoreError('syncRemoteFailed', 'tar on the remote ended before the archive did.', {
      op: 'tar',
      path: o.remoteRoot,
      message: 'early exit',
    });
  });
  ended.catch(() => undefined);
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, ended]);
  const add = (header: TarStream.Headers, body?: Buffer): Promise<void> =>
    guard(
      new Promise((resolve, reject) => pack.entry(header, body as Buffer, (err) => (err ? reject(err) : resolve()))),
    );
  for (let i = 0; i < o.entries.length; i++) {
    if (o.signal?.aborted) {
      throw cancelledError();
    }
    const e = o.entries[i];
    const base = { name: e.path, mode: e.mode, mtime: new Date(e.mtime * 1000) };
    if (e.type === 'dir') {
      await add({ ...base, type: 'directory' });
      advance(1, 0);
    } else if (e.type === 'symlink') {
      await add({ ...base, type: 'symlink', linkname: e.target ?? '' });
      advance(1, 0);
    } else if (e.size <= WHOLE_FILE) {
      const data = readWhole(o, e.path);
      await add({ ...base, type: 'file', size: data.length }, data);
      advance(1, data.length);
    } else {
      await guard(
        new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...base, type: 'file', size: e.size }, (err) => (err ? reject(err) : resolve()));
          streamLarge(o, e, sink).then(
            () => sink.end(),
            (err: unknown) => {
              sink.destroy();
              reject(err instanceof Error ? err : new Error(String(err)));
            },
          );
        }),
      );
      advance(1, e.size);
    }
  }
  pack.finalize();
}

/**
 * Settles when the remote tar has exited: resolved on status 0; rejected with its stderr
 * otherwise, on cancel, or when the channel took no byte for the stall timeout.
 */
/**
 * Moves the archive into the channel in large pieces, not tar-stream's 512-byte headers, bodies
 * and paddings one by one: every channel write becomes SSH packets of its own (padding, MAC, a
 * socket write each), and those small packets were most of the extension's CPU in a first sync.
 * The pack is read once the packing has had its turn (`setImmediate` runs after the promise
 * callbacks that add entries, which stop when the pack holds its 1 MiB), and the channel's room
 * (its window) is waited for between pieces.
 */
function pump(pack: TarStream.Pack, ch: ClientChannel, sent: { at: number }): void {
  let waiting = false;
  let scheduled = false;
  const flow = (): void => {
    scheduled = false;
    if (waiting) {
      return;
    }
    for (let chunk = pack.read() as Buffer | null; chunk !== null; chunk = pack.read() as Buffer | null) {
      sent.at = Date.now();
      if (!ch.write(chunk)) {
        waiting = true;
        ch.once('drain', () => {
          waiting = false;
          flow();
        });
        return;
      }
    }
  };
  pack.on('readable', () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(flow);
    }
  });
  pack.once('end', () => ch.end());
}

function channelEnd(ch: ClientChannel, pack: TarStream.Pack, sent: { at: number }, o: TarUploadOptions): Promise<void> {
  const stallMs = o.stallTimeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    let code: number | null = null;
    let stderr = '';
    let failure: CoreError | undefined;
    const stop = (e: CoreError): void => {
      failure ??= e;
      ch.close();
    };
    const onAbort = (): void => stop(cancelledError());
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const watchdog = setInterval(
      () => {
        if (Date.now() - sent.at >= stallMs) {
          stop(new CoreError('timeout', 'The remote tar stopped taking data.', { timeoutMs: stallMs }));
        }
      },
      Math.min(1000, stallMs),
    );
    ch.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) {
        stderr += d.toString('utf8');
      }
    });
    ch.on('data', () => undefined);
    ch.on('exit', (c: number | null) => (code = typeof c === 'number' ? c : null));
    ch.on('error', () => undefined); // reported through 'close' and a missing exit status
    ch.on('close', () => {
      clearInterval(watchdog);
      o.signal?.removeEventListener('abort', onAbort);
      if (failure) {
        reject(failure);
      } else if (code === 0) {
        resolve();
      } else {
        pack.destroy();
        reject(
          new CoreError('syncRemoteFailed', `tar on the remote failed: ${stderr.slice(0, 500)}`, {
            op: 'tar',
            path: o.remoteRoot,
            message: stderr.slice(0, 500),
            code: code ?? undefined,
          }),
        );
      }
    });
  });
}
