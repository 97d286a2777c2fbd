/**
 * Reading a file that a user, a glob or a configuration names, without ever blocking and
 * without reading without bound: ssh_config files and their Includes, known_hosts. A FIFO (or
 * a device) would make a plain read wait forever and a multi-gigabyte file would fill memory,
 * so the file is opened non-blocking, anything but a regular file is refused, and the read
 * stops past a cap. Asynchronous on purpose: a read that hangs (a network file system that
 * stopped answering) then only holds a thread-pool thread, and the caller's deadline still fires.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { CoreError } from '../common/errors';
import { errnoCode, isNotFound } from '../common/fsutil';

/** ssh_config files: far above any real one (a few KiB), small enough to parse at once. */
export const MAX_CONFIG_FILE_BYTES = 8 << 20;
/** known_hosts: ~100 bytes a line, so room for hundreds of thousands of hosts. */
export const MAX_KNOWN_HOSTS_BYTES = 64 << 20;

/**
 * readRegularFile for a file that may be missing (undefined then); any other failure is the
 * `fileUnreadable` CoreError with its errno code (and the cap, past it), never a guess.
 */
export async function readRegularFileIfExists(file: string, maxBytes: number): Promise<Buffer | undefined> {
  try {
    return await readRegularFile(file, maxBytes);
  } catch (e) {
    if (isNotFound(e)) {
      return undefined;
    }
    const code = errnoCode(e);
    throw new CoreError(
      'fileUnreadable',
      `Cannot read ${file}: ${code ?? String(e)}`,
      { file, code, ...(code === 'EFBIG' ? { maxBytes } : {}) },
      { cause: e },
    );
  }
}

/**
 * The bytes of a regular file. Errors are errno-style: ENOENT and friends from open, EISDIR for
 * a directory (as a read would say), and two made up here: ENOTREG for a FIFO, socket or device,
 * EFBIG past `maxBytes`.
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  const nonBlock = (fsConstants as { O_NONBLOCK?: number }).O_NONBLOCK ?? 0;
  const handle = await fs.open(file, fsConstants.O_RDONLY | nonBlock);
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      throw errnoError(
        st.isDirectory() ? 'EISDIR' : 'ENOTREG',
        st.isDirectory() ? 'is a directory' : 'not a regular file',
        file,
      );
    }
    if (st.size > maxBytes) {
      throw errnoError('EFBIG', `file is larger than ${maxBytes} bytes`, file);
    }
    // The size may grow while reading: read at most one byte past the cap to notice.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(Math.max(st.size - total, 64 * 1024), maxBytes + 1 - total);
      if (want <= 0) {
        break;
      }
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, null);
      if (bytesRead === 0) {
        break;
      }
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > maxBytes) {
      throw errnoError('EFBIG', `file is larger than ${maxBytes} bytes`, file);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** UTF-8 text of `bytes`, or undefined when the bytes are not UTF-8 (they would not survive a rewrite). */
export function exactUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function errnoError(code: string, message: string, file: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${message}, '${file}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = file;
  return e;
}
