/**
 * Runs one command on an open SSH connection and collects what it printed. The command string
 * reaches the remote login shell as-is, so callers pass constant strings only and send anything
 * that came from a user on stdin (`input`).
 */
import type { Client, ClientChannel } from 'ssh2';
import { CoreError, cancelledError, describeError } from '../common/errors';

export interface ExecRemoteOptions {
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Default 30 s: a remote command that hangs must not hang the caller. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Output beyond this many bytes per stream is dropped (default 1 MiB). */
  maxOutputBytes?: number;
}

export interface ExecRemoteResult {
  /** Exit status; null when the server reported none (killed by a signal, or the channel broke). */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;

export function execRemote(
  client: Client,
  command: string,
  options: ExecRemoteOptions = {},
): Promise<ExecRemoteResult> {
  // One channel's whole life (open, input, output caps, exit, timeout, cancel) in one promise:
  // every path must settle it exactly once, which is easiest to see in one place.
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise<ExecRemoteResult>((resolve, reject) => {
    // The executor is the channel's lifecycle; see the first comment of execRemote.
    if (options.signal?.aborted) {
      reject(cancelledError());
      return;
    }
    let channel: ClientChannel | undefined;
    let settled = false;
    const out = new Collector(maxBytes);
    const err = new Collector(maxBytes);
    let code: number | null = null;
    let exitSignal: string | undefined;

    const finish = (fn: () => void): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const dropChannel = (): void => {
      try {
        channel?.close();
      } catch {
        // the connection is already gone; nothing left to close
      }
    };
    const onAbort = (): void => {
      dropChannel();
      finish(() => reject(cancelledError()));
    };
    const timer = setTimeout(() => {
      dropChannel();
      finish(() =>
        reject(
          new CoreError('timeout', `The remote command did not finish within ${timeoutMs} ms.`, {
            timeoutMs,
            stderr: err.text().slice(0, 500),
          }),
        ),
      );
    }, timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const onOpen = (e: Error | undefined, ch: ClientChannel): void => {
      if (e) {
        finish(() => reject(channelOpenError(e)));
        return;
      }
      channel = ch;
      if (settled) {
        dropChannel();
        return;
      }
      ch.on('data', (d: Buffer) => out.push(d));
      ch.stderr.on('data', (d: Buffer) => err.push(d));
      ch.on('exit', (c: number | null, sig?: string) => {
        if (typeof c === 'number') {
          code = c;
        } else {
          code = null;
          exitSignal = sig ?? undefined;
        }
      });
      ch.on('error', () => undefined); // reported through 'close' and a missing exit status
      ch.on('close', () => {
        finish(() =>
          resolve({ code, ...(exitSignal ? { signal: exitSignal } : {}), stdout: out.text(), stderr: err.text() }),
        );
      });
      ch.end(options.input ?? '');
    };

    try {
      client.exec(command, onOpen);
    } catch (e) {
      // ssh2 throws "Not connected" synchronously when the transport is already closed.
      finish(() =>
        reject(
          new CoreError('connectionLost', 'The SSH connection is closed.', { message: describeError(e) }, { cause: e }),
        ),
      );
    }
  });
}

/** A refused session channel: MaxSessions reached, or the connection died while opening. */
export function channelOpenError(e: Error): CoreError {
  const message = describeError(e);
  if (/no response from server|not connected/i.test(message)) {
    return new CoreError(
      'connectionLost',
      'The SSH connection closed while opening a channel.',
      { message },
      { cause: e },
    );
  }
  return new CoreError(
    'remoteCommandFailed',
    'The SSH server refused to open a session channel.',
    { message },
    { cause: e },
  );
}

class Collector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(d: Buffer): void {
    if (this.size >= this.max) {
      return;
    }
    const part = d.length + this.size > this.max ? d.subarray(0, this.max - this.size) : d;
    this.chunks.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
