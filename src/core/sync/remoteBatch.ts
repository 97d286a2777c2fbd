/**
 * Remote work done in one command instead of one SFTP request per entry: whether the remote has
 * the tools (`tar`, `xargs`), and deletions as NUL-separated paths on the stdin of a fixed
 * command. The only value on a command line is the checked mirror directory, as one quoted word;
 * every path travels on stdin, `./`-prefixed so none can be read as an option.
 */
import type { Client } from 'ssh2';
import { CoreError } from '../common/errors';
import { shellWord } from '../diagnose/fixCommands';
import { execRemote } from '../ssh/remoteExec';
import { remoteJoin } from './remotePaths';
import type { TreeEntry } from './syncTypes';

/** True when the remote shell finds `tar` and `xargs` (busybox's do): the batched path can run. */
export async function remoteHasTar(client: Client, signal?: AbortSignal): Promise<boolean> {
  const r = await execRemote(client, 'command -v tar >/dev/null 2>&1 && command -v xargs >/dev/null 2>&1 && echo yes', {
    signal,
    timeoutMs: 30_000,
  });
  return r.code === 0 && r.stdout.trim() === 'yes';
}

function dirWord(root: string): string {
  const dir = shellWord(root);
  if (dir === undefined || !root.startsWith('/')) {
    throw new CoreError('syncPathOutside', `The path ${JSON.stringify(root)} is not inside the mirror.`, {
      path: root,
    });
  }
  return dir;
}

/** The planned deletions that are not below another one: removing those (recursively) removes all. */
export function topmostDeletes(deletes: readonly TreeEntry[]): string[] {
  const all = new Set(deletes.map((d) => d.path));
  return deletes
    .map((d) => d.path)
    .filter((p) => {
      for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
        if (all.has(p.slice(0, i))) {
          return false;
        }
      }
      return true;
    })
    .sort();
}

/**
 * Removes the planned deletions in one `rm -rf` run. A planned directory deletion takes all below
 * it (the plan deletes a directory only when nothing below it stays); `rm` removes a symlink,
 * never what it points to.
 */
export async function deleteRemote(
  client: Client,
  remoteRoot: string,
  deletes: readonly TreeEntry[],
  signal?: AbortSignal,
): Promise<void> {
  const paths = topmostDeletes(deletes);
  if (paths.length === 0) {
    return;
  }
  for (const p of paths) {
    remoteJoin(remoteRoot, p); // refuses a path that would leave the mirror
  }
  const r = await execRemote(client, `cd ${dirWord(remoteRoot)} && xargs -0 rm -rf --`, {
    input: paths.map((p) => `./${p}\0`).join(''),
    signal,
    timeoutMs: 600_000,
  });
  if (r.code !== 0) {
    throw new CoreError('syncRemoteFailed', `Removing files on the remote failed: ${r.stderr.slice(0, 500)}`, {
      op: 'rm',
      path: remoteRoot,
      message: r.stderr.slice(0, 500),
      code: r.code ?? undefined,
    });
  }
}
