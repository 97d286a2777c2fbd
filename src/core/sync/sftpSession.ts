/**
 * ssh2's SFTP client as promises, one subsystem channel per sync. Every request has a deadline
 * (a server that stops answering must not hang the sync) and the session ends when the caller's
 * signal aborts, which fails every request still waiting.
 */
import type { Client, FileEntryWithStats, InputAttributes, SFTPWrapper, Stats } from 'ssh2';
import { CoreError, cancelledError, describeError } from '../common/errors';

const DEFAULT_OP_TIMEOUT_MS = 60_000;
/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
export const SFTP_NO_SUCH_FILE = 2;

export function sftpCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'number' ? c : undefined;
}

export class SftpSession {
  private ended = false;
  /** Requests waiting for an answer: ending the session fails them at once. */
  private readonly pending = new Set<(e: CoreError) => void>();
  private readonly onAbort = (): void => this.end();
  private watchdog: NodeJS.Timeout | undefined;
  private lastAnswer = 0;

  private constructor(
    private readonly sftp: SFTPWrapper,
    private readonly opTimeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  static open(client: Client, o: { signal?: AbortSignal; opTimeoutMs?: number } = {}): Promise<SftpSession> {
    const timeoutMs = o.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      if (o.signal?.aborted) {
        reject(cancelledError());
        return;
      }
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(new CoreError('timeout', 'The SFTP subsystem did not start in time.', { timeoutMs }));
      }, timeoutMs);
      try {
        client.sftp((err, sftp) => {
          clearTimeout(timer);
          if (done) {
            sftp?.end();
            return;
          }
          if (err) {
            reject(
              new CoreError('syncRemoteFailed', `SFTP is not available: ${describeError(err)}`, {
                op: 'sftp',
                message: describeError(err),
              }),
            );
            return;
          }
          resolve(new SftpSession(sftp, timeoutMs, o.signal));
        });
      } catch (e) {
        clearTimeout(timer);
        reject(new CoreError('connectionLost', 'The SSH connection is closed.', { message: describeError(e) }));
      }
    });
  }

  /**
   * One request: its callback settles the promise, unless the session ends first (an abort, or
   * the watchdog: no answer to any request for the deadline). One timer for the session, not one
   * per request: a sync of many small files sends tens of thousands of them.
   */
  private call<T>(
    op: string,
    target: string,
    start: (cb: (err: Error | undefined | null, v?: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.signal?.aborted || this.ended) {
        reject(cancelledError());
        return;
      }
      const fail = (e: CoreError): void => {
        this.pending.delete(fail);
        reject(e);
      };
      this.pending.add(fail);
      this.armWatchdog();
      start((err, v) => {
        if (!this.pending.delete(fail)) {
          return;
        }
        this.lastAnswer = Date.now();
        if (this.signal?.aborted) {
          reject(cancelledError());
        } else if (err) {
          reject(
            new CoreError(
              'syncRemoteFailed',
              `SFTP ${op} ${target}: ${describeError(err)}`,
              { op, path: target, message: describeError(err), code: sftpCode(err) },
              { cause: err },
            ),
          );
        } else {
          resolve(v as T);
        }
      });
    });
  }

  private armWatchdog(): void {
    if (this.watchdog) {
      return;
    }
    this.lastAnswer = Date.now();
    this.watchdog = setInterval(
      () => {
        if (this.pending.size === 0) {
          clearInterval(this.watchdog);
          this.watchdog = undefined;
        } else if (Date.now() - this.lastAnswer >= this.opTimeoutMs) {
          this.end(new CoreError('timeout', 'The SFTP server stopped answering.', { timeoutMs: this.opTimeoutMs }));
        }
      },
      Math.min(1000, this.opTimeoutMs),
    );
  }

  realpath(p: string): Promise<string> {
    return this.call('realpath', p, (cb) => this.sftp.realpath(p, cb));
  }
  lstat(p: string): Promise<Stats> {
    return this.call('lstat', p, (cb) => this.sftp.lstat(p, cb));
  }
  /** Every entry of a directory (ssh2 reads it to the end), `.` and `..` included as the server sends them. */
  readdir(p: string): Promise<FileEntryWithStats[]> {
    return this.call('readdir', p, (cb) => this.sftp.readdir(p, cb));
  }
  readlink(p: string): Promise<string> {
    return this.call('readlink', p, (cb) => this.sftp.readlink(p, cb));
  }
  /** Opens for writing a file that must not exist yet (O_CREAT|O_EXCL: never through a symlink). */
  openExclusive(p: string, mode: number): Promise<Buffer> {
    return this.call('open', p, (cb) => this.sftp.open(p, 'wx', { mode }, cb));
  }
  write(handle: Buffer, data: Buffer, position: number): Promise<void> {
    return this.call('write', '', (cb) => this.sftp.write(handle, data, 0, data.length, position, (e) => cb(e)));
  }
  fsetstat(handle: Buffer, attrs: InputAttributes): Promise<void> {
    return this.call('fsetstat', '', (cb) => this.sftp.fsetstat(handle, attrs, cb));
  }
  setstat(p: string, attrs: InputAttributes): Promise<void> {
    return this.call('setstat', p, (cb) => this.sftp.setstat(p, attrs, cb));
  }
  closeHandle(handle: Buffer): Promise<void> {
    return this.call('close', '', (cb) => this.sftp.close(handle, cb));
  }
  /** Replaces `to` atomically (posix-rename@openssh.com); plain SFTP rename refuses an existing target. */
  rename(from: string, to: string): Promise<void> {
    return this.call('rename', to, (cb) => {
      try {
        this.sftp.ext_openssh_rename(from, to, cb);
      } catch {
        this.sftp.unlink(to, () => this.sftp.rename(from, to, cb));
      }
    });
  }
  mkdir(p: string, mode: number): Promise<void> {
    return this.call('mkdir', p, (cb) => this.sftp.mkdir(p, { mode }, cb));
  }
  rmdir(p: string): Promise<void> {
    return this.call('rmdir', p, (cb) => this.sftp.rmdir(p, cb));
  }
  unlink(p: string): Promise<void> {
    return this.call('unlink', p, (cb) => this.sftp.unlink(p, cb));
  }
  /** A symlink at `linkPath` whose text is `target` (ssh2 swaps the arguments OpenSSH expects). */
  symlink(target: string, linkPath: string): Promise<void> {
    return this.call('symlink', linkPath, (cb) => this.sftp.symlink(target, linkPath, cb));
  }

  end(reason?: CoreError): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const fail of [...this.pending]) {
      fail(
        this.signal?.aborted
          ? cancelledError()
          : (reason ?? new CoreError('connectionLost', 'The SFTP session ended.')),
      );
    }
    try {
      this.sftp.end();
    } catch {
      // the channel is already gone
    }
  }
}
