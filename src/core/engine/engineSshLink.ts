/**
 * One live SSH connection of the engine pool and its channels to the remote Docker socket, by
 * the one way remoteSocket.ts defines. The route is decided on the first channel and remembered
 * for the connection:
 * 1. stream-local forwarding to the socket (an open channel is proof);
 * 2. if sshd refuses that, `docker system dial-stdio`. A freshly started dial-stdio says nothing
 *    when it works, so the first one answers a `HEAD /_ping` before it is trusted; when it
 *    fails, its stderr is the error.
 *
 * sshd only says "open failed" when stream-local forwarding fails, whatever the cause, so when
 * no dial-stdio explains it the remote socket probe tells a missing socket from one the user may
 * not open. A channel open that gets no answer within the deadline closes the connection: the
 * pool then forgets it and the next request connects again (an unanswered open would otherwise
 * hold every later request).
 */
import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import type { SshConnection } from '../ssh/connection';
import { createAckNudger, type AckNudger } from './engineAckNudge';
import { dialStdioError, lostError, probeError, type SocketContext } from './engineErrors';
import { firstStreamLocal, type RemoteCliMemory } from './remoteCliMemory';
import {
  isOpenFailure,
  openDialStdio,
  openStreamLocal,
  pingChannel,
  probeRemoteSocket,
  remoteSocketOf,
  type RemoteSocket,
  type SshRoute,
} from './remoteSocket';

export type SshTransport = SshRoute;

export interface SshLinkOptions {
  connection: SshConnection;
  /** The socket path of the URL ('' or undefined: none, use the default socket). */
  urlPath?: string;
  /** Send the ACK nudge on incoming data (stall fix 2). */
  ackNudge: boolean;
  /** Deadline for opening a channel and for the remote helpers (dial-stdio's first answer, the probe). */
  helperTimeoutMs: number;
  /** Whether this endpoint answered before (outlives connections). */
  daemonSeen: () => boolean;
  /** Called when a channel delivered an HTTP answer. */
  onDaemonSeen: () => void;
  /** Called when the daemon ended a channel (it stopped or restarted: what it said may be stale). */
  onDaemonClosed?: () => void;
  /** Details every error carries (endpoint, context). */
  details?: ErrorDetails;
  /** The remote CLI's choice of daemon, remembered per endpoint across connections. */
  cliMemory?: RemoteCliMemory;
  logger?: Logger;
}

const STDERR_LIMIT = 4096;

/** A dial-stdio channel's stderr, kept to explain its end. */
interface DialStdioState {
  stderr: string;
  exitCode: number | null | undefined;
}

export class EngineSshLink {
  readonly connection: SshConnection;
  private socketValue: RemoteSocket;
  private readonly baseSocket: RemoteSocket;
  readonly where: string;
  private transportValue: SshTransport | undefined;
  private streamLocalWorked = false;
  private discovery: Promise<unknown> | undefined;
  private deadValue = false;
  private readonly nudger: AckNudger | undefined;
  private readonly logger: Logger;

  constructor(private readonly o: SshLinkOptions) {
    this.connection = o.connection;
    this.baseSocket = remoteSocketOf(o.urlPath);
    this.socketValue = this.baseSocket;
    const h = o.connection.host;
    this.where = `${h.user}@${h.hostname}:${h.port}`;
    this.logger = o.logger ?? nullLogger;
    this.nudger = o.ackNudge ? createAckNudger(o.connection.client) : undefined;
    o.connection.client.on('close', () => {
      this.deadValue = true;
    });
  }

  /** The socket this connection's channels go to (the remote CLI's choice once known). */
  get socket(): RemoteSocket {
    return this.socketValue;
  }

  get socketPath(): string {
    return this.socketValue.path;
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
    return {
      socketPath: this.socket.path,
      local: false,
      where: this.where,
      daemonSeen: this.o.daemonSeen(),
      base: this.base,
    };
  }

  private get deadline(): { timeoutMs: number } {
    return { timeoutMs: this.o.helperTimeoutMs };
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
        return this.ready((await this.dialStdio()).ch);
      } catch (e) {
        throw await this.connectionError(e, 'dial-stdio');
      }
    }
    if (this.transportValue === 'streamlocal') {
      try {
        return this.ready(await openStreamLocal(this.connection.client, this.socket, this.deadline));
      } catch (e) {
        if (isOpenFailure(e) && !this.baseSocket.explicit) {
          // The socket the remote CLI named is gone: the next channel asks the CLI again.
          this.o.cliMemory?.forget();
          this.transportValue = undefined;
        }
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
    let cliDials = false;
    // A new discovery starts from the URL's socket: a socket remembered from before may be gone.
    this.socketValue = this.baseSocket;
    try {
      const first = await firstStreamLocal(this.connection.client, this.baseSocket, this.o.cliMemory, this.deadline, {
        logger: this.logger,
        where: this.where,
      });
      if (first === 'dial-stdio') {
        cliDials = true;
        throw new Error('the remote docker CLI dials a daemon that is not a unix socket');
      }
      const ch = first.ch;
      this.socketValue = first.socket;
      this.transportValue = 'streamlocal';
      this.streamLocalWorked = true;
      this.logger.debug(`engine ${this.where}: stream-local forwarding to ${this.socket.path}`);
      return this.ready(ch);
    } catch (e) {
      if (!cliDials && !isOpenFailure(e)) {
        throw await this.connectionError(e);
      }
      if (!cliDials) {
        // The socket chosen (remembered or the default) did not answer: ask the CLI next time.
        this.o.cliMemory?.forget();
      }
      streamLocalFailure = e;
    }
    this.logger.debug(
      `engine ${this.where}: stream-local forwarding to ${this.socket.path} failed (${describeError(streamLocalFailure)}); trying docker system dial-stdio`,
    );
    let dial: { ch: ClientChannel; state: DialStdioState };
    try {
      dial = await this.dialStdio();
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

  /** Makes the channel ready for the agent: the nudge, and noting the daemon's answers and its closes. */
  private ready(ch: Duplex): Duplex {
    this.nudger?.watch(ch);
    let seen = false;
    ch.on('data', () => {
      if (!seen) {
        seen = true;
        this.o.onDaemonSeen();
      }
    });
    // 'end' is the other side's EOF: the daemon (or dial-stdio) closed this connection. A
    // channel we close ourselves is destroyed first and emits no 'end'.
    ch.once('end', () => this.o.onDaemonClosed?.());
    return ch;
  }

  private async dialStdio(): Promise<{ ch: ClientChannel; state: DialStdioState }> {
    const ch = await openDialStdio(this.connection.client, this.socket, this.deadline);
    return { ch, state: this.watchDialStdio(ch) };
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

  /** The first dial-stdio channel must answer HEAD /_ping before it is trusted. */
  private async firstAnswer(ch: ClientChannel, state: DialStdioState): Promise<void> {
    const dial = { ...this.base, transport: 'dial-stdio' };
    let a;
    try {
      a = await pingChannel(ch, this.deadline);
    } catch (e) {
      ch.destroy();
      throw CoreError.is(e, 'timeout')
        ? new CoreError(e.reason, e.message, { ...dial, ...e.details, stderr: state.stderr.trim().slice(0, 500) })
        : e;
    }
    if (a.kind === 'answer' && a.status === 200) {
      this.o.onDaemonSeen();
      return;
    }
    ch.destroy();
    switch (a.kind) {
      case 'answer':
        throw new CoreError(
          'engineApiError',
          `The Docker Engine at ${this.where} answered /_ping with HTTP ${a.status}.`,
          {
            ...dial,
            status: a.status,
          },
        );
      case 'garbled':
        throw new CoreError('engineApiError', `The Docker Engine at ${this.where} sent an unreadable answer.`, dial);
      case 'error':
        throw a.error instanceof CoreError ? a.error : lostError(a.error, this.where, dial);
      case 'ended':
        throw (
          dialStdioError(state.stderr, state.exitCode, this.ctx()) ??
          lostError(new Error('docker system dial-stdio ended without an answer'), this.where, dial)
        );
    }
  }

  /** Why a stream-local channel could not be opened although the transport worked before. */
  private async explainStreamLocal(e: unknown): Promise<CoreError> {
    if (!isOpenFailure(e)) {
      return this.connectionError(e);
    }
    return (
      (await this.probeExplain(this.streamLocalWorked)) ??
      new CoreError('daemonNotRunning', `The Docker socket ${this.socket.path} on ${this.where} cannot be reached.`, {
        ...this.base,
        path: this.socket.path,
        message: describeError(e),
      })
    );
  }

  private async probeExplain(streamLocalWorked: boolean): Promise<CoreError | undefined> {
    const facts = await probeRemoteSocket(this.connection.client, this.socket, this.deadline);
    this.logger.debug(`engine ${this.where}: socket probe of ${this.socket.path}: ${JSON.stringify(facts)}`);
    return probeError(facts, this.ctx(), streamLocalWorked);
  }

  /** A failure to open any channel: the connection is gone, refuses new channels, or never answered. */
  private async connectionError(e: unknown, transport?: SshTransport): Promise<CoreError> {
    if (CoreError.is(e, 'timeout') && e.details.stage === 'channel') {
      // An unanswered channel open: this connection is wedged. Close it so the pool forgets it.
      this.logger.info(
        `engine ${this.where}: no answer to a channel open within ${this.o.helperTimeoutMs} ms, closing`,
      );
      this.close();
      return new CoreError(e.reason, e.message, { ...this.base, ...e.details });
    }
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
