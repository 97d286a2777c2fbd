/**
 * One live SSH connection of the engine pool and the channels to the remote Docker socket.
 *
 * Transport, decided on the first channel and remembered for the connection:
 * 1. `direct-streamlocal@openssh.com` to the socket (the URL's path, else /var/run/docker.sock).
 *    sshd connects to the socket before confirming the channel, so an open channel is proof.
 * 2. If that fails (sshd forbids it, or the socket is elsewhere / unusable), `docker system
 *    dial-stdio` (with `--host unix://PATH` when the URL names a path, as the docker CLI does).
 *    A freshly started dial-stdio says nothing when it works, so the first one answers a
 *    `HEAD /_ping` before it is trusted; when it fails, its stderr is the error.
 *
 * sshd only says "open failed" when stream-local forwarding fails, whatever the cause, so when
 * no dial-stdio explains it a one-line `test` on the remote tells a missing socket from one the
 * user may not open.
 */
import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import type { SshConnection } from '../ssh/connection';
import { execRemote } from '../ssh/remoteExec';
import { createAckNudger, type AckNudger } from './engineAckNudge';
import {
  dialStdioError,
  lostError,
  probeError,
  quoteRemotePath,
  type SocketContext,
  type SocketProbe,
} from './engineErrors';

export type SshTransport = 'streamlocal' | 'dial-stdio';

export const DEFAULT_REMOTE_SOCKET = '/var/run/docker.sock';

export interface SshLinkOptions {
  connection: SshConnection;
  /** The socket path of the URL ('' or undefined: none, use the default socket). */
  urlPath?: string;
  /** Send the ACK nudge on incoming data (stall fix 2). */
  ackNudge: boolean;
  /** Deadline for the remote helpers (dial-stdio's first answer, the socket probe). */
  helperTimeoutMs: number;
  /** Whether this endpoint answered before (outlives connections). */
  daemonSeen: () => boolean;
  /** Called when a channel delivered an HTTP answer. */
  onDaemonSeen: () => void;
  /** Details every error carries (endpoint, context). */
  details?: ErrorDetails;
  logger?: Logger;
}

const STDERR_LIMIT = 4096;
const DIAL_STDIO = 'docker system dial-stdio';
const PING_REQUEST = 'HEAD /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: remote-docker-contexts\r\n\r\n';

/** A dial-stdio channel's stderr, kept to explain its end. */
interface DialStdioState {
  stderr: string;
  exitCode: number | null | undefined;
}

export class EngineSshLink {
  readonly connection: SshConnection;
  readonly socketPath: string;
  readonly where: string;
  private transportValue: SshTransport | undefined;
  private streamLocalWorked = false;
  private discovery: Promise<unknown> | undefined;
  private deadValue = false;
  private readonly nudger: AckNudger | undefined;
  private readonly logger: Logger;
  private readonly dialCommand: string;
  private readonly quotedSocket: string;

  constructor(private readonly o: SshLinkOptions) {
    this.connection = o.connection;
    const p = o.urlPath && o.urlPath !== '/' ? o.urlPath : undefined;
    this.socketPath = p ?? DEFAULT_REMOTE_SOCKET;
    // Checked even for the default path: the probe command quotes it too.
    this.quotedSocket = quoteRemotePath(this.socketPath);
    // quoteRemotePath vetted the characters, so "unix://" may join the quoted word.
    this.dialCommand = p ? `docker --host 'unix://${p}' system dial-stdio` : DIAL_STDIO;
    const h = o.connection.host;
    this.where = `${h.user}@${h.hostname}:${h.port}`;
    this.logger = o.logger ?? nullLogger;
    this.nudger = o.ackNudge ? createAckNudger(o.connection.client) : undefined;
    o.connection.client.on('close', () => {
      this.deadValue = true;
    });
  }

  get transport(): SshTransport | undefined {
    return this.transportValue;
  }

  get dead(): boolean {
    return this.deadValue;
  }

  /** What the UI names in a message: the SSH host, port and user, and the caller's details. */
  private get base(): ErrorDetails {
    const h = this.connection.host;
    return { ...this.o.details, host: h.hostname, port: h.port, user: h.user };
  }

  private ctx(): SocketContext {
    return { socketPath: this.socketPath, where: this.where, daemonSeen: this.o.daemonSeen(), base: this.base };
  }

  /** The error for a request on this connection that died with it. */
  async lostError(cause?: unknown): Promise<CoreError> {
    if (this.deadValue) {
      const died = await this.connection.closed;
      if (died) {
        return died;
      }
    }
    return lostError(cause ?? new Error('closed'), this.where, { ...this.base, transport: this.transportValue });
  }

  /** A new channel to the Docker socket, ready for HTTP. */
  async openChannel(): Promise<Duplex> {
    // One discovery at a time decides the transport for everyone waiting.
    while (this.transportValue === undefined && this.discovery) {
      await this.discovery.catch(() => undefined);
    }
    if (this.deadValue) {
      throw await this.lostError();
    }
    if (this.transportValue === 'dial-stdio') {
      try {
        return this.ready((await this.execDialStdio()).ch);
      } catch (e) {
        throw await this.connectionError(e, 'dial-stdio');
      }
    }
    if (this.transportValue === 'streamlocal') {
      try {
        return this.ready(await this.streamLocal());
      } catch (e) {
        throw await this.explainStreamLocal(e);
      }
    }
    const p = this.discover();
    this.discovery = p;
    try {
      return await p;
    } finally {
      if (this.discovery === p) {
        this.discovery = undefined;
      }
    }
  }

  private async discover(): Promise<Duplex> {
    let streamLocalFailure: unknown;
    try {
      const ch = await this.streamLocal();
      this.transportValue = 'streamlocal';
      this.streamLocalWorked = true;
      this.logger.debug(`engine ${this.where}: stream-local forwarding to ${this.socketPath}`);
      return this.ready(ch);
    } catch (e) {
      if (!isOpenFailure(e)) {
        throw await this.connectionError(e);
      }
      streamLocalFailure = e;
    }
    this.logger.debug(
      `engine ${this.where}: stream-local forwarding to ${this.socketPath} failed (${describeError(streamLocalFailure)}); trying docker system dial-stdio`,
    );
    let dial: { ch: ClientChannel; state: DialStdioState };
    try {
      dial = await this.execDialStdio();
    } catch (e) {
      throw await this.connectionError(e, 'dial-stdio');
    }
    try {
      await this.firstAnswer(dial.ch, dial.state);
    } catch (e) {
      if (CoreError.is(e, 'dockerCliMissing')) {
        // No docker CLI to explain why stream-local failed: look at the socket itself.
        throw (await this.probeExplain(false)) ?? e;
      }
      throw e;
    }
    this.transportValue = 'dial-stdio';
    this.logger.debug(`engine ${this.where}: using docker system dial-stdio`);
    return this.ready(dial.ch);
  }

  /** Makes the channel ready for the agent: the nudge, and (dial-stdio) stderr as the error. */
  private ready(ch: Duplex): Duplex {
    this.nudger?.watch(ch);
    let seen = false;
    ch.on('data', () => {
      if (!seen) {
        seen = true;
        this.o.onDaemonSeen();
      }
    });
    return ch;
  }

  private streamLocal(): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        this.connection.client.openssh_forwardOutStreamLocal(this.socketPath, (err, ch) =>
          err ? reject(err) : resolve(guarded(ch)),
        );
      } catch (e) {
        reject(e);
      }
    });
  }

  private execDialStdio(): Promise<{ ch: ClientChannel; state: DialStdioState }> {
    return new Promise((resolve, reject) => {
      try {
        this.connection.client.exec(this.dialCommand, (err, ch) => {
          if (err) {
            reject(err);
            return;
          }
          resolve({ ch, state: this.watchDialStdio(guarded(ch)) });
        });
      } catch (e) {
        reject(e);
      }
    });
  }

  /**
   * When dial-stdio ends after printing to stderr, the channel emits the explained error before
   * its 'end', so the HTTP request using it fails with that instead of "socket hang up"
   * (http marks the socket as failed and skips its own hang-up error).
   */
  private watchDialStdio(ch: ClientChannel): DialStdioState {
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
      const e = dialStdioError(state.stderr, state.exitCode, this.ctx());
      if (e) {
        reported = true;
        ch.emit('error', e);
      }
    });
    return state;
  }

  /**
   * Sends `HEAD /_ping` on a fresh dial-stdio channel and reads the answer's head, leaving the
   * channel at the start of the next response. Rejects with dial-stdio's own explanation.
   */
  private firstAnswer(ch: ClientChannel, state: DialStdioState): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      let done = false;
      const finish = (e?: CoreError): void => {
        if (done) {
          return;
        }
        done = true;
        clearTimeout(timer);
        ch.removeListener('readable', onReadable);
        ch.removeListener('end', onEnd);
        ch.removeListener('close', onEnd);
        ch.removeListener('error', onError);
        if (e) {
          try {
            ch.destroy();
          } catch {
            // connection gone
          }
          reject(e);
        } else {
          resolve();
        }
      };
      const onReadable = (): void => {
        let chunk: Buffer | null;
        while (!done && (chunk = ch.read() as Buffer | null) !== null) {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end >= 0) {
            const rest = head.subarray(end + 4);
            if (rest.length > 0) {
              ch.unshift(rest);
            }
            const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'))?.[1];
            if (status !== '200') {
              finish(
                new CoreError(
                  'engineApiError',
                  `The Docker Engine at ${this.where} answered /_ping with ${status ? `HTTP ${status}` : 'something else than HTTP'}.`,
                  { ...this.base, status: status ?? '', transport: 'dial-stdio' },
                ),
              );
              return;
            }
            this.o.onDaemonSeen();
            finish();
            return;
          }
          if (head.length > 64 * 1024) {
            finish(
              new CoreError('engineApiError', `The Docker Engine at ${this.where} sent an unreadable answer.`, {
                ...this.base,
                transport: 'dial-stdio',
              }),
            );
            return;
          }
        }
      };
      const onEnd = (): void => {
        // 'error' (dial-stdio's explanation) is emitted just before 'end' when there is one.
        setImmediate(() =>
          finish(
            dialStdioError(state.stderr, state.exitCode, this.ctx()) ??
              lostError(new Error('docker system dial-stdio ended without an answer'), this.where, {
                ...this.base,
                transport: 'dial-stdio',
              }),
          ),
        );
      };
      const onError = (e: unknown): void => {
        finish(e instanceof CoreError ? e : lostError(e, this.where, { ...this.base, transport: 'dial-stdio' }));
      };
      const timer = setTimeout(() => {
        finish(
          new CoreError(
            'timeout',
            `docker system dial-stdio on ${this.where} did not answer within ${this.o.helperTimeoutMs} ms.`,
            {
              ...this.base,
              timeoutMs: this.o.helperTimeoutMs,
              transport: 'dial-stdio',
              stderr: state.stderr.trim().slice(0, 500),
            },
          ),
        );
      }, this.o.helperTimeoutMs);
      ch.on('readable', onReadable);
      ch.once('end', onEnd);
      ch.once('close', onEnd);
      ch.once('error', onError);
      ch.write(PING_REQUEST);
    });
  }

  /** Why a stream-local channel could not be opened although the transport worked before. */
  private async explainStreamLocal(e: unknown): Promise<CoreError> {
    if (!isOpenFailure(e)) {
      return this.connectionError(e);
    }
    return (
      (await this.probeExplain(this.streamLocalWorked)) ??
      new CoreError('daemonNotRunning', `The Docker socket ${this.socketPath} on ${this.where} cannot be reached.`, {
        ...this.base,
        path: this.socketPath,
        message: describeError(e),
      })
    );
  }

  private async probeExplain(streamLocalWorked: boolean): Promise<CoreError | undefined> {
    const probe = await this.probeSocket();
    this.logger.debug(`engine ${this.where}: socket probe of ${this.socketPath}: ${probe}`);
    return probeError(probe, this.ctx(), streamLocalWorked);
  }

  /** `test` on the remote: does the socket exist, and may this user open it? */
  private async probeSocket(): Promise<SocketProbe> {
    const q = this.quotedSocket;
    const cmd = `if [ -S ${q} ]; then if [ -r ${q} ] && [ -w ${q} ]; then echo ok; else echo denied; fi; elif [ -e ${q} ]; then echo notsocket; else echo missing; fi`;
    try {
      const r = await execRemote(this.connection.client, cmd, { timeoutMs: this.o.helperTimeoutMs });
      const word = r.stdout.trim();
      return word === 'ok' || word === 'denied' || word === 'missing' || word === 'notsocket' ? word : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  /** A failure to open any channel: the connection is gone or refuses new channels. */
  private async connectionError(e: unknown, transport?: SshTransport): Promise<CoreError> {
    if (e instanceof CoreError) {
      return e;
    }
    if (this.deadValue || /not connected|no response from server/i.test(describeError(e))) {
      return this.lostError(e);
    }
    if (transport === 'dial-stdio' && isOpenFailure(e)) {
      return new CoreError(
        'remoteCommandFailed',
        `The SSH server on ${this.where} refused a session for docker system dial-stdio (MaxSessions?).`,
        {
          ...this.base,
          message: describeError(e),
        },
      );
    }
    return lostError(e, this.where, this.base);
  }

  /** Closes the connection; from now on the link counts as dead (its 'close' event comes later). */
  close(): void {
    this.deadValue = true;
    this.connection.close();
  }
}

/** A channel may fail before anyone listens (dial-stdio exiting between handovers): never an uncaught 'error'. */
function guarded<T extends Duplex>(ch: T): T {
  ch.on('error', () => undefined);
  return ch;
}

/** ssh2's error for a refused channel ("(SSH) Channel open failure: open failed", reason code set). */
function isOpenFailure(e: unknown): boolean {
  const err = e as { reason?: unknown; message?: unknown };
  return typeof err?.reason === 'number' || /channel open failure|strictVendor/i.test(String(err?.message ?? ''));
}
