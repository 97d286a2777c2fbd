/**
 * The TCP leg of a connection and what its failures mean: a socket error code becomes the reason
 * a person can act on (refused, unresolvable, unreachable, timed out). The engine's direct route
 * maps its own socket errors through the same function.
 */
import * as net from 'node:net';
import { CoreError, cancelledError, describeError, type ErrorDetails } from '../common/errors';
import type { EffectiveHost } from '../sshConfig/resolveHost';

/** Opens the TCP connection to the host itself, with Nagle off from the first byte. */
export function openTcp(host: EffectiveHost, where: ErrorDetails, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(cancelledError());
      return;
    }
    const s = net.connect({ host: host.hostname, port: host.port, noDelay: true });
    // Nagle on this socket meets the server's delayed ACK: ~40 ms per reply (reference §8).
    s.setNoDelay(true);
    const onAbort = (): void => {
      s.destroy();
      reject(cancelledError());
    };
    const onError = (e: Error): void => {
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      reject(socketError(e, where));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    s.once('error', onError);
    s.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      s.removeListener('error', onError);
      resolve(s);
    });
  });
}

/** Maps a socket error code to the reason a person can act on. */
export function socketError(e: unknown, where: ErrorDetails): CoreError {
  const code = socketErrorCode(e);
  const message = describeError(e);
  const d = { ...where, code, message };
  const target = `${where.host}:${where.port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new CoreError('connectionRefused', `${target} refused the connection (nothing listens on that port).`, d, {
        cause: e,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
      return new CoreError('dnsFailed', `The host name ${where.host} cannot be resolved.`, d, { cause: e });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return new CoreError('hostUnreachable', `${target} is unreachable.`, d, { cause: e });
    case 'ETIMEDOUT':
      return new CoreError(
        'timeout',
        `The TCP connection to ${target} timed out.`,
        { ...d, stage: 'tcp' },
        { cause: e },
      );
    default:
      return new CoreError('connectionLost', `The connection to ${target} failed: ${message}`, d, { cause: e });
  }
}

function socketErrorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[] } | undefined;
  if (typeof err?.code === 'string') {
    return err.code;
  }
  // Node's happy-eyeballs connect reports an AggregateError of the per-address failures.
  if (Array.isArray(err?.errors)) {
    for (const inner of err.errors) {
      const c = (inner as { code?: unknown }).code;
      if (typeof c === 'string') {
        return c;
      }
    }
  }
  return undefined;
}
