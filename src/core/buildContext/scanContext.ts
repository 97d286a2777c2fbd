/**
 * What `docker build` would send of a folder: every entry its `.dockerignore` keeps, counted and
 * sized, with the largest top-level entries (what to add to `.dockerignore` first). A synchronous
 * walk, meant for a worker thread (scanWorker.ts): it never runs on the extension host's thread.
 *
 * An excluded folder is not entered unless a `!` pattern could re-include something inside it,
 * the same shortcut Docker's own walker takes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDockerignore } from './dockerignore';

export interface ContextEntry {
  /** Relative to the context, with `/`. */
  path: string;
  bytes: number;
  files: number;
  directory: boolean;
}

export interface ContextScan {
  /** Non-directory entries sent (files and symlinks). */
  files: number;
  /** Content bytes of the files sent. */
  bytes: number;
  /** The size of the tar stream the CLI sends (512-byte headers and padding). */
  tarBytes: number;
  /** The top-level entries, largest first (at most `top`). */
  largest: ContextEntry[];
  /** Relative paths of every file sent, when asked for (tests, the differential check). */
  list?: string[];
}

export interface ScanOptions {
  top?: number;
  list?: boolean;
}

const BLOCK = 512;

function tarSize(bytes: number): number {
  return BLOCK + Math.ceil(bytes / BLOCK) * BLOCK;
}

/** The literal start of a pattern (before its first wildcard), for "could it match inside dir?". */
function literalPrefix(pattern: string): string {
  const clean = pattern.replace(/^\/+/, '');
  const m = /[*?[\\]/.exec(clean);
  return m ? clean.slice(0, m.index) : clean;
}

export function scanContext(contextDir: string, patterns: readonly string[], o: ScanOptions = {}): ContextScan {
  const ig = loadDockerignore()().add([...patterns]);
  const reincludes = patterns.filter((p) => p.startsWith('!')).map((p) => literalPrefix(p.slice(1)));
  const mayReinclude = (rel: string): boolean =>
    reincludes.some((pre) => pre.startsWith(rel + '/') || (rel + '/').startsWith(pre) || pre === '');
  const top = new Map<string, ContextEntry>();
  const list: string[] | undefined = o.list ? [] : undefined;
  let files = 0;
  let bytes = 0;
  let tarBytes = 2 * BLOCK;

  const walk = (dir: string, rel: string, topName: string | undefined): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      const full = path.join(dir, e.name);
      // The matcher splits on the platform's separator.
      const excluded = ig.ignores(path.sep === '/' ? childRel : childRel.split('/').join(path.sep));
      const owner = topName ?? e.name;
      if (e.isDirectory()) {
        if (excluded && !mayReinclude(childRel)) {
          continue;
        }
        if (!excluded) {
          tarBytes += BLOCK;
          entryOf(top, owner, topName === undefined);
        }
        walk(full, childRel, owner);
        continue;
      }
      if (excluded) {
        continue;
      }
      let size = 0;
      if (e.isFile()) {
        try {
          size = fs.lstatSync(full).size;
        } catch {
          continue;
        }
      }
      files++;
      bytes += size;
      tarBytes += e.isFile() ? tarSize(size) : BLOCK;
      list?.push(childRel);
      const t = entryOf(top, owner, topName !== undefined);
      t.bytes += size;
      t.files++;
    }
  };
  walk(contextDir, '', undefined);
  const largest = [...top.values()]
    .filter((t) => t.files > 0 || !t.directory)
    .sort((a, b) => b.bytes - a.bytes || b.files - a.files)
    .slice(0, o.top ?? 10);
  return { files, bytes, tarBytes, largest, ...(list ? { list } : {}) };
}

function entryOf(top: Map<string, ContextEntry>, name: string, directory: boolean): ContextEntry {
  let t = top.get(name);
  if (!t) {
    t = { path: name, bytes: 0, files: 0, directory };
    top.set(name, t);
  }
  return t;
}

/** The I/O floor the scan is measured against: a bare recursive walk that lstats every entry. */
export function walkAll(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    fs.lstatSync(full);
    n++;
    if (e.isDirectory()) {
      n += walkAll(full);
    }
  }
  return n;
}
