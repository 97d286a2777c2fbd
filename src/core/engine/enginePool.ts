/**
 * The Docker Engine API client per context. unix:// and npipe:// go to the socket, tcp:// to
 * the host (with the context's TLS material), ssh:// through ONE pooled SSH connection per
 * endpoint whose channels carry the HTTP connections (see engineSshLink.ts), so a status
 * refresh costs one round trip instead of a login.
 *
 * Connections are made lazily on the first request, shared by concurrent requests (the
 * `connect` callback runs at most once per endpoint at a time), dropped from the pool when
 * they die (keepalive or a closed socket), re-made on the next request, and closed after
 * `idleTimeoutMs` without use. Every request has a deadline and honours an AbortSignal;
 * every failure is a CoreError.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { CoreError, cancelledError, describeError, type ErrorDetails } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import { socketError, type SshConnection } from '../ssh/connection';
import { parseEndpoint, type DockerEndpoint } from '../contexts/endpoint';
import { EngineChannelAgent } from './engineChannelAgent';
import { createDockerode } from './engineDockerode';
import { lostError, localSocketError, quoteRemotePath, type SocketContext } from './engineErrors';
import { engineRequest, jsonBody, type EngineResponse } from './engineHttp';
import { EngineTcpAgent, TCP_AGENT_SOCKET } from './engineTcpAgent';
import { toEngineInfo, type EngineInfo, type EngineTransport } from './engineInfo';
import { DEFAULT_REMOTE_SOCKET, EngineSshLink } from './engineSshLink';

export type { EngineInfo, EngineTransport } from './engineInfo';

export interface EngineTarget {
  contextName: string;
  endpoint: string;
  skipTLSVerify?: boolean;
  /** contexts/tls/<id>/docker holding ca.pem / cert.pem / key.pem (tcp endpoints). */
  tlsDir?: string;
}

export interface EnginePoolOptions {
  /**
   * Resolves an ssh:// endpoint to a live connection (the UI passes prompts, the passphrase
   * cache, settings, and keepalive). Called at most once per endpoint at a time; it must time
   * out by itself (connectSsh does). The signal fires when the pool drops the endpoint.
   */
  connect: (endpoint: DockerEndpoint, signal: AbortSignal) => Promise<SshConnection>;
  /** Deadline of one pool call (status, info, docker), including a connection it waits for. */
  requestTimeoutMs: number;
  /** An SSH connection without requests for this long is closed. */
  idleTimeoutMs: number;
  logger?: Logger;
  /** Stall fix 2 (engineAckNudge.ts). Default true; false exists to measure its effect. */
  ackNudge?: boolean;
}

export interface ConnectionEvent {
  endpoint: string;
  state: 'connected' | 'disconnected';
  /** Set when the connection died (connectionLost, or timeout from keepalive); absent when the pool closed it (idle, close()). */
  error?: CoreError;
}

export interface EnginePoolStats {
  /** Live SSH connections. */
  connections: number;
  /** SSH channels that exist now (in use or kept alive). */
  openChannels: number;
  /** SSH connections made so far. */
  connectsTotal: number;
}

/**
 * The "socket" requests over SSH channels name. VS Code's extension host replaces http.request
 * with a proxy-aware one that, for any host but localhost, drops the request's own agent (so
 * the channel agent) unless the request names a socketPath; it then passes the request through
 * untouched. The channel agent never opens this path: each connection is an SSH channel.
 */
const SSH_CHANNEL_SOCKET = '/remote-docker-contexts/ssh-channel';

/** The headers of /_ping that change when the daemon behind the socket changes. */
const PING_IDENTITY = ['api-version', 'ostype', 'server', 'docker-experimental', 'builder-version', 'swarm'];

interface CachedInfo {
  info: EngineInfo;
  pingKey: string;
  generation: number;
}

interface Route {
  base: http.RequestOptions;
  transport: () => EngineTransport;
  mapError: (e: unknown, socket: Duplex | undefined) => CoreError | Promise<CoreError>;
  generation: () => number;
  /** Tells the idle logic that a request runs (ssh only). */
  begin?: () => () => void;
  /** The daemon answered. */
  answered?: () => void;
}

/** Everything about one ssh:// endpoint; outlives its connections. */
class SshEntry {
  link: EngineSshLink | undefined;
  connecting: Promise<EngineSshLink> | undefined;
  connectAbort: AbortController | undefined;
  generation = 0;
  daemonSeen = false;
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

/** A unix://, npipe:// or tcp:// endpoint with its keep-alive agent. */
interface DirectEntry {
  base: http.RequestOptions;
  transport: EngineTransport;
  agent: http.Agent;
  ctx: SocketContext;
  generation: number;
  dockerode: Dockerode | undefined;
}

export class EnginePool {
  private readonly sshEntries = new Map<string, SshEntry>();
  private readonly directEntries = new Map<string, DirectEntry>();
  private readonly cache = new Map<string, CachedInfo>();
  private readonly listeners = new Set<(e: ConnectionEvent) => void>();
  private readonly channelLinks = new WeakMap<Duplex, EngineSshLink>();
  private readonly logger: Logger;
  private connects = 0;
  private disposed = false;

  constructor(private readonly options: EnginePoolOptions) {
    this.logger = options.logger ?? nullLogger;
  }

  /** A dockerode instance for the target; for ssh:// the pooled connection is made (or reused) first. */
  async docker(target: EngineTarget, signal?: AbortSignal): Promise<Dockerode> {
    this.checkOpen();
    try {
      return await this.dockerFor(target, signal);
    } catch (e) {
      throw decorate(e, target);
    }
  }

  /** /_ping, /info and /version, normalised; refreshes the cache that status() uses. */
  async info(target: EngineTarget, signal?: AbortSignal): Promise<EngineInfo> {
    this.checkOpen();
    const deadline = Date.now() + this.options.requestTimeoutMs;
    const key = cacheKey(target);
    try {
      const route = await this.route(target, signal, deadline);
      // All three at once: on a new connection that saves a round trip before OS/arch are known.
      const generation = route.generation();
      const [ping, i, v] = await Promise.all([
        this.call(route, 'HEAD', '/_ping', signal, deadline),
        this.call(route, 'GET', '/info', signal, deadline),
        this.call(route, 'GET', '/version', signal, deadline),
      ]);
      return this.remember(route, key, generation, ping, i, v);
    } catch (e) {
      this.cache.delete(key);
      throw decorate(e, target);
    }
  }

  /**
   * Liveness (HEAD /_ping) plus the cached info; /info and /version are read again only after a
   * reconnect, a failure, or when /_ping's identity headers (API version, server version, OS
   * type, ...) change.
   */
  async status(target: EngineTarget, signal?: AbortSignal): Promise<EngineInfo> {
    this.checkOpen();
    const deadline = Date.now() + this.options.requestTimeoutMs;
    const key = cacheKey(target);
    try {
      const route = await this.route(target, signal, deadline);
      const ping = await this.call(route, 'HEAD', '/_ping', signal, deadline);
      const cached = this.cache.get(key);
      if (cached && cached.generation === route.generation() && cached.pingKey === pingKey(ping.headers)) {
        return { ...cached.info, rttMs: ping.elapsedMs, checkedAt: Date.now(), transport: route.transport() };
      }
      return await this.readInfo(route, key, ping, signal, deadline);
    } catch (e) {
      this.cache.delete(key);
      throw decorate(e, target);
    }
  }

  onDidChangeConnection(listener: (e: ConnectionEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  stats(): EnginePoolStats {
    let connections = 0;
    let openChannels = 0;
    for (const e of this.sshEntries.values()) {
      if (e.link && !e.link.dead) {
        connections++;
      }
      openChannels += e.agent.openChannels;
    }
    return { connections, openChannels, connectsTotal: this.connects };
  }

  /** The transport the endpoint's current connection uses (undefined before the first request). */
  transportOf(endpoint: string): EngineTransport | undefined {
    const e = this.sshEntries.get(endpoint);
    if (e) {
      return e.link?.transport;
    }
    for (const [key, d] of this.directEntries) {
      if (key.startsWith(`${endpoint}\n`)) {
        return d.transport;
      }
    }
    return undefined;
  }

  /** Drops the pooled connection of one endpoint (or all). dockerode instances stay usable and reconnect. */
  close(endpoint?: string): void {
    for (const [key, e] of this.sshEntries) {
      if (endpoint === undefined || key === endpoint) {
        this.dropSsh(e);
      }
    }
    for (const [key, d] of this.directEntries) {
      if (endpoint === undefined || key.startsWith(`${endpoint}\n`)) {
        d.agent.destroy();
        d.generation++;
      }
    }
    for (const key of [...this.cache.keys()]) {
      if (endpoint === undefined || key.startsWith(`${endpoint}\n`)) {
        this.cache.delete(key);
      }
    }
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.close();
    this.disposed = true;
    this.listeners.clear();
    this.sshEntries.clear();
    this.directEntries.clear();
  }

  // -------------------------------------------------------------------------------------------

  private async dockerFor(target: EngineTarget, signal: AbortSignal | undefined): Promise<Dockerode> {
    const endpoint = this.parse(target);
    if (endpoint.scheme === 'ssh') {
      const entry = this.sshEntry(endpoint);
      await this.withDeadline(this.linkOf(entry), signal, target);
      entry.dockerode ??= createDockerode(
        { socketPath: SSH_CHANNEL_SOCKET, protocol: 'http', agent: entry.agent },
        { timeoutMs: this.options.requestTimeoutMs, mapError: (e) => this.sshFailure(entry, target, e, undefined) },
      );
      return entry.dockerode;
    }
    const d = await this.directEntry(target, endpoint);
    d.dockerode ??= createDockerode(
      { socketPath: d.base.socketPath, protocol: 'http', agent: d.agent },
      { timeoutMs: this.options.requestTimeoutMs, mapError: (e) => this.directFailure(d, target, e) },
    );
    return d.dockerode;
  }

  private checkOpen(): void {
    if (this.disposed) {
      throw new CoreError('cancelled', 'The engine pool was disposed.');
    }
  }

  private parse(target: EngineTarget): DockerEndpoint {
    const endpoint = parseEndpoint(target.endpoint);
    if (endpoint.scheme === 'ssh') {
      // Refused before connecting: the path would go into a remote command line.
      quoteRemotePath(endpoint.path && endpoint.path !== '/' ? endpoint.path : DEFAULT_REMOTE_SOCKET);
    }
    return endpoint;
  }

  private emit(e: ConnectionEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.logger.error(`engine: a connection listener failed: ${describeError(err)}`);
      }
    }
  }

  private async readInfo(
    route: Route,
    key: string,
    ping: EngineResponse,
    signal: AbortSignal | undefined,
    deadline: number,
  ): Promise<EngineInfo> {
    const generation = route.generation();
    const [i, v] = await Promise.all([
      this.call(route, 'GET', '/info', signal, deadline),
      this.call(route, 'GET', '/version', signal, deadline),
    ]);
    return this.remember(route, key, generation, ping, i, v);
  }

  /** The EngineInfo of these answers, cached for status() under the connection generation it was read on. */
  private remember(
    route: Route,
    key: string,
    generation: number,
    ping: EngineResponse,
    i: EngineResponse,
    v: EngineResponse,
  ): EngineInfo {
    const apiHeader = ping.headers['api-version'];
    const info = toEngineInfo(jsonBody(i, 'GET /info'), jsonBody(v, 'GET /version'), {
      rttMs: ping.elapsedMs,
      checkedAt: Date.now(),
      transport: route.transport(),
      pingApiVersion: typeof apiHeader === 'string' ? apiHeader : undefined,
    });
    this.cache.set(key, { info, pingKey: pingKey(ping.headers), generation });
    return info;
  }

  private async call(
    route: Route,
    method: 'GET' | 'HEAD',
    urlPath: string,
    signal: AbortSignal | undefined,
    deadline: number,
  ): Promise<EngineResponse> {
    const end = route.begin?.();
    try {
      const r = await engineRequest({
        base: route.base,
        method,
        path: urlPath,
        timeoutMs: Math.max(1, deadline - Date.now()),
        signal,
        mapError: route.mapError,
      });
      route.answered?.();
      return r;
    } finally {
      end?.();
    }
  }

  private async route(target: EngineTarget, signal: AbortSignal | undefined, deadline: number): Promise<Route> {
    const endpoint = this.parse(target);
    if (endpoint.scheme !== 'ssh') {
      const d = await this.directEntry(target, endpoint);
      return {
        base: d.base,
        transport: () => d.transport,
        generation: () => d.generation,
        mapError: (e) => this.directFailure(d, target, e),
        answered: () => {
          d.ctx.daemonSeen = true;
        },
      };
    }
    const entry = this.sshEntry(endpoint);
    // Wait for the connection here (not inside the agent) so its errors arrive as they are.
    await this.withDeadline(this.linkOf(entry), signal, target, deadline);
    return {
      base: { socketPath: SSH_CHANNEL_SOCKET, agent: entry.agent },
      transport: () => entry.link?.transport ?? 'streamlocal',
      generation: () => entry.generation,
      mapError: (e, socket) => this.sshFailure(entry, target, e, socket),
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

  /** Races a shared connection attempt with this caller's deadline and signal (the attempt itself goes on for others). */
  private withDeadline<T>(
    p: Promise<T>,
    signal: AbortSignal | undefined,
    target: EngineTarget,
    deadline = Date.now() + this.options.requestTimeoutMs,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancelledError());
        return;
      }
      const ms = Math.max(1, deadline - Date.now());
      const timer = setTimeout(() => {
        cleanup();
        reject(
          decorate(
            new CoreError(
              'timeout',
              `No connection to ${target.endpoint} within ${this.options.requestTimeoutMs} ms.`,
              {
                timeoutMs: this.options.requestTimeoutMs,
                stage: 'connect',
              },
            ),
            target,
          ),
        );
      }, ms);
      const onAbort = (): void => {
        cleanup();
        reject(cancelledError());
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          cleanup();
          resolve(v);
        },
        (e: unknown) => {
          cleanup();
          reject(decorate(e, target));
        },
      );
    });
  }

  // -- ssh:// -----------------------------------------------------------------------------------

  private sshEntry(endpoint: DockerEndpoint): SshEntry {
    let entry = this.sshEntries.get(endpoint.raw);
    if (!entry) {
      const e: SshEntry = new SshEntry(endpoint, () => this.openChannel(e));
      this.sshEntries.set(endpoint.raw, e);
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
  private linkOf(entry: SshEntry): Promise<EngineSshLink> {
    if (this.disposed) {
      return Promise.reject(new CoreError('cancelled', 'The engine pool was disposed.'));
    }
    if (entry.link && !entry.link.dead) {
      return Promise.resolve(entry.link);
    }
    if (entry.connecting) {
      return entry.connecting;
    }
    const ac = new AbortController();
    const endpoint = entry.endpoint;
    const attempt = (async (): Promise<EngineSshLink> => {
      let conn: SshConnection;
      try {
        conn = await this.options.connect(endpoint, ac.signal);
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
      if (ac.signal.aborted || this.disposed) {
        conn.close();
        throw cancelledError();
      }
      const link = new EngineSshLink({
        connection: conn,
        urlPath: endpoint.path,
        ackNudge: this.options.ackNudge ?? true,
        helperTimeoutMs: this.options.requestTimeoutMs,
        daemonSeen: () => entry.daemonSeen,
        onDaemonSeen: () => {
          entry.daemonSeen = true;
        },
        details: { endpoint: endpoint.raw },
        logger: this.logger,
      });
      entry.link = link;
      entry.generation++;
      this.connects++;
      this.logger.info(`engine ${endpoint.raw}: connected to ${link.where} (${conn.authMethod})`);
      void conn.closed.then((err) => this.onClosed(entry, link, err));
      this.emit({ endpoint: endpoint.raw, state: 'connected' });
      this.armIdle(entry);
      return link;
    })();
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
      this.logger.debug(`engine ${endpoint.raw}: connection failed: ${describeError(e)}`);
    });
    return attempt;
  }

  private onClosed(entry: SshEntry, link: EngineSshLink, error: CoreError | undefined): void {
    if (entry.link === link) {
      entry.link = undefined;
      // Pooled channels died with the connection; the agent must not hand them out again.
      entry.agent.destroy();
      this.clearIdle(entry);
    }
    this.logger.info(
      `engine ${entry.endpoint.raw}: disconnected${error ? ` (${error.reason}: ${error.message})` : ''}`,
    );
    this.emit({ endpoint: entry.endpoint.raw, state: 'disconnected', ...(error ? { error } : {}) });
  }

  private dropSsh(entry: SshEntry): void {
    entry.connectAbort?.abort();
    this.retire(entry);
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
    if (!entry.link || this.disposed) {
      return;
    }
    const t = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.inflight > 0 || entry.agent.busy) {
        this.armIdle(entry);
        return;
      }
      this.logger.debug(`engine ${entry.endpoint.raw}: idle for ${this.options.idleTimeoutMs} ms, closing`);
      this.retire(entry);
    }, this.options.idleTimeoutMs);
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
  private async sshFailure(
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

  // -- unix://, npipe://, tcp:// ---------------------------------------------------------------

  private async directEntry(target: EngineTarget, endpoint: DockerEndpoint): Promise<DirectEntry> {
    const key = cacheKey(target);
    const existing = this.directEntries.get(key);
    if (existing) {
      return existing;
    }
    let entry: DirectEntry;
    if (endpoint.scheme === 'unix' || endpoint.scheme === 'npipe') {
      const socketPath =
        endpoint.scheme === 'npipe' ? (endpoint.path ?? '').replace(/\//g, '\\') : (endpoint.path ?? '');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 2 });
      entry = {
        base: { socketPath, agent },
        transport: endpoint.scheme,
        agent,
        ctx: {
          socketPath,
          where: 'this machine',
          daemonSeen: false,
          base: { endpoint: target.endpoint, context: target.contextName },
        },
        generation: 0,
        dockerode: undefined,
      };
    } else {
      const tls = await loadTls(target);
      const host = endpoint.host ?? 'localhost';
      const port = endpoint.port ?? (tls ? 2376 : 2375);
      const agent = new EngineTcpAgent(host, port, tls);
      entry = {
        // The agent speaks TLS itself, so HTTP runs over its socket as plain http.
        base: { socketPath: TCP_AGENT_SOCKET, agent },
        transport: tls ? 'tls' : 'tcp',
        agent,
        ctx: {
          socketPath: `${host}:${port}`,
          where: `${host}:${port}`,
          daemonSeen: false,
          base: { endpoint: target.endpoint, context: target.contextName, host, port },
        },
        generation: 0,
        dockerode: undefined,
      };
    }
    // Another caller may have built one meanwhile (loadTls awaits).
    const raced = this.directEntries.get(key);
    if (raced) {
      entry.agent.destroy();
      return raced;
    }
    this.directEntries.set(key, entry);
    return entry;
  }

  private directFailure(d: DirectEntry, target: EngineTarget, e: unknown): CoreError {
    if (e instanceof CoreError) {
      return decorate(e, target);
    }
    // A failed request may have met a restarted daemon: read /info again next time.
    d.generation++;
    if (d.transport === 'unix' || d.transport === 'npipe') {
      return decorate(localSocketError(e, d.ctx) ?? lostError(e, d.ctx.socketPath, d.ctx.base), target);
    }
    const code = (e as { code?: unknown })?.code;
    if (code === 'ECONNREFUSED') {
      return decorate(
        new CoreError(
          'daemonNotRunning',
          `Nothing listens on ${d.ctx.where}: the Docker daemon is not running there.`,
          { ...d.ctx.base, code },
        ),
        target,
      );
    }
    if (
      typeof code === 'string' &&
      (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code))
    ) {
      return decorate(
        new CoreError(
          'tlsMaterialMissing',
          `The TLS handshake with ${d.ctx.where} failed (${code}): the context's certificates do not fit this daemon.`,
          {
            ...d.ctx.base,
            name: target.contextName,
            code,
            detail: 'handshake',
          },
        ),
        target,
      );
    }
    if (typeof code === 'string' && code !== 'ECONNRESET' && code !== 'EPIPE') {
      return decorate(socketError(e, { host: d.ctx.base.host, port: d.ctx.base.port }), target);
    }
    return decorate(lostError(e, d.ctx.where, d.ctx.base), target);
  }
}

function cacheKey(target: EngineTarget): string {
  return `${target.endpoint}\n${target.tlsDir ?? ''}\n${target.skipTLSVerify ? 1 : 0}`;
}

function pingKey(headers: http.IncomingHttpHeaders): string {
  return PING_IDENTITY.map((h) => `${h}=${String(headers[h] ?? '')}`).join(';');
}

/** Adds the context and endpoint to an error's details (keys already set are kept). */
function decorate(e: unknown, target: EngineTarget): CoreError {
  const err = e instanceof CoreError ? e : new CoreError('internal', describeError(e), {}, { cause: e });
  const d: ErrorDetails = err.details;
  if (d.endpoint === undefined) {
    d.endpoint = target.endpoint;
  }
  if (d.context === undefined) {
    d.context = target.contextName;
  }
  return err;
}

/**
 * The context's TLS material like the docker CLI uses it: ca.pem to verify the daemon,
 * cert.pem + key.pem to authenticate; SkipTLSVerify alone also means TLS (unverified).
 * No tlsDir and no SkipTLSVerify: plain TCP.
 */
async function loadTls(target: EngineTarget): Promise<tls.ConnectionOptions | undefined> {
  if (!target.tlsDir) {
    return target.skipTLSVerify ? { rejectUnauthorized: false } : undefined;
  }
  const read = async (name: string): Promise<Buffer | undefined> => {
    try {
      return await fs.promises.readFile(path.join(target.tlsDir as string, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return undefined;
      }
      throw new CoreError(
        'tlsMaterialMissing',
        `${path.join(target.tlsDir as string, name)} cannot be read: ${describeError(e)}`,
        {
          name: target.contextName,
          file: path.join(target.tlsDir as string, name),
        },
      );
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
  if (!ca && !cert && !key) {
    throw new CoreError(
      'tlsMaterialMissing',
      `The TLS directory of context "${target.contextName}" holds no ca.pem, cert.pem or key.pem.`,
      {
        name: target.contextName,
        file: target.tlsDir,
      },
    );
  }
  if (!!cert !== !!key) {
    throw new CoreError(
      'tlsMaterialMissing',
      `Context "${target.contextName}" has ${cert ? 'cert.pem without key.pem' : 'key.pem without cert.pem'}.`,
      {
        name: target.contextName,
        file: target.tlsDir,
      },
    );
  }
  return {
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    rejectUnauthorized: !target.skipTLSVerify,
  };
}
