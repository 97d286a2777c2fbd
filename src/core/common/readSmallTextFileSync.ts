import * as fs from 'node:fs';

/** Larger than any real meta.json or config.json; the CLI's own import limit is 10 MiB. */
export const MAX_STORE_FILE_BYTES = 10 << 20;

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);
/**
 * Reused for every read that fits (all real meta.json and config.json files): listing 1000
 * contexts would otherwise allocate 1000 buffers. Safe to share because reads are synchronous;
 * only bytes copied out into the returned string survive a call.
 */
const scratch = Buffer.allocUnsafe(16 * 1024);
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a small regular file as UTF-8 with three system calls (open, read, close). Errors are thrown as
 * errno-style errors; two are made up here: `ENOTREG` when the path is a FIFO, socket or device
 * (a FIFO would block a plain read forever: opening with O_NONBLOCK and checking is what keeps a
 * planted pipe from hanging the extension), `EFBIG` beyond `maxBytes`, and with `exactUtf8`
 * `EILSEQ` for bytes that are not UTF-8 (a caller that rewrites the file must not corrupt them).
 *
 * Synchronous on purpose: for files of a few hundred bytes the syscalls cost a few microseconds,
 * while each asynchronous step (open, stat, read, close on the thread pool) costs more than the
 * whole read; callers that read many files yield to the event loop between batches.
 */
export function readSmallTextFileSync(
  file: string,
  maxBytes = MAX_STORE_FILE_BYTES,
  options: { exactUtf8?: boolean } = {},
): string {
  const fd = fs.openSync(file, OPEN_FLAGS);
  try {
    let total = 0;
    let buf = scratch;
    for (;;) {
      if (total === buf.length) {
        if (buf.length > maxBytes) {
          throw errnoError('EFBIG', `file is larger than ${maxBytes} bytes`, file);
        }
        const bigger = Buffer.allocUnsafe(buf.length * 4);
        buf.copy(bigger, 0, 0, total);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) {
        break;
      }
      total += n;
    }
    if (total > maxBytes) {
      throw errnoError('EFBIG', `file is larger than ${maxBytes} bytes`, file);
    }
    if (total === 0 && !fs.fstatSync(fd).isFile()) {
      // An empty read is also what a FIFO without a writer gives; only then is the stat worth it.
      throw errnoError('ENOTREG', 'not a regular file', file);
    }
    if (options.exactUtf8) {
      // For a file that will be rewritten: bytes that are not UTF-8 would become U+FFFD.
      try {
        return strictDecoder.decode(buf.subarray(0, total));
      } catch {
        throw errnoError('EILSEQ', 'bytes that are not UTF-8', file);
      }
    }
    return buf.toString('utf8', 0, total);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
      throw errnoError('ENOTREG', 'not a regular file', file);
    }
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

function errnoError(code: string, message: string, file: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${message}, '${file}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = file;
  return e;
}
