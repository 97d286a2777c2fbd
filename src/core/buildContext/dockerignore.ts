/**
 * Docker's `.dockerignore` rules, through @balena/dockerignore (a port of Docker's own matcher),
 * and which ignore file a build reads: `<Dockerfile>.dockerignore` next to the Dockerfile when it
 * exists (BuildKit), else `.dockerignore` at the context's root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ignore } from '@balena/dockerignore';
import { readFileIfExists, writeFileAtomic } from '../common/fsutil';

export interface IgnoreRules {
  /** The file the patterns came from (undefined: none, everything is sent). */
  file?: string;
  patterns: string[];
}

export function loadDockerignore(): (o?: { ignorecase?: boolean }) => Ignore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (esbuild.mjs gives it a file of its own)
  const m = require('@balena/dockerignore') as { default?: unknown };
  return (m.default ?? m) as (o?: { ignorecase?: boolean }) => Ignore;
}

/** The ignore file that applies to a build of `contextDir` with `dockerfile` (absolute or undefined). */
export function ignoreFileFor(contextDir: string, dockerfile?: string): string | undefined {
  const candidates = [...(dockerfile ? [`${dockerfile}.dockerignore`] : []), path.join(contextDir, '.dockerignore')];
  return candidates.find((f) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/** Docker's reader: one pattern a line, `#` comments, blank lines skipped (the matcher cleans each). */
export function readIgnoreRules(contextDir: string, dockerfile?: string): IgnoreRules {
  const file = ignoreFileFor(contextDir, dockerfile);
  if (!file) {
    return { patterns: [] };
  }
  const patterns = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return { file, patterns };
}

/**
 * Adds `pattern` as the last line of an ignore file (made when missing), keeping every byte that
 * was there; nothing is written when the exact line is already present. Returns whether it wrote.
 */
export async function appendIgnorePattern(file: string, pattern: string): Promise<boolean> {
  const before = (await readFileIfExists(file)) ?? '';
  if (before.split(/\r?\n/).some((l) => l.trim() === pattern)) {
    return false;
  }
  const nl = before.includes('\r\n') ? '\r\n' : '\n';
  const sep = before === '' || before.endsWith('\n') ? '' : nl;
  await writeFileAtomic(file, before + sep + pattern + nl);
  return true;
}

/** A pattern matching one top-level entry of the context exactly (wildcards escaped). */
export function patternFor(entry: string): string {
  return '/' + entry.replace(/[*?[\\]/g, (c) => '\\' + c);
}

/**
 * The 0-based line of a Dockerfile's first instruction: past blank lines, comments and parser
 * directives (`# syntax=…`), which are comments too. -1 when there is none.
 */
export function firstInstructionLine(text: string): number {
  const lines = text.split(/\r?\n/);
  return lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}
