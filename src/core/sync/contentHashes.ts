/**
 * Content hashes for the files whose times cannot prove them equal: SHA-256 of the local file,
 * and of the remote copies in one `sha256sum` run (the names travel on stdin, NUL-separated,
 * never on a command line).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'ssh2';
import { execRemote } from '../ssh/remoteExec';
import { shellWord } from '../diagnose/fixCommands';

export function localSha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** GNU coreutils marks a name it escaped with a leading backslash (`\n` and `\\` inside). */
function unescapeName(name: string): string {
  return name.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** `sha256sum` output as relative path → hash; files it could not read are absent. */
export function parseSha256sum(out: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of out.split('\n')) {
    const escaped = line.startsWith('\\');
    const m = /^([0-9a-f]{64}) [ *](.*)$/.exec(escaped ? line.slice(1) : line);
    if (m) {
      hashes.set(escaped ? unescapeName(m[2]) : m[2], m[1]);
    }
  }
  return hashes;
}

/** Hashes of the remote files (relative to root); an empty map when the remote has no sha256sum. */
export async function remoteSha256(
  client: Client,
  root: string,
  rels: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const dir = shellWord(root);
  if (rels.length === 0 || dir === undefined) {
    return new Map();
  }
  const r = await execRemote(client, `cd ${dir} && xargs -0 sha256sum --`, {
    input: rels.map((p) => `./${p}`).join('\0'),
    signal,
    timeoutMs: 600_000,
    maxOutputBytes: 256 * 1024 * 1024,
  });
  const byPath = new Map<string, string>();
  for (const [name, hash] of parseSha256sum(r.stdout)) {
    byPath.set(path.posix.normalize(name), hash);
  }
  return byPath;
}
