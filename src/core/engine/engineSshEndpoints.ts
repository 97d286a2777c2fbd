/**
 * The ssh:// side of the engine pool: ONE pooled SSH connection per SSH endpoint whose channels
 * carry the HTTP connections (see engineSshLink.ts); endpoints that differ only in the socket path
 * share it (engineSshShare.ts), each with a link of its own (route, channels). Connections are
 * made lazily, shared by concurrent requests, dropped when they die, re-made on the next request,
 * and let go after `idleTimeoutMs` without use (never while a request runs or waits for a
 * channel). A connection that arrives after the endpoint was closed is closed at once.
 */
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import type Dockerode from 'dockerode';
import { CoreError, cancelledError, describeError } from '../common/errors';
import type { Logger } from '../common/log';
import type { DockerEndpoint } from '../contexts/endpoint';
import type { SshConnection } from '../ssh/connection';
import { EngineChannelAgent } from './engineChannelAgent';
import { createDockerode } from './engineDockerode';
import { lostError } from './engineErrors';
import type { EngineTransport } from './engineInfo';
import { decorate, type EngineTarget, type Route } from './engineRoute';
import { EngineSshLink, type CliChoiceMemory } from './engineSshLink';
import { isSystemSshTarget, SystemSshLink, type SystemSshTarget } from './systemSshLink';
import type { RemoteSocket } from './remoteSocket';
import { SharedSshConnections, type SharedConnection } from './engineSshShare';

/**
 * The "socket" requests over SSH channels name. VS Code's extension host replaces http.request
 * with a proxy-aware one that, for any host but localhost, drops the request's own agent (so
 * the channel agent) unless the request names a socketPath; it then passes the request through
 * untouched. The channel agent never opens this path: each connection is an SSH channel.
 */
const SSH_CHANNEL_SOCKET = '/remote-docker-contexts/ssh-channel';

/** A pooled way to an ssh:// endpoint's daemon: an ssh2 connection, or the system's OpenSSH client. */
type PoolLink = EngineSshLink | SystemSshLink;

export interface SshEndpointsOptions {
  /** An ssh2 connection, or (for hosts ssh2 cannot reach as OpenSSH does) the system ssh client's target. */
  connect: (endpoint: DockerEndpoint, signal: AbortSignal) => Promise<SshConnection | SystemSshTarget>;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  ackNudge: boolean;
  logger: Logger;
  /** A connection was made, or closed (with its error when it died). */
  emit: (endpoint: string, state: 'connected' | 'disconnected', error?: CoreError) => void;
  /** True once the pool is disposed. */
  disposed: () => boolean;
}

/** A hold on an endpoint's pooled SSH connection (see SshEndpoints.lease). */
export interface SshLease {
  readonly connection: SshConnection;
  readonly client: Client;
  /** The Docker socket this connection's engine channels go to (the remote CLI's choice once known). */
  readonly socket: RemoteSocket;
  /** Changes with every new connection of the endpoint. */
  readonly generation: number;
  /** Resolves when this connection closes (with its CoreError when it died). */
  readonly closed: Promise<CoreError | undefined>;
  /** Lets the idle close run again. */
  release(): void;
}

/** Everything about one ssh:// endpoint; outlives its connections. */
class SshEntry {
  link: PoolLink | undefined;
  connecting: Promise<PoolLink> | undefined;
  connectAbort: AbortController | undefined;
  generation = 0;
  daemonSeen = false;
  /** The remote CLI's choice as the last connection found it (memory only; see EngineSshLink). */
  cliChoice: CliChoiceMemory | undefined;
  /** The socket the last connection reached by stream-local forwarding (memory only). */
  provenSocket: string | undefined;
  inflight = 0;
  idleTimer: NodeJS.Timeout | undefined;
  dockerode: Dockerode | undefined;
  readonly agent: EngineChannelAgent;

  constructor(
    readonly endpoint: DockerEndpoint,
    open: () => Promise<Duplex>,
  ) {
    this.agent = new EngineChannelAgent(open);
  }
}

export class SshEndpoints {
  private readonly entries = new Map<string, SshEntry>();
  private readonly channelLinks = new WeakMap<Duplex, PoolLink>();
  private readonly share: SharedSshConnections;
  /** SSH logins made so far (a connection shared by another socket's endpoint is not one). */
  connects = 0;

  constructor(private readonly o: SshEndpointsOptions) {
    this.share = new SharedSshConnections(o.connect);
  }

  /** The route of a request; waits for the connection (`wait` adds the caller's deadline and signal). */
  async route(target: EngineTarget, endpoint: DockerEndpoint, wait: <T>(p: Promise<T>) => Promise<T>): Promise<Route> {
    const entry = this.entry(endpoint);
    // Wait for the connection here (not inside the agent) so its errors arrive as they are.
    await wait(this.linkOf(entry));
    return {
      base: { socketPath: SSH_CHANNEL_SOCKET, agent: entry.agent },
      transport: () => entry.link?.transport ?? 'streamlocal',
      generation: () => entry.generation,
      mapError: (e, socket) => this.failure(entry, target, e, socket),
      begin: () => {
        entry.inflight++;
        this.armIdle(entry);
        return () => {
          entry.inflight--;
          this.armIdle(entry);
        };
      },
    };
  }

  async dockerode(
    target: EngineTarget,
    endpoint: DockerEndpoint,
    wait: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<Dockerode> {
    const entry = this.entry(endpoint);
    await wait(this.linkOf(entry));
    entry.dockerode ??= createDockerode(
      { socketPath: SSH_CHANNEL_SOCKET, protocol: 'http', agent: entry.agent },
      { timeoutMs: this.o.requestTimeoutMs, mapError: (e) => this.failure(entry, target, e, undefined) },
    );
    return entry.dockerode;
  }

  /**
   * The live connection of the endpoint for channels other than the Docker socket's (forwarded
   * ports, SFTP, remote commands). While the lease is held the idle close waits; release it
   * when done (twice is harmless). The lease does not keep a dead connection alive: watch
   * `closed` and take a new lease to reconnect.
   */
  async lease(endpoint: DockerEndpoint, wait: <T>(p: Promise<T>) => Promise<T>): Promise<SshLease> {
    const entry = this.entry(endpoint);
    entry.inflight++;
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        entry.inflight--;
        this.armIdle(entry);
      }
    };
    try {
      const link = await wait(this.linkOf(entry));
      if (link instanceof SystemSshLink) {
        throw new CoreError(
          'sshFeatureUnavailable',
          `${endpoint.raw} is reached through the system's ssh client, which gives no channels for port forwarding or file transfer.`,
          { endpoint: endpoint.raw, transport: 'system-ssh', why: link.why },
        );
      }
      return {
        connection: link.connection,
        client: link.connection.client,
        socket: link.socket,
        generation: entry.generation,
        closed: link.closed,
        release,
      };
    } catch (e) {
      release();
      throw e;
    }
  }

  has(endpoint: string): boolean {
    return this.entries.has(endpoint);
  }

  transportOf(endpoint: string): EngineTransport | undefined {
    return this.entries.get(endpoint)?.link?.transport;
  }

  stats(): { connections: number; openChannels: number } {
    const connections = new Set<unknown>();
    let openChannels = 0;
    for (const e of this.entries.values()) {
      if (e.link && !e.link.dead) {
        connections.add(e.link instanceof SystemSshLink ? e.link : e.link.connection);
      }
      openChannels += e.agent.openChannels;
    }
    return { connections: connections.size, openChannels };
  }

  /**
   * Drops the connection (and any attempt) of one endpoint, or of all. The next request logs in
   * again, so the connection goes for the other sockets of that SSH endpoint too.
   */
  close(endpoint?: string): void {
    for (const [key, e] of this.entries) {
      if (endpoint === undefined || key === endpoint) {
        e.connectAbort?.abort();
        // Closed on purpose (Refresh, a switch of settings): the next connection asks the remote CLI again.
        e.cliChoice = undefined;
        e.provenSocket = undefined;
        this.retire(e);
        this.share.close(e.endpoint);
      }
    }
    if (endpoint === undefined) {
      this.share.close();
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private entry(endpoint: DockerEndpoint): SshEntry {
    let entry = this.entries.get(endpoint.raw);
    if (!entry) {
      const e: SshEntry = new SshEntry(endpoint, () => this.openChannel(e));
      this.entries.set(endpoint.raw, e);
      entry = e;
    }
    return entry;
  }

  /** For the agent: a channel on the current connection, connecting first if needed (dockerode calls). */
  private async openChannel(entry: SshEntry): Promise<Duplex> {
    entry.inflight++;
    try {
      const link = await this.linkOf(entry);
      const ch = await link.openChannel();
      this.channelLinks.set(ch, link);
      return ch;
    } finally {
      entry.inflight--;
      this.armIdle(entry);
    }
  }

  /** The live connection of the entry, or the attempt under way, or a new attempt. */
  private linkOf(entry: SshEntry): Promise<PoolLink> {
    if (this.o.disposed()) {
      return Promise.reject(new CoreError('cancelled', 'The engine pool was disposed.'));
    }
    if (entry.link && !entry.link.dead) {
      return Promise.resolve(entry.link);
    }
    if (entry.connecting) {
      return entry.connecting;
    }
    const ac = new AbortController();
    const attempt = this.connect(entry, ac.signal);
    entry.connecting = attempt;
    entry.connectAbort = ac;
    const clear = (): void => {
      if (entry.connecting === attempt) {
        entry.connecting = undefined;
        entry.connectAbort = undefined;
      }
    };
    attempt.then(clear, (e: unknown) => {
      clear();
      this.o.logger.debug(`engine ${entry.endpoint.raw}: connection failed: ${describeError(e)}`);
    });
    return attempt;
  }

  private async connect(entry: SshEntry, signal: AbortSignal): Promise<PoolLink> {
    const endpoint = entry.endpoint;
    let shared: SharedConnection;
    try {
      shared = await this.share.acquire(endpoint, signal);
    } catch (e) {
      throw e instanceof CoreError
        ? e
        : new CoreError(
            'internal',
            `Connecting to ${endpoint.raw} failed: ${describeError(e)}`,
            { endpoint: endpoint.raw },
            { cause: e },
          );
    }
    const conn = shared.connection;
    if (signal.aborted || this.o.disposed()) {
      // The endpoint was closed (or the pool disposed) while connecting: nobody will use this one.
      shared.release();
      throw cancelledError();
    }
    if (isSystemSshTarget(conn)) {
      return this.adopt(
        entry,
        new SystemSshLink(conn, endpoint.path, { endpoint: endpoint.raw }, this.o.logger),
        'system ssh',
      );
    }
    const link = new EngineSshLink({
      connection: conn,
      urlPath: endpoint.path,
      ackNudge: this.o.ackNudge,
      helperTimeoutMs: this.o.requestTimeoutMs,
      daemonSeen: () => entry.daemonSeen,
      onDaemonSeen: () => {
        entry.daemonSeen = true;
      },
      onDaemonClosed: () => {
        entry.generation++;
      },
      knownCliChoice: () => entry.cliChoice,
      onCliChoice: (choice) => {
        entry.cliChoice = choice;
      },
      provenSocket: () => entry.provenSocket,
      onStreamLocal: (socketPath) => {
        entry.provenSocket = socketPath;
      },
      release: shared.release,
      details: { endpoint: endpoint.raw },
      logger: this.o.logger,
    });
    return shared.reused
      ? this.adopt(entry, link, 'sharing the connection of another socket on this host', false)
      : this.adopt(entry, link, conn.authMethod);
  }

  /** The entry's new live link: counted, announced, and watched until it closes. */
  private adopt(entry: SshEntry, link: PoolLink, how: string, login = true): PoolLink {
    const endpoint = entry.endpoint;
    entry.link = link;
    entry.generation++;
    if (login) {
      this.connects++;
    }
    this.o.logger.info(`engine ${endpoint.raw}: connected to ${link.where} (${how})`);
    void link.closed.then((err) => this.onClosed(entry, link, err));
    this.o.emit(endpoint.raw, 'connected');
    this.armIdle(entry);
    return link;
  }

  private onClosed(entry: SshEntry, link: PoolLink, error: CoreError | undefined): void {
    if (entry.link === link) {
      entry.link = undefined;
      // Pooled channels died with the connection; the agent must not hand them out again.
      entry.agent.destroy();
      this.clearIdle(entry);
    }
    this.o.logger.info(
      `engine ${entry.endpoint.raw}: disconnected${error ? ` (${error.reason}: ${error.message})` : ''}`,
    );
    this.o.emit(entry.endpoint.raw, 'disconnected', error);
  }

  /** Closes the entry's connection on purpose; the next request makes a new one. */
  private retire(entry: SshEntry): void {
    this.clearIdle(entry);
    const link = entry.link;
    entry.link = undefined;
    entry.agent.destroy();
    link?.close();
  }

  private armIdle(entry: SshEntry): void {
    this.clearIdle(entry);
    if (!entry.link || this.o.disposed()) {
      return;
    }
    const t = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.inflight > 0 || entry.agent.busy) {
        this.armIdle(entry);
        return;
      }
      this.o.logger.debug(`engine ${entry.endpoint.raw}: idle for ${this.o.idleTimeoutMs} ms, closing`);
      this.retire(entry);
    }, this.o.idleTimeoutMs);
    t.unref();
    entry.idleTimer = t;
  }

  private clearIdle(entry: SshEntry): void {
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
  }

  /** A request failure on an ssh:// endpoint: the connection's death, or a lost channel. */
  private async failure(
    entry: SshEntry,
    target: EngineTarget,
    e: unknown,
    socket: Duplex | undefined,
  ): Promise<CoreError> {
    if (e instanceof CoreError) {
      return decorate(e, target);
    }
    const link = (socket && this.channelLinks.get(socket)) ?? entry.link;
    if (link) {
      return decorate(await link.lostError(e), target);
    }
    return decorate(lostError(e, entry.endpoint.raw, { endpoint: entry.endpoint.raw }), target);
  }
}
