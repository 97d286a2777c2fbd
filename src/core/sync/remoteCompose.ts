/**
 * `docker compose` (or `docker-compose`) run on the remote, in the mirror of the project: the
 * project name the laptop would use, `-f` the mirrored compose file (so relative bind mounts and
 * build contexts resolve to the mirrored files), over an exec channel of the pooled connection
 * with a pty (Ctrl-C reaches compose as it would in a terminal). Every value on the command line
 * is one quoted shell word; the actions are constant words.
 */
import * as path from 'node:path';
import type { Client, ClientChannel } from 'ssh2';
import { CoreError, cancelledError } from '../common/errors';
import { shellWord } from '../diagnose/fixCommands';
import { channelOpenError, execRemote } from '../ssh/remoteExec';
import { remoteJoin } from './remotePaths';

export type ComposeAction = 'up' | 'down' | 'logs' | 'restart';
export type ComposeFlavor = 'docker compose' | 'docker-compose';

const ACTION_ARGS: Record<ComposeAction, string> = {
  up: 'up -d --build',
  down: 'down',
  logs: 'logs -f --tail 200',
  restart: 'restart',
};

/**
 * Compose's default project name for a directory: its base name lower-cased, every character
 * other than `a-z 0-9 _ -` removed, leading `_`/`-` trimmed (compose-go's NormalizeProjectName).
 */
export function composeProjectName(dirName: string): string {
  return dirName
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/** The name the laptop's compose would give the project: the file's top-level `name:`, else its directory's. */
export function laptopProjectName(composeFile: string, topLevelName: unknown): string {
  if (typeof topLevelName === 'string' && topLevelName.trim() !== '') {
    return composeProjectName(topLevelName.trim());
  }
  return composeProjectName(path.basename(path.dirname(composeFile)));
}

/** Which compose the remote has: the v2 plugin first, else the standalone v1 command. */
export async function detectCompose(client: Client, signal?: AbortSignal): Promise<ComposeFlavor> {
  const r = await execRemote(
    client,
    'if docker compose version >/dev/null 2>&1; then echo v2; ' +
      'elif command -v docker-compose >/dev/null 2>&1; then echo v1; ' +
      'elif command -v docker >/dev/null 2>&1; then echo none; else echo nodocker; fi',
    { signal, timeoutMs: 30_000 },
  );
  const answer = r.stdout.trim();
  if (answer === 'v2') {
    return 'docker compose';
  }
  if (answer === 'v1') {
    return 'docker-compose';
  }
  throw new CoreError('composeMissing', 'Neither docker compose nor docker-compose is installed on the remote.', {
    dockerCli: answer === 'none',
  });
}

export interface ComposeCommandOptions {
  flavor: ComposeFlavor;
  action: ComposeAction;
  /** The mirror directory (absolute). */
  remoteRoot: string;
  /** The compose file relative to the mirrored folder (POSIX). */
  composeFile: string;
  projectName: string;
  /** The daemon's socket when the context names one (the remote CLI's default otherwise). */
  dockerSocket?: string;
}

function word(value: string, what: string): string {
  const w = shellWord(value);
  if (w === undefined) {
    throw new CoreError('syncPathOutside', `The ${what} ${JSON.stringify(value)} cannot be passed to compose.`, {
      path: value,
    });
  }
  return w;
}

export function composeCommand(o: ComposeCommandOptions): string {
  const file = remoteJoin(o.remoteRoot, o.composeFile);
  const dir = path.posix.dirname(file);
  const env = o.dockerSocket ? `DOCKER_HOST=${word(`unix://${o.dockerSocket}`, 'socket')} ` : '';
  const project = o.projectName === '' ? '' : ` -p ${word(o.projectName, 'project name')}`;
  return `cd ${word(dir, 'directory')} && ${env}exec ${o.flavor}${project} -f ${word(file, 'file')} ${ACTION_ARGS[o.action]}`;
}

export interface PtySize {
  cols: number;
  rows: number;
}

/** Opens the command on an exec channel with a pty; the caller reads, writes (Ctrl-C is `\x03`) and closes it. */
export function openPtyCommand(
  client: Client,
  command: string,
  size: PtySize,
  signal?: AbortSignal,
): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const timer = setTimeout(() => {
      reject(new CoreError('timeout', 'The SSH server did not open a session in time.', { timeoutMs: 30_000 }));
    }, 30_000);
    try {
      client.exec(command, { pty: { term: 'xterm-256color', cols: size.cols, rows: size.rows } }, (err, ch) => {
        clearTimeout(timer);
        if (err) {
          reject(channelOpenError(err));
        } else if (signal?.aborted) {
          ch.close();
          reject(cancelledError());
        } else {
          resolve(ch);
        }
      });
    } catch (e) {
      clearTimeout(timer);
      reject(new CoreError('connectionLost', 'The SSH connection is closed.', {}, { cause: e }));
    }
  });
}

/** Runs a compose command to its end (for tests and non-interactive use): exit code and output. */
export async function runPtyCommand(
  client: Client,
  command: string,
  signal?: AbortSignal,
): Promise<{ code: number | null; output: string }> {
  const ch = await openPtyCommand(client, command, { cols: 120, rows: 40 }, signal);
  return new Promise((resolve) => {
    let output = '';
    let code: number | null = null;
    ch.on('data', (d: Buffer) => (output += d.toString('utf8')));
    ch.on('exit', (c: number | null) => (code = typeof c === 'number' ? c : null));
    ch.on('close', () => resolve({ code, output }));
    signal?.addEventListener('abort', () => ch.close(), { once: true });
  });
}
