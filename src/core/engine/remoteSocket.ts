/**
 * The one way to the remote Docker socket over an SSH connection, used by the engine pool (status
 * bar, tree probes, Show Remote Engine Info) and by diagnose (Test SSH Connection, Diagnose
 * Docker Context) alike, so the two cannot disagree:
 *
 * - one socket-path rule: the context URL's path, else the daemon the remote docker CLI would
 *   dial (`remoteCliChoice`: its DOCKER_HOST, current context…), else /var/run/docker.sock;
 * - route 1, `direct-streamlocal@openssh.com` to that path (sshd connects to the socket before it
 *   confirms the channel, so an open channel is proof the socket listens);
 * - route 2, one `docker system dial-stdio` command. The path travels as the first line of its
 *   stdin, never on the command line (no shell ever sees text from a URL); an empty line means
 *   "no path in the URL", and dial-stdio then uses the remote's own DOCKER_HOST / context, as the
 *   docker CLI's ssh:// contexts do;
 * - one liveness request (HEAD /_ping) read up to the end of its head;
 * - one remote probe of the socket file, for when forwarding fails opaquely ("open failed");
 * - every channel open has a deadline: sshd (or a stuck jump host) that never answers a channel
 *   open would otherwise wedge the caller; what arrives after the deadline is closed.
 */
import type { Client, ClientChannel } from 'ssh2';
import { CoreError } from '../common/errors';
import { execRemote } from '../ssh/remoteExec';
import { asError, withDeadline } from './deadline';

/** How a channel reached the remote socket. */
export type SshRoute = 'streamlocal' | 'dial-stdio';

export const DEFAULT_REMOTE_SOCKET = '/var/run/docker.sock';

/** The socket a ssh:// URL means: its path, else the default; `explicit` when the URL names one. */
export interface RemoteSocket {
  path: string;
  explicit: boolean;
}

export function remoteSocketOf(urlPath: string | undefined): RemoteSocket {
  const explicit = urlPath !== undefined && urlPath !== '' && urlPath !== '/';
  const socket = { path: explicit && urlPath ? urlPath : DEFAULT_REMOTE_SOCKET, explicit };
  checkRemoteSocketPath(socket.path);
  return socket;
}

/**
 * A path that can travel as one stdin line to a POSIX shell's `read -r`: absolute, no control
 * characters (a line break would end the line early), of a sane length. Anything else in it is
 * data and never reaches a command line.
 */
export function checkRemoteSocketPath(p: string): void {
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  if (!p.startsWith('/') || /[\u0000-\u001f\u007f]/.test(p) || p.length > 1024) {
    throw new CoreError('endpointInvalid', `The socket path ${JSON.stringify(p)} cannot be used.`, {
      socketPath: p,
      rule: 'socketPath',
    });
  }
}

/** `docker system dial-stdio`; its first stdin line is the socket path, or empty for the remote's default. */
export const DIAL_STDIO_COMMAND =
  `exec /bin/sh -c 'IFS= read -r p; if [ -n "$p" ]; then exec docker -H "unix://$p" system dial-stdio; fi; ` +
  `exec docker system dial-stdio'`;

/**
 * Socket facts; the path is the first stdin line. Each answer line has an `rdc-` prefix. `test`
 * is a shell builtin, so the kind and access are known even when PATH finds no `id` or `ls`.
 * (Both commands name /bin/sh: a session whose PATH lacks sh still has it there.)
 */
export const SOCKET_PROBE_COMMAND =
  `exec /bin/sh -c 'IFS= read -r p; echo "rdc-user:$(id -un)"; echo "rdc-groups:$(id -Gn)"; ` +
  `if [ -S "$p" ]; then echo rdc-kind:socket; elif [ -e "$p" ]; then echo rdc-kind:other; else echo rdc-kind:missing; fi; ` +
  `if [ -r "$p" ] && [ -w "$p" ]; then echo rdc-access:rw; else echo rdc-access:denied; fi; ` +
  `echo "rdc-ls:$(LC_ALL=C ls -ld -- "$p" 2>&1)"'`;

export const PING_REQUEST = 'HEAD /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: remote-docker-contexts\r\n\r\n';

export interface ChannelDeadline {
  timeoutMs: number;
  signal?: AbortSignal;
}

function channelTimeout(route: SshRoute, socket: RemoteSocket, timeoutMs: number): CoreError {
  return new CoreError('timeout', `The SSH server did not open a ${route} channel within ${timeoutMs} ms.`, {
    timeoutMs,
    stage: 'channel',
    transport: route,
    path: socket.path,
  });
}

function closeQuietly(ch: ClientChannel): void {
  try {
    ch.close();
  } catch {
    // the connection is already gone
  }
}

/** A channel may fail before anyone listens (dial-stdio exiting between handovers): never an uncaught 'error'. */
function guarded<T extends ClientChannel>(ch: T): T {
  ch.on('error', () => undefined);
  return ch;
}

/** Route 1: a stream-local channel to the socket. Rejects with ssh2's error when sshd refuses. */
export function openStreamLocal(client: Client, socket: RemoteSocket, d: ChannelDeadline): Promise<ClientChannel> {
  const opened = new Promise<ClientChannel>((resolve, reject) => {
    try {
      client.openssh_forwardOutStreamLocal(socket.path, (err, ch) => (err ? reject(err) : resolve(guarded(ch))));
    } catch (e) {
      reject(asError(e)); // ssh2 throws "Not connected" when the connection is gone
    }
  });
  return withDeadline(opened, {
    ...d,
    onTimeout: () => channelTimeout('streamlocal', socket, d.timeoutMs),
    onLate: closeQuietly,
  });
}

/** Route 2: `docker system dial-stdio` with the path line already written; the channel is ready for HTTP. */
export function openDialStdio(client: Client, socket: RemoteSocket, d: ChannelDeadline): Promise<ClientChannel> {
  const opened = new Promise<ClientChannel>((resolve, reject) => {
    try {
      client.exec(DIAL_STDIO_COMMAND, (err, ch) => {
        if (err) {
          reject(err);
          return;
        }
        ch.write(`${socket.explicit ? socket.path : ''}\n`);
        resolve(guarded(ch));
      });
    } catch (e) {
      reject(asError(e)); // ssh2 throws "Not connected" when the connection is gone
    }
  });
  return withDeadline(opened, {
    ...d,
    onTimeout: () => channelTimeout('dial-stdio', socket, d.timeoutMs),
    onLate: closeQuietly,
  });
}

/** What came back for HEAD /_ping on a fresh channel. */
export type PingAnswer =
  | { kind: 'answer'; status: number; apiVersion?: string }
  /** Not HTTP, or a head beyond 64 KiB. */
  | { kind: 'garbled' }
  /** The channel ended or closed first (dial-stdio's stderr then says why). */
  | { kind: 'ended' }
  | { kind: 'error'; error: unknown };

/**
 * Sends HEAD /_ping and reads the answer's head, leaving the channel at the start of the next
 * response (the pool goes on using it). Rejects only on the deadline or the signal.
 */
export function pingChannel(ch: ClientChannel, d: ChannelDeadline): Promise<PingAnswer> {
  let stop: () => void = () => undefined;
  const answer = new Promise<PingAnswer>((resolve) => {
    let head = Buffer.alloc(0);
    const finish = (a: PingAnswer): void => {
      stop();
      resolve(a);
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = ch.read() as Buffer | null) !== null) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) {
          const rest = head.subarray(end + 4);
          stop();
          if (rest.length > 0) {
            ch.unshift(rest);
          }
          resolve(parsePingHead(head.subarray(0, end).toString('latin1')));
          return;
        }
        if (head.length > 64 * 1024) {
          finish({ kind: 'garbled' });
          return;
        }
      }
    };
    // dial-stdio's exit status and stderr arrive around its 'end': let them land first.
    const onEnd = (): void => void setImmediate(() => finish({ kind: 'ended' }));
    const onError = (error: unknown): void => finish({ kind: 'error', error });
    stop = (): void => {
      ch.removeListener('readable', onReadable);
      ch.removeListener('end', onEnd);
      ch.removeListener('close', onEnd);
      ch.removeListener('error', onError);
    };
    ch.on('readable', onReadable);
    ch.once('end', onEnd);
    ch.once('close', onEnd);
    ch.once('error', onError);
    ch.write(PING_REQUEST);
  });
  return withDeadline(answer, {
    ...d,
    onTimeout: () => {
      stop();
      return new CoreError('timeout', `The Docker Engine did not answer HEAD /_ping within ${d.timeoutMs} ms.`, {
        timeoutMs: d.timeoutMs,
        request: 'HEAD /_ping',
        stage: 'response',
      });
    },
  });
}

function parsePingHead(head: string): PingAnswer {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!m) {
    return { kind: 'garbled' };
  }
  const api = /^api-version:\s*(\S+)/im.exec(head)?.[1];
  return { kind: 'answer', status: Number(m[1]), ...(api ? { apiVersion: api } : {}) };
}

/** What the remote says about the socket file and the user (SOCKET_PROBE_COMMAND). */
export interface SocketFacts {
  user?: string;
  groups?: string;
  kind: 'socket' | 'other' | 'missing';
  access?: 'rw' | 'denied';
  /** `ls -ld` of the path, or its error. */
  ls?: string;
  /** ls could not look (a directory on the way is closed to the user). */
  lsDenied: boolean;
  /** The socket's group, from `ls -ld`. */
  group?: string;
}

/** Runs the socket probe; undefined when the login shell does not run it (or it failed). */
export async function probeRemoteSocket(
  client: Client,
  socket: RemoteSocket,
  d: ChannelDeadline,
): Promise<SocketFacts | undefined> {
  let stdout: string;
  try {
    stdout = (await execRemote(client, SOCKET_PROBE_COMMAND, { input: socket.path + '\n', ...d })).stdout;
  } catch (e) {
    if (CoreError.is(e, 'cancelled')) {
      throw e;
    }
    return undefined;
  }
  const field = (name: string): string | undefined => {
    const line = stdout.split(/\r?\n/).find((l) => l.startsWith(`rdc-${name}:`));
    return line?.slice(name.length + 5);
  };
  const kind = field('kind');
  if (kind !== 'socket' && kind !== 'other' && kind !== 'missing') {
    return undefined;
  }
  const ls = field('ls');
  // `ls -ld` fields: mode links owner group size … (anything else is an error message)
  const lsFields = ls && /^[-bcdlps][-rwxsStT]{9}/.test(ls) ? ls.trim().split(/\s+/) : [];
  const access = field('access');
  return {
    user: field('user') || undefined,
    groups: field('groups') || undefined,
    kind,
    ...(access === 'rw' || access === 'denied' ? { access } : {}),
    ls,
    lsDenied: /permission denied/i.test(ls ?? ''),
    group: lsFields[3],
  };
}

/**
 * The endpoint the remote docker CLI would dial for `docker system dial-stdio`, as the CLI
 * resolves it: `DOCKER_HOST`, else `DOCKER_CONTEXT`, else the current context of the remote
 * user's config, else the default socket. `context inspect` without a name inspects exactly
 * that (checked with the 20.10 and 28.x CLIs). A constant command: nothing from a URL in it.
 */
export const REMOTE_CLI_HOST_COMMAND = `docker context inspect --format '{{.Endpoints.docker.Host}}'`;

/** Which daemon the remote CLI would use: a unix socket (reached by forwarding), or anything else (dial-stdio). */
export type RemoteCliChoice = { kind: 'unix'; path: string } | { kind: 'other'; host: string };

/**
 * Asks the remote docker CLI which endpoint it would dial. undefined when there is no CLI, it
 * failed, or it printed something unusable: the default socket is then tried, as before.
 */
export async function remoteCliChoice(client: Client, d: ChannelDeadline): Promise<RemoteCliChoice | undefined> {
  return (await askRemoteCli(client, d)) ?? undefined;
}

/**
 * Like remoteCliChoice, but tells an answer from a failure to ask: null when the command ran
 * and gave nothing usable (no CLI, an error, odd output: a lasting fact about the remote),
 * undefined when it could not run (the session was refused or timed out: worth asking again).
 */
export async function askRemoteCli(client: Client, d: ChannelDeadline): Promise<RemoteCliChoice | null | undefined> {
  let r: { code: number | null; stdout: string };
  try {
    r = await execRemote(client, REMOTE_CLI_HOST_COMMAND, { ...d, maxOutputBytes: 4096 });
  } catch (e) {
    if (CoreError.is(e, 'cancelled')) {
      throw e;
    }
    return undefined;
  }
  const host = r.code === 0 ? r.stdout.trim() : '';
  if (host === '' || host.includes('\n')) {
    return null;
  }
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    try {
      checkRemoteSocketPath(path);
    } catch {
      return null;
    }
    return { kind: 'unix', path };
  }
  return { kind: 'other', host };
}

/** ssh2's error for a refused channel ("(SSH) Channel open failure: open failed", reason code set). */
export function isOpenFailure(e: unknown): boolean {
  const err = e as { reason?: unknown; message?: unknown };
  return (
    typeof err?.reason === 'number' ||
    (typeof err?.message === 'string' && /channel open failure|strictVendor/i.test(err.message))
  );
}
