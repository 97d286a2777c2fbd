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

/** `CCYYMMDDhhmm.SS` in UTC, the form POSIX `touch -t` takes (GNU, busybox and BSD alike). */
export function touchStamp(mtime: number): string | undefined {
  const d = new Date(mtime * 1000);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(mtime) || y < 1970 || y > 9999) {
    return undefined;
  }
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${y}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}` +
    `${two(d.getUTCHours())}${two(d.getUTCMinutes())}.${two(d.getUTCSeconds())}`
  );
}

/** One remote command line's worth (sshd takes far more; a shell's ARG_MAX too). */
const COMMAND_BYTES = 100_000;

/**
 * The shell commands that set the planned attributes: one `chmod` per distinct mode and one
 * `touch -t` per distinct mtime (files only, as over SFTP), every path a quoted `./`-word of the
 * shell quoting helper (never read as an option, so no `--`, which busybox's chmod would take for a name), in commands of at most COMMAND_BYTES. Entries whose path cannot be one
 * word (control characters) or whose time `touch -t` cannot write are returned for SFTP.
 */
export function attributeCommands(
  remoteRoot: string,
  entries: readonly TreeEntry[],
): { commands: string[]; left: TreeEntry[] } {
  const left: TreeEntry[] = [];
  const groups = new Map<string, string[]>();
  const add = (head: string, word: string): void => {
    const g = groups.get(head);
    if (g) {
      g.push(word);
    } else {
      groups.set(head, [word]);
    }
  };
  for (const e of entries) {
    remoteJoin(remoteRoot, e.path); // refuses a path that would leave the mirror
    const word = shellWord(`./${e.path}`);
    const stamp = e.type === 'file' ? touchStamp(e.mtime) : '';
    if (word === undefined || stamp === undefined || e.type === 'symlink') {
      left.push(e);
      continue;
    }
    add(`chmod ${(e.mode & 0o7777).toString(8).padStart(4, '0')}`, word);
    if (stamp !== '') {
      add(`TZ=UTC0 touch -c -m -t ${stamp}`, word);
    }
  }
  const prefix = `cd ${dirWord(remoteRoot)}`;
  const commands: string[] = [];
  let current = '';
  const push = (piece: string): void => {
    if (current !== '' && prefix.length + current.length + piece.length + 4 > COMMAND_BYTES) {
      commands.push(prefix + current);
      current = '';
    }
    current += ` && ${piece}`;
  };
  for (const [head, words] of groups) {
    let piece = head;
    for (const w of words) {
      if (piece !== head && prefix.length + piece.length + w.length + 5 > COMMAND_BYTES) {
        push(piece);
        piece = head;
      }
      piece += ` ${w}`;
    }
    push(piece);
  }
  if (current !== '') {
    commands.push(prefix + current);
  }
  return { commands, left };
}

/** Sets the planned modes and mtimes with a few commands; answers the entries left for SFTP. */
export async function setAttributesRemote(
  client: Client,
  remoteRoot: string,
  entries: readonly TreeEntry[],
  signal?: AbortSignal,
): Promise<TreeEntry[]> {
  const { commands, left } = attributeCommands(remoteRoot, entries);
  for (const command of commands) {
    const r = await execRemote(client, command, { signal, timeoutMs: 600_000 });
    if (r.code !== 0) {
      throw new CoreError(
        'syncRemoteFailed',
        `Setting modes and times on the remote failed: ${r.stderr.slice(0, 500)}`,
        {
          op: 'setstat',
          path: remoteRoot,
          message: r.stderr.slice(0, 500),
          code: r.code ?? undefined,
        },
      );
    }
  }
  return left;
}
