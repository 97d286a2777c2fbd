/**
 * Reasons for Engine API failures, from the few signals each transport gives: the stderr of
 * `docker system dial-stdio` (the only readable one over SSH), the answer of a small remote
 * probe of the socket file when stream-local forwarding fails opaquely ("open failed"), and
 * Node's socket errors for unix:// and tcp://. The errors carry reason + details only; the
 * details say whether the socket is on this machine (`local: true`) or on `host`, so the UI
 * names the right machine. (The English messages are for the log.)
 */
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import type { SocketFacts } from './remoteSocket';

/** Facts the caller knows when the socket could not be reached. */
export interface SocketContext {
  /** The socket path (remote for ssh). */
  socketPath: string;
  /** True for a unix:// or npipe:// socket of this machine. */
  local: boolean;
  /** For the log: `user@host:port` for ssh, `this machine` otherwise. */
  where: string;
  /** This endpoint answered before (then a vanished socket means the daemon stopped). */
  daemonSeen: boolean;
  /** Details every error carries (host, port, user, endpoint: what the UI names). */
  base: ErrorDetails;
}

function trimStderr(stderr: string): string {
  return stderr.trim().split('\n').slice(-5).join('\n').slice(0, 800);
}

function detailsOf(ctx: SocketContext, details: ErrorDetails): ErrorDetails {
  return { ...ctx.base, path: ctx.socketPath, ...(ctx.local ? { local: true } : {}), ...details };
}

export function socketMissing(ctx: SocketContext, details: ErrorDetails = {}): CoreError {
  const d = detailsOf(ctx, details);
  // dockerd removes its socket when it stops: a socket that answered before and is now gone
  // means the daemon stopped; one never seen may as well be at another path.
  return ctx.daemonSeen
    ? new CoreError(
        'daemonNotRunning',
        `The Docker daemon at ${ctx.where} stopped: its socket ${ctx.socketPath} is gone.`,
        d,
      )
    : new CoreError(
        'dockerSocketMissing',
        `There is no Docker socket at ${ctx.socketPath} on ${ctx.where}: the daemon is not running or listens elsewhere.`,
        d,
      );
}

export function socketPermission(ctx: SocketContext, details: ErrorDetails = {}): CoreError {
  return new CoreError(
    'dockerSocketPermission',
    `The user on ${ctx.where} may not open the Docker socket ${ctx.socketPath} (add the user to the docker group and log in again).`,
    detailsOf(ctx, details),
  );
}

export function daemonRefused(ctx: SocketContext, details: ErrorDetails = {}): CoreError {
  return new CoreError(
    'daemonNotRunning',
    `Nothing answers on the Docker socket ${ctx.socketPath} on ${ctx.where}: the daemon is not running.`,
    detailsOf(ctx, details),
  );
}

/**
 * The error `docker system dial-stdio` reported on stderr (with its exit status), or undefined
 * when it printed nothing that explains a failure.
 */
export function dialStdioError(
  stderr: string,
  exitCode: number | null | undefined,
  ctx: SocketContext,
): CoreError | undefined {
  const text = trimStderr(stderr);
  const d: ErrorDetails = { stderr: text, exitCode: exitCode ?? undefined, transport: 'dial-stdio' };
  if (exitCode === 127 || /command not found|docker: not found|unknown command: docker/i.test(text)) {
    return new CoreError(
      'dockerCliMissing',
      `The docker command is not available to non-interactive SSH sessions on ${ctx.where}.`,
      { ...ctx.base, ...d },
    );
  }
  if (/permission denied/i.test(text)) {
    return socketPermission({ ...ctx, socketPath: socketPathIn(text) ?? ctx.socketPath }, d);
  }
  if (/connection refused/i.test(text)) {
    return daemonRefused({ ...ctx, socketPath: socketPathIn(text) ?? ctx.socketPath }, d);
  }
  if (/no such file or directory/i.test(text)) {
    return socketMissing({ ...ctx, socketPath: socketPathIn(text) ?? ctx.socketPath }, d);
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running/i.test(text)) {
    return new CoreError('daemonNotRunning', `The Docker daemon on ${ctx.where} does not answer.`, detailsOf(ctx, d));
  }
  if (text !== '') {
    return new CoreError(
      'remoteCommandFailed',
      `docker system dial-stdio failed on ${ctx.where}: ${text.split('\n').pop() ?? text}`,
      { ...ctx.base, ...d },
    );
  }
  return undefined;
}

/** `dial unix /path: connect: ...` names the socket dial-stdio really used (the remote DOCKER_HOST may differ from ours). */
function socketPathIn(text: string): string | undefined {
  return /dial unix ([^:]+):/.exec(text)?.[1];
}

/**
 * The reason behind an opaque stream-local "open failed", from the remote socket probe
 * (undefined when the probe could not run).
 */
export function probeError(
  facts: SocketFacts | undefined,
  ctx: SocketContext,
  streamLocalWorkedBefore: boolean,
): CoreError | undefined {
  if (!facts) {
    return undefined;
  }
  const who: ErrorDetails = { transport: 'streamlocal', ...(facts.user ? { user: facts.user } : {}) };
  if (facts.lsDenied || (facts.kind === 'socket' && facts.access === 'denied')) {
    return socketPermission(ctx, { ...who, ...(facts.group ? { group: facts.group } : {}) });
  }
  switch (facts.kind) {
    case 'missing':
      return socketMissing(ctx, who);
    case 'other':
      return new CoreError(
        'dockerSocketMissing',
        `${ctx.socketPath} on ${ctx.where} is not a socket.`,
        detailsOf(ctx, { ...who, detail: 'notSocket' }),
      );
    case 'socket':
      // The socket is there and may be opened, yet sshd could not connect to it: either nobody
      // listens (a stale socket) or sshd forbids stream-local forwarding. If forwarding worked
      // on this connection before, it is the daemon.
      return streamLocalWorkedBefore
        ? daemonRefused(ctx, who)
        : new CoreError(
            'streamLocalForbidden',
            `The SSH server on ${ctx.where} refused to forward to the Docker socket ${ctx.socketPath} (AllowStreamLocalForwarding or DisableForwarding in sshd_config), or the daemon does not listen on it.`,
            detailsOf(ctx, who),
          );
  }
}

/** Node socket errors of a unix:// or npipe:// endpoint. */
export function localSocketError(e: unknown, ctx: SocketContext): CoreError | undefined {
  const code = (e as { code?: unknown })?.code;
  switch (code) {
    case 'ENOENT':
      return socketMissing(ctx, { code });
    case 'EACCES':
    case 'EPERM':
      return socketPermission(ctx, { code });
    case 'ECONNREFUSED':
      return daemonRefused(ctx, { code });
    default:
      return undefined;
  }
}

/** A request that died with its connection ("socket hang up", ECONNRESET, EPIPE). */
export function lostError(e: unknown, where: string, details: ErrorDetails = {}): CoreError {
  return new CoreError(
    'connectionLost',
    `The connection to the Docker Engine at ${where} was lost: ${describeError(e)}`,
    {
      message: describeError(e),
      ...details,
    },
  );
}
