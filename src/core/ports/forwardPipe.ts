/**
 * One accepted local connection piped through its own `direct-tcpip` channel: backpressure both
 * ways (stream pipes: a full socket stops reading the channel, so the SSH window is not
 * refilled, and the other way round), a half-close passed on as EOF in either direction, and
 * every error confined to this one socket and channel.
 */
import type * as net from 'node:net';
import type { Client, ClientChannel } from 'ssh2';
import { CoreError, describeError } from '../common/errors';
import type { ForwardAddress } from './portsTypes';

/** RFC 4254 §5.1 channel open failure reason codes. */
const ADMINISTRATIVELY_PROHIBITED = 1;
const CONNECT_FAILED = 2;

export type PipeOutcome =
  | { kind: 'piped' }
  | { kind: 'closedFirst' }
  | { kind: 'forbidden'; error: CoreError }
  | { kind: 'refused'; error: CoreError }
  | { kind: 'failed'; error: CoreError };

function openChannel(client: Client, socket: net.Socket, remote: ForwardAddress): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.forwardOut(
        socket.remoteAddress ?? '127.0.0.1',
        socket.remotePort ?? 0,
        remote.host,
        remote.port,
        (err, ch) => (err ? reject(err) : resolve(ch)),
      );
    } catch (e) {
      // "Not connected": the connection went away between the lease and this call.
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

function classify(e: unknown, remote: ForwardAddress): PipeOutcome {
  const where = `${remote.host}:${remote.port}`;
  const details = { host: remote.host, port: remote.port, message: describeError(e) };
  const reason = (e as { reason?: unknown })?.reason;
  if (reason === ADMINISTRATIVELY_PROHIBITED) {
    return {
      kind: 'forbidden',
      error: new CoreError('portForwardingForbidden', `The SSH server does not allow forwarding to ${where}.`, details),
    };
  }
  if (reason === CONNECT_FAILED) {
    return {
      kind: 'refused',
      error: new CoreError('portRemoteRefused', `Nothing answered at ${where} on the remote side.`, details),
    };
  }
  return {
    kind: 'failed',
    error: new CoreError('connectionLost', `The forward to ${where} failed: ${describeError(e)}`, details),
  };
}

/**
 * Pipes `socket` through a new channel to `remote`; resolves once the channel is open (or could
 * not be). `onClosed` runs once when both the socket and its channel are gone.
 */
export async function pipeThrough(
  client: Client,
  socket: net.Socket,
  remote: ForwardAddress,
  onClosed: () => void,
): Promise<PipeOutcome> {
  let channel: ClientChannel | undefined;
  let socketGone = false;
  let channelGone = false;
  let reported = false;
  const settle = (): void => {
    if (!reported && socketGone && (channelGone || !channel)) {
      reported = true;
      onClosed();
    }
  };
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.once('close', () => {
    socketGone = true;
    channel?.close();
    settle();
  });
  try {
    channel = await openChannel(client, socket, remote);
  } catch (e) {
    socket.destroy();
    settle();
    return classify(e, remote);
  }
  const ch = channel;
  ch.once('close', () => {
    channelGone = true;
    // What the channel sent is written out before the socket goes.
    if (!socket.destroyed) {
      socket.end();
      socket.once('finish', () => socket.destroy());
    }
    settle();
  });
  ch.on('error', () => {
    socket.destroy();
    ch.close();
  });
  if (socketGone) {
    ch.close();
    return { kind: 'closedFirst' };
  }
  socket.pipe(ch);
  ch.pipe(socket);
  return { kind: 'piped' };
}
