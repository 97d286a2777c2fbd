/**
 * What an engine channel over SSH tells about the daemon behind it (engineSshLink.ts uses these
 * on every channel): whether it answered, whether it went away, and, for `docker system
 * dial-stdio`, why it ended and whether its first answer can be trusted.
 */
import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { CoreError, type ErrorDetails } from '../common/errors';
import { dialStdioError, lostError, type SocketContext } from './engineErrors';
import { pingChannel, type ChannelDeadline } from './remoteSocket';

const STDERR_LIMIT = 4096;

/** A dial-stdio channel's stderr, kept to explain its end. */
export interface DialStdioState {
  stderr: string;
  exitCode: number | null | undefined;
}

/**
 * Notes the daemon's first answer on the channel and the daemon closing it. 'end' is the other
 * side's EOF: the daemon (or dial-stdio) closed this connection. But ssh2's destroy() of a
 * channel only ends and closes it (the http agent does that to a channel beyond its free list),
 * and the 'end' of that close arrives too: that one is ours, not the daemon's, and must not make
 * the pool read /info again.
 */
export function watchDaemonChannel(ch: Duplex, o: { onDaemonSeen: () => void; onDaemonClosed?: () => void }): Duplex {
  let seen = false;
  ch.on('data', () => {
    if (!seen) {
      seen = true;
      o.onDaemonSeen();
    }
  });
  // destroy(), not close(): ssh2 itself calls close() when the other side closes the channel.
  let closedByUs = false;
  const destroy = ch.destroy.bind(ch);
  ch.destroy = (error?: Error): Duplex => {
    closedByUs = true;
    return destroy(error);
  };
  ch.once('end', () => {
    if (!closedByUs) {
      o.onDaemonClosed?.();
    }
  });
  return ch;
}

/**
 * When dial-stdio ends after printing to stderr, the channel emits the explained error before
 * its 'end', so the HTTP request using it fails with that instead of "socket hang up"
 * (http marks the socket as failed and skips its own hang-up error).
 */
export function watchDialStdio(ch: ClientChannel, ctx: () => SocketContext): DialStdioState {
  const state: DialStdioState = { stderr: '', exitCode: undefined };
  ch.stderr.on('data', (d: Buffer) => {
    if (state.stderr.length < STDERR_LIMIT) {
      state.stderr += d.toString('utf8').slice(0, STDERR_LIMIT - state.stderr.length);
    }
  });
  ch.on('exit', (code: number | null) => {
    state.exitCode = code;
  });
  let reported = false;
  ch.prependListener('end', () => {
    if (reported) {
      return;
    }
    const e = dialStdioError(state.stderr, state.exitCode, ctx());
    if (e) {
      reported = true;
      ch.emit('error', e);
    }
  });
  return state;
}

/** The first dial-stdio channel must answer HEAD /_ping before it is trusted. */
export async function firstDialStdioAnswer(
  ch: ClientChannel,
  state: DialStdioState,
  o: {
    base: ErrorDetails;
    where: string;
    deadline: ChannelDeadline;
    ctx: () => SocketContext;
    onDaemonSeen: () => void;
  },
): Promise<void> {
  const dial = { ...o.base, transport: 'dial-stdio' };
  let a;
  try {
    a = await pingChannel(ch, o.deadline);
  } catch (e) {
    ch.destroy();
    throw CoreError.is(e, 'timeout')
      ? new CoreError(e.reason, e.message, { ...dial, ...e.details, stderr: state.stderr.trim().slice(0, 500) })
      : e;
  }
  if (a.kind === 'answer' && a.status === 200) {
    o.onDaemonSeen();
    return;
  }
  ch.destroy();
  switch (a.kind) {
    case 'answer':
      throw new CoreError('engineApiError', `The Docker Engine at ${o.where} answered /_ping with HTTP ${a.status}.`, {
        ...dial,
        status: a.status,
      });
    case 'garbled':
      throw new CoreError('engineApiError', `The Docker Engine at ${o.where} sent an unreadable answer.`, dial);
    case 'error':
      throw a.error instanceof CoreError ? a.error : lostError(a.error, o.where, dial);
    case 'ended':
      throw (
        dialStdioError(state.stderr, state.exitCode, o.ctx()) ??
        lostError(new Error('docker system dial-stdio ended without an answer'), o.where, dial)
      );
  }
}
