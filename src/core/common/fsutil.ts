import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CoreError } from './errors';

export interface AtomicWriteOptions {
  /** Mode for a file that does not exist yet. An existing file keeps its own mode. */
  mode?: number;
  /** Force this mode even when the file exists (private keys, known_hosts we create). */
  forceMode?: boolean;
  /** Fail with EEXIST instead of replacing an existing file. */
  exclusive?: boolean;
  /**
   * Runs when the new content is on disk in the temporary file, right before the rename: the
   * narrowest window in which to check that the target is still what the caller read. If it
   * throws, nothing is renamed and the error propagates.
   */
  beforeRename?: () => Promise<void> | void;
}

/**
 * Writes a file the way the docker CLI and careful editors do: into a temporary file in the
 * same directory, flushed, then renamed over the target, so a reader sees the old or the new
 * content and never half of it. A symlinked target is followed so the link survives.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Buffer,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const real = await resolveSymlink(target);
  const dir = path.dirname(real);
  let mode = options.mode ?? 0o644;
  let existing = false;
  try {
    const st = await fs.stat(real);
    existing = true;
    if (!options.forceMode) {
      mode = st.mode & 0o7777;
    }
  } catch (e) {
    if (!isNotFound(e)) {
      throw e;
    }
  }
  if (existing && options.exclusive) {
    const err = new Error(`EEXIST: file already exists, '${target}'`) as NodeJS.ErrnoException;
    err.code = 'EEXIST';
    throw err;
  }
  const tmp = path.join(dir, `.${path.basename(real)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask may have narrowed the mode given to open()
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await options.beforeRename?.();
    if (options.exclusive) {
      // link() fails if the target appeared meanwhile, which rename() would silently replace.
      await fs.link(tmp, real);
      await fs.rm(tmp, { force: true });
    } else {
      await fs.rename(tmp, real);
    }
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

async function resolveSymlink(p: string): Promise<string> {
  try {
    const st = await fs.lstat(p);
    if (st.isSymbolicLink()) {
      return await fs.realpath(p);
    }
  } catch (e) {
    if (!isNotFound(e)) {
      throw e;
    }
  }
  return p;
}

/** mkdir -p with a mode for the directories it creates (existing ones are left as they are). */
export async function ensureDir(dir: string, mode = 0o755): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode });
}

/** The file's text, or undefined when it does not exist. Other errors propagate. */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) {
      return undefined;
    }
    throw e;
  }
}

/**
 * Whether anything is at `p` (lstat, so a dangling symlink counts: a write there would still
 * clobber something). Not found is false; any other failure is `fileUnreadable`, since the answer
 * is unknown.
 */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if (isNotFound(e)) {
      return false;
    }
    throw new CoreError('fileUnreadable', `Cannot check ${p}.`, { file: p, code: errnoCode(e) }, { cause: e });
  }
}

export function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
