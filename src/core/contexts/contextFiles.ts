import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreError } from '../common/errors';
import { errnoCode, isNotFound } from '../common/fsutil';
import { readSmallTextFileSync } from '../common/readSmallTextFileSync';
import { type ContextMeta, MetaShapeError, interpretMeta } from './contextMeta';
import { foldEquals } from './goJson';
import { JsonSyntaxError, parseJsonStrict } from './jsonDocument';

/**
 * The files of the docker CLI's context store under `contexts/`, read as the CLI reads them: the
 * `meta/<id>/meta.json` directories (at any depth); contextTls.ts reads the `tls/<id>/` folders.
 * ContextStore turns them into contexts and writes them.
 */

export const META_FILE = 'meta.json';
/** Directories handled between two yields to the event loop while listing. */
const LIST_BATCH = 128;

/** What was found in one directory of contexts/meta. */
export interface MetaFile {
  /** The directory relative to contexts/meta, '/'-separated; sha256(name) for every sane context. */
  dirId: string;
  file: string;
  text?: string;
  readError?: Error;
}

/** What a context's meta.json could be turned into. */
export type Loaded =
  | { ok: true; meta: ContextMeta }
  | { ok: false; reason: 'contextMetaUnreadable' | 'contextMetaCorrupt'; message: string; jsonName?: string };

/**
 * Walks contexts/meta like the CLI's `listRecursivelyMetadataDirs`: every real directory (not a
 * symlink) at any depth whose meta.json is not a directory is a context. To skip a readdir per
 * context, a directory whose link count is 2 is known to have no subdirectories (the leaf
 * optimisation of find(1); file systems that do not count, like btrfs, report 1 and get read).
 */
export async function scanMetaDir(metaDir: string): Promise<MetaFile[]> {
  const found: MetaFile[] = [];
  let rootEntries: fs.Dirent[];
  try {
    rootEntries = fs.readdirSync(metaDir, { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) {
      return found;
    }
    throw new CoreError(
      'fileUnreadable',
      `${metaDir} cannot be read: ${(e as Error).message}`,
      { file: metaDir },
      { cause: e },
    );
  }
  const pending: string[] = [];
  for (const d of rootEntries) {
    if (d.isDirectory()) {
      pending.push(d.name);
    }
  }
  let done = 0;
  for (let i = 0; i < pending.length; i++) {
    const dirId = pending[i];
    const dir = metaDir + path.sep + dirId; // path.join's normalising is measurable at 1000 contexts
    let hasSubdirs: boolean;
    try {
      hasSubdirs = fs.statSync(dir).nlink !== 2;
    } catch {
      continue; // removed meanwhile
    }
    if (hasSubdirs) {
      try {
        for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
          if (d.isDirectory()) {
            pending.push(dirId + '/' + d.name);
          }
        }
      } catch {
        // Unlistable: its meta.json may still be readable, which is all that decides below.
      }
    }
    const entry = readMetaFile(dir, dirId);
    if (entry) {
      found.push(entry);
    }
    if (++done % LIST_BATCH === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return found;
}

/**
 * The meta.json for `name` (in sha256(name)). With `byId`, a name that is itself a directory id
 * also finds that directory: a broken context is listed under its id, and must stay reachable
 * for get/inspect/remove.
 */
export function locateMeta(metaDir: string, name: string, id: string, byId: boolean): MetaFile | undefined {
  const entry = readMetaFile(path.join(metaDir, id), id);
  if (entry || !byId || !/^[0-9a-f]{64}$/.test(name)) {
    return entry;
  }
  return readMetaFile(path.join(metaDir, name), name);
}

/** Reads dir/meta.json; undefined when the directory is not a context (as the CLI decides). */
export function readMetaFile(dir: string, dirId: string): MetaFile | undefined {
  const file = dir + path.sep + META_FILE;
  try {
    return { dirId, file, text: readSmallTextFileSync(file) };
  } catch (e) {
    const code = errnoCode(e);
    // Missing, a directory, or a dangling/looping symlink: the CLI's os.Stat test says "no context".
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ELOOP') {
      return undefined;
    }
    return { dirId, file, readError: e as Error };
  }
}

/** meta.json as the CLI would load it, or why it cannot be. */
export function loadMeta(f: MetaFile): Loaded {
  if (f.readError || f.text === undefined) {
    return {
      ok: false,
      reason: 'contextMetaUnreadable',
      message: `${f.file} cannot be read: ${f.readError?.message ?? 'unknown error'}`,
    };
  }
  let root;
  try {
    root = parseJsonStrict(f.text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      return { ok: false, reason: 'contextMetaCorrupt', message: `${f.file} is not valid JSON: ${e.message}` };
    }
    throw e;
  }
  try {
    return { ok: true, meta: interpretMeta(root) };
  } catch (e) {
    if (e instanceof MetaShapeError) {
      let jsonName: string | undefined;
      if (root.type === 'object') {
        for (const m of root.members) {
          if (foldEquals(m.key, 'Name') && m.value.type === 'string') {
            jsonName = m.value.value;
          }
        }
      }
      return {
        ok: false,
        reason: 'contextMetaCorrupt',
        message: `${f.file} cannot be loaded by docker: ${e.message}`,
        jsonName,
      };
    }
    throw e;
  }
}

export function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch (e) {
    if (isNotFound(e)) {
      return undefined;
    }
    throw e;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Whether `text` (read from `file` as UTF-8) is the file's bytes exactly. Only text holding
 * U+FFFD can differ, so only then is the file read again, as bytes. A file that cannot be read
 * again counts as not exact: a caller that would rewrite it then refuses.
 */
export function isExactUtf8File(file: string, text: string | undefined): boolean {
  if (text === undefined || !text.includes('\uFFFD')) {
    return true;
  }
  try {
    return strictUtf8.decode(fs.readFileSync(file)) === text;
  } catch {
    return false;
  }
}
