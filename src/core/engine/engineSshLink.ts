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
 * hold every later request). Another socket's endpoint on the same host may share the
 * connection (engineSshShare.ts): closing a link then only lets go of it.
 *
 * Longer than this project's ~400 lines: the route discovery, the remote CLI's choice, the
 * channels opened alongside a discovery and the explanations of failures all read and change the
 * same per-connection state; split, each part would need the whole of it.
 */
import type { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import type { SshConnection } from '../ssh/connection';
import { ackNudgerOf, type AckNudger } from './engineAckNudge';
import { firstDialStdioAnswer, watchDaemonChannel, watchDialStdio, type DialStdioState } from './engineChannelWatch';
import { lostError, probeError, type SocketContext } from './engineErrors';
import {
  isOpenFailure,
  openDialStdio,
  openStreamLocal,
  remoteCliChoice,
  probeRemoteSocket,
  remoteSocketOf,
  type RemoteCliChoice,
  type RemoteSocket,
  type SshRoute,
} from './remoteSocket';

export type SshTransport = SshRoute;

/** What the remote CLI chose, as remembered between connections ('none': the default socket). */
export type CliChoiceMemory = RemoteCliChoice | 'none';

function sameChoice(a: CliChoiceMemory, b: CliChoiceMemory): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

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
  /**
   * The remote CLI's choice as an earlier connection of this endpoint found it ('none': no usable
   * answer, the default socket). When known, the first channel follows it at once and the choice
   * is asked again in the background; see firstStreamLocal.
   */
  knownCliChoice?: () => CliChoiceMemory | undefined;
  /** The remote CLI's choice as this connection found it. */
  onCliChoice?: (choice: CliChoiceMemory) => void;
  /** The socket an earlier connection of this endpoint reached by stream-local forwarding. */
  provenSocket?: () => string | undefined;
  onStreamLocal?: (socketPath: string) => void;
  /**
   * Lets go of the connection when this link is closed, for a connection other endpoints of the
   * same SSH endpoint share (engineSshShare.ts); without it, closing the link closes the connection.
   */
  release?: () => void;
  /** Details every error carries (endpoint, context). */
  details?: ErrorDetails;
  logger?: Logger;
}

export class EngineSshLink {
  readonly connection: SshConnection;
  private socketValue: RemoteSocket;
  readonly where: string;
  private transportValue: SshTransport | undefined;
  private streamLocalWorked = false;
  private discovery: Promise<unknown> | undefined;
  /**
   * While the first channel is being found: the socket stream-local forwarding is tried on, once
   * that is decided and known to work (a channel to it opened, now or on an earlier connection);
   * undefined: dial-stdio, unproven, or it failed. Requests waiting for the first channel open
   * theirs on it at the same time instead of one round trip later.
   */
  private tentative: Promise<RemoteSocket | undefined> | undefined;
  private decide: (socket: RemoteSocket | undefined) => void = () => undefined;
  private deadValue = false;
  private closedOnPurpose = false;
  private readonly nudger: AckNudger | undefined;
  private readonly logger: Logger;
  /** Resolves when the connection closes (with its error when it died) or this link is closed. */
  readonly closed: Promise<CoreError | undefined>;
  private resolveClosed: (e: CoreError | undefined) => void = () => undefined;
  private readonly onClientClose = (): void => {
    this.deadValue = true;
  };

  constructor(private readonly o: SshLinkOptions) {
    this.connection = o.connection;
    this.socketValue = remoteSocketOf(o.urlPath);
    const h = o.connection.host;
    this.where = `${h.user}@${h.hostname}:${h.port}`;
    this.logger = o.logger ?? nullLogger;
    this.nudger = o.ackNudge ? ackNudgerOf(o.connection.client) : undefined;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    o.connection.client.once('close', this.onClientClose);
    void o.connection.closed.then((e) => this.resolveClosed(e));
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
      const died = await this.closed;
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
      const ch = await this.alongsideDiscovery();
      if (ch) {
        return ch;
      }
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
        throw await this.explainStreamLocal(e);
      }
    }
    this.tentative = new Promise((resolve) => {
      this.decide = resolve;
    });
    const p = this.discover().finally(() => this.decide(undefined));
    this.discovery = p;
    try {
      return await p;
    } finally {
      if (this.discovery === p) {
        this.discovery = undefined;
      }
    }
  }

  /**
   * Lets waiting requests open their channels alongside the first one when the socket is known:
   * named (by the URL, or by the remote CLI's answer), or reached by stream-local forwarding on an
   * earlier connection. A cold status then waits on one channel round trip, not two. If the server
   * refuses stream-local forwarding or the socket is missing, the alongside opens fail like the
   * first and wait for the discovery's explanation (or its dial-stdio fallback): nothing is sent
   * to a daemon the discovery would not choose.
   */
  private decideIfKnown(): void {
    if (this.socketValue.explicit || this.o.provenSocket?.() === this.socketValue.path) {
      this.decide(this.socketValue);
    }
  }

  /** A channel to the socket the discovery under way tries, opened alongside it; undefined: wait for the discovery. */
  private async alongsideDiscovery(): Promise<Duplex | undefined> {
    const socket = await this.tentative;
    if (!socket || this.transportValue !== undefined || this.deadValue) {
      return undefined;
    }
    try {
      return this.ready(await openStreamLocal(this.connection.client, socket, this.deadline));
    } catch {
      return undefined; // the discovery explains (or falls back to dial-stdio)
    }
  }

  /**
   * The first stream-local channel. Without a path in the URL, the remote docker CLI is asked
   * once which daemon it would dial (in parallel with opening the default socket, so a cold
   * status waits for the slower of the two, not both): its unix socket is used instead of the
   * default when they differ, and anything else (tcp://, ssh://) means dial-stdio, which the
   * CLI itself routes. Without a CLI on the remote, the default socket stands.
   */
  private async firstStreamLocal(): Promise<ClientChannel | 'dial-stdio'> {
    const client = this.connection.client;
    if (this.socketValue.explicit) {
      this.decideIfKnown();
      return openStreamLocal(client, this.socketValue, this.deadline);
    }
    const known = this.o.knownCliChoice?.();
    if (known !== undefined) {
      void this.recheckCliChoice(known);
      return this.follow(known);
    }
    const [choice, first] = await Promise.all([
      remoteCliChoice(client, this.deadline).catch(() => undefined),
      openStreamLocal(client, this.socketValue, this.deadline).then(
        (ch) => ({ ch }),
        (error: unknown) => ({ error }),
      ),
    ]);
    this.o.onCliChoice?.(choice ?? 'none');
    if (!choice || (choice.kind === 'unix' && choice.path === this.socketValue.path)) {
      if ('ch' in first) {
        this.decide(this.socketValue);
        return first.ch;
      }
      throw first.error;
    }
    if ('ch' in first) {
      first.ch.close();
    }
    this.logger.debug(
      `engine ${this.where}: the remote docker CLI uses ${choice.kind === 'unix' ? `unix://${choice.path}` : choice.host}`,
    );
    if (choice.kind === 'other') {
      return 'dial-stdio';
    }
    this.socketValue = { path: choice.path, explicit: true };
    this.decideIfKnown();
    return openStreamLocal(client, this.socketValue, this.deadline);
  }

  /** The first channel by a choice already known: no wait for the remote CLI (a reconnect costs no extra round trip). */
  private follow(choice: CliChoiceMemory): Promise<ClientChannel | 'dial-stdio'> | 'dial-stdio' {
    if (choice !== 'none' && choice.kind === 'other') {
      return 'dial-stdio';
    }
    if (choice !== 'none' && choice.path !== this.socketValue.path) {
      this.socketValue = { path: choice.path, explicit: true };
    }
    this.decideIfKnown();
    return openStreamLocal(this.connection.client, this.socketValue, this.deadline);
  }

  /**
   * The remote user may have changed DOCKER_HOST or their context since the choice was
   * remembered: ask again alongside the first requests. When the answer differs, it is
   * remembered and this link is closed (its connection too, unless another endpoint shares it),
   * so the next request reaches the daemon the CLI now dials.
   */
  private async recheckCliChoice(known: CliChoiceMemory): Promise<void> {
    let now: CliChoiceMemory | undefined;
    try {
      now = await remoteCliChoice(this.connection.client, this.deadline);
    } catch {
      return; // cancelled or the connection is gone: nothing learnt
    }
    // No usable answer may be a passing failure (sshd's MaxSessions, a slow start): only a
    // definite other answer is acted on, so a flaky remote cannot make the pool reconnect in a loop.
    if (now === undefined || this.deadValue || sameChoice(now, known)) {
      return;
    }
    this.logger.info(`engine ${this.where}: the remote docker CLI now dials another daemon; reconnecting`);
    this.o.onCliChoice?.(now);
    this.close();
  }

  private async discover(): Promise<Duplex> {
    let streamLocalFailure: unknown;
    let cliDials = false;
    try {
      const ch = await this.firstStreamLocal();
      if (ch === 'dial-stdio') {
        cliDials = true;
        throw new Error('the remote docker CLI dials a daemon that is not a unix socket');
      }
      this.transportValue = 'streamlocal';
      this.streamLocalWorked = true;
      this.o.onStreamLocal?.(this.socket.path);
      this.logger.debug(`engine ${this.where}: stream-local forwarding to ${this.socket.path}`);
      return this.ready(ch);
    } catch (e) {
      if (!cliDials && !isOpenFailure(e)) {
        throw await this.connectionError(e);
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
    return watchDaemonChannel(ch, { onDaemonSeen: this.o.onDaemonSeen, onDaemonClosed: this.o.onDaemonClosed });
  }

  private async dialStdio(): Promise<{ ch: ClientChannel; state: DialStdioState }> {
    const ch = await openDialStdio(this.connection.client, this.socket, this.deadline);
    return { ch, state: watchDialStdio(ch, () => this.ctx()) };
  }

  private firstAnswer(ch: ClientChannel, state: DialStdioState): Promise<void> {
    return firstDialStdioAnswer(ch, state, {
      base: this.base,
      where: this.where,
      deadline: this.deadline,
      ctx: () => this.ctx(),
      onDaemonSeen: this.o.onDaemonSeen,
    });
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
      this.closeConnection();
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

  /**
   * Closes this link: from now on it counts as dead and `closed` resolves. The connection closes
   * with it unless other endpoints share it (then this link only lets go of it).
   */
  close(): void {
    if (this.closedOnPurpose) {
      return;
    }
    this.closedOnPurpose = true;
    this.deadValue = true;
    this.connection.client.removeListener('close', this.onClientClose);
    this.resolveClosed(undefined);
    if (this.o.release) {
      this.o.release();
    } else {
      this.connection.close();
    }
  }

  /** Closes the connection itself, for every link on it (it is wedged). */
  private closeConnection(): void {
    this.close();
    this.connection.close();
  }
}
