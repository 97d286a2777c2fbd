/**
 * Temp directories for one test file, all removed when its tests have run: call `tempDirs` at
 * the top level of the file (it registers a node:test `after` hook there), then the function it
 * returns in each test. Plain Node, no root: meant for the unit tests, whose servers-free
 * fixtures still must not pile up in the temp dir.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

export function tempDirs(prefix: string): () => Promise<string> {
  const made: string[] = [];
  after(async () => {
    await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
