/**
 * Which paths of a folder the mirror leaves out: the folder's `.dockerignore` (what a build on
 * the remote would leave out anyway) plus the user's extra patterns, with Docker's pattern rules
 * (`@balena/dockerignore`, loaded on first use like the other libraries).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as DockerIgnore from '@balena/dockerignore';
import { isNotFound } from '../common/fsutil';

export interface Excluder {
  /** True when the relative POSIX path is left out. */
  excludes(rel: string): boolean;
  /** False when a `!` pattern could re-include something below an excluded directory. */
  readonly canSkipExcludedDirs: boolean;
}

function loadDockerIgnore(): typeof DockerIgnore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load (see the file's comment)
  return require('@balena/dockerignore') as typeof DockerIgnore;
}

/** The lines of `<root>/.dockerignore` that are patterns (comments and blank lines dropped); none when absent. */
export async function readDockerignore(root: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(root, '.dockerignore'), 'utf8');
  } catch (e) {
    if (isNotFound(e)) {
      return [];
    }
    throw e;
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function makeExcluder(patterns: readonly string[]): Excluder {
  if (patterns.length === 0) {
    // Nothing to match: skip the matcher, which costs more than the lstat of each file.
    return { excludes: () => false, canSkipExcludedDirs: true };
  }
  const lib = loadDockerIgnore();
  const ig = lib.default({ ignorecase: false }).add([...patterns]);
  return {
    excludes: (rel) => ig.ignores(rel),
    canSkipExcludedDirs: !patterns.some((p) => p.startsWith('!')),
  };
}
