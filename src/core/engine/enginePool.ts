/**
 * The Docker Engine API client per context. unix:// and npipe:// go to the socket, tcp:// to
 * the host (with the context's TLS material), ssh:// through ONE pooled SSH connection per
 * endpoint whose channels carry the HTTP connections (see engineSshLink.ts), so a status
 * refresh costs one round trip instead of a login.
 *
 * This file is the public face and the /info cache; the routes live in engineSshEndpoints.ts
 * (pooled SSH connections, their idle close) and engineDirect.ts (unix, npipe, tcp with TLS).
 * Every request has a deadline and honours an AbortSignal; every failure is a CoreError.
 */
import type * as http from 'node:http';
import type Dockerode from 'dockerode';
import { CoreError, describeError } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import type { SshConnection } from '../ssh/connection';
import type { SystemSshTarget } from './systemSshLink';
import { parseEndpoint, type DockerEndpoint } from '../contexts/endpoint';
import { withDeadline } from './deadline';
import { DirectEndpoints } from './engineDirect';
import { checkJsonDepth, engineRequest, jsonBody, type EngineResponse } from './engineHttp';
import { toEngineInfo, type EngineInfo, type EngineTransport } from './engineInfo';
import { cacheKey, decorate, keyOfEndpoint, type EngineTarget, type Route } from './engineRoute';
import { SshEndpoints, type SshLease } from './engineSshEndpoints';
import { remoteSocketOf } from './remoteSocket';

export type { EngineInfo, EngineTransport } from './engineInfo';
export type { EngineTarget } from './engineRoute';
export type { SshLease } from './engineSshEndpoints';

export interface EnginePoolOptions {
  /**
   * Resolves an ssh:// endpoint to a live connection (the UI passes prompts, the passphrase
   * cache, settings, and keepalive). Called at most once per endpoint at a time; it must time
   * out by itself (connectSsh does). The signal fires when the pool drops the endpoint.
   */
  connect: (endpoint: DockerEndpoint, signal: AbortSignal) => Promise<SshConnection | SystemSshTarget>;
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
  /** Times /info and /version were read (a status() served from the cache reads neither). */
  infoReads: number;
}

/** The headers of /_ping that change when the daemon behind the socket changes. */
const PING_IDENTITY = ['api-version', 'ostype', 'server', 'docker-experimental', 'builder-version', 'swarm'];

interface CachedInfo {
  info: EngineInfo;
  pingKey: string;
  generation: number;
}

export class EnginePool {
  private readonly ssh: SshEndpoints;
  private readonly direct: DirectEndpoints;
  private readonly cache = new Map<string, CachedInfo>();
  private readonly listeners = new Set<(e: ConnectionEvent) => void>();
  private readonly logger: Logger;
  private infoReads = 0;
  private disposed = false;

  constructor(private readonly options: EnginePoolOptions) {
    this.logger = options.logger ?? nullLogger;
    this.ssh = new SshEndpoints({
      connect: options.connect,
      requestTimeoutMs: options.requestTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      ackNudge: options.ackNudge ?? true,
      logger: this.logger,
      emit: (endpoint, state, error) => this.emit({ endpoint, state, ...(error ? { error } : {}) }),
      disposed: () => this.disposed,
    });
    this.direct = new DirectEndpoints(options.requestTimeoutMs);
  }

  /** A dockerode instance for the target; for ssh:// the pooled connection is made (or reused) first. */
  async docker(target: EngineTarget, signal?: AbortSignal): Promise<Dockerode> {
    this.checkOpen();
    try {
      const endpoint = this.parse(target);
      if (endpoint.scheme === 'ssh') {
        const deadline = Date.now() + this.options.requestTimeoutMs;
        return await this.ssh.dockerode(target, endpoint, (p) => this.waitConnection(p, signal, target, deadline));
      }
      return await this.direct.dockerode(target, endpoint);
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
      return await this.readAll(await this.route(target, signal, deadline), key, signal, deadline);
    } catch (e) {
      this.cache.delete(key);
      throw decorate(e, target);
    }
  }

  /**
   * `/info` and `/version` as the daemon sent them (Show Remote Engine Info), read like status()
   * reads them: each answer at most 8 MiB, JSON, and not nested beyond what can be shown.
   */
  async rawInfo(target: EngineTarget, signal?: AbortSignal): Promise<{ info: unknown; version: unknown }> {
    this.checkOpen();
    const deadline = Date.now() + this.options.requestTimeoutMs;
    try {
      const route = await this.route(target, signal, deadline);
      const [i, v] = await Promise.all([
        this.call(route, 'GET', '/info', signal, deadline),
        this.call(route, 'GET', '/version', signal, deadline),
      ]);
      const info = jsonBody(i, 'GET /info');
      const version = jsonBody(v, 'GET /version');
      checkJsonDepth(info, 'GET /info');
      checkJsonDepth(version, 'GET /version');
      return { info, version };
    } catch (e) {
      throw decorate(e, target);
    }
  }

  /**
   * Liveness (HEAD /_ping) plus the cached info; /info and /version are read again only after a
   * reconnect, a failure, a connection the daemon closed (it stopped, or another daemon now
   * answers on the socket), or when /_ping's identity headers (API version, server version, OS
   * type, ...) change.
   */
  async status(target: EngineTarget, signal?: AbortSignal): Promise<EngineInfo> {
    this.checkOpen();
    const deadline = Date.now() + this.options.requestTimeoutMs;
    const key = cacheKey(target);
    try {
      const route = await this.route(target, signal, deadline);
      const before = this.cache.get(key);
      if (!before || before.generation !== route.generation()) {
        // Nothing usable is cached (first status, new connection): all three at once, one round trip.
        return await this.readAll(route, key, signal, deadline);
      }
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

  /**
   * A hold on the pooled SSH connection of an ssh:// target, for channels other than the
   * Docker socket's (port forwards, SFTP, remote commands): made (or reused) within the
   * request deadline; the idle close waits until the lease is released. Other schemes are
   * refused with `endpointInvalid`.
   */
  async lease(target: EngineTarget, signal?: AbortSignal): Promise<SshLease> {
    this.checkOpen();
    try {
      const endpoint = this.parse(target);
      if (endpoint.scheme !== 'ssh') {
        throw new CoreError('endpointInvalid', `${target.endpoint} is not reached over SSH.`, {
          endpoint: target.endpoint,
        });
      }
      const deadline = Date.now() + this.options.requestTimeoutMs;
      return await this.ssh.lease(endpoint, (p) => this.waitConnection(p, signal, target, deadline));
    } catch (e) {
      throw decorate(e, target);
    }
  }

  onDidChangeConnection(listener: (e: ConnectionEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  stats(): EnginePoolStats {
    return { ...this.ssh.stats(), connectsTotal: this.ssh.connects, infoReads: this.infoReads };
  }

  /** The transport the endpoint's current connection uses (undefined before the first request). */
  transportOf(endpoint: string): EngineTransport | undefined {
    return this.ssh.has(endpoint) ? this.ssh.transportOf(endpoint) : this.direct.transportOf(endpoint);
  }

  /** Drops the pooled connection of one endpoint (or all). dockerode instances stay usable and reconnect. */
  close(endpoint?: string): void {
    this.ssh.close(endpoint);
    this.direct.close(endpoint);
    for (const key of [...this.cache.keys()]) {
      if (endpoint === undefined || keyOfEndpoint(key, endpoint)) {
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
    this.ssh.clear();
    this.direct.clear();
  }

  // -------------------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.disposed) {
      throw new CoreError('cancelled', 'The engine pool was disposed.');
    }
  }

  private parse(target: EngineTarget): DockerEndpoint {
    const endpoint = parseEndpoint(target.endpoint);
    if (endpoint.scheme === 'ssh') {
      // Refused before connecting: the path could not be passed to the remote.
      remoteSocketOf(endpoint.path);
    }
    return endpoint;
  }

  private route(target: EngineTarget, signal: AbortSignal | undefined, deadline: number): Promise<Route> {
    const endpoint = this.parse(target);
    return endpoint.scheme === 'ssh'
      ? this.ssh.route(target, endpoint, (p) => this.waitConnection(p, signal, target, deadline))
      : this.direct.route(target, endpoint);
  }

  /** Races a shared connection attempt with this caller's deadline and signal (the attempt itself goes on for others). */
  private waitConnection<T>(
    p: Promise<T>,
    signal: AbortSignal | undefined,
    target: EngineTarget,
    deadline: number,
  ): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs;
    return withDeadline(
      p.catch((e: unknown) => Promise.reject(decorate(e, target))),
      {
        timeoutMs: deadline - Date.now(),
        signal,
        onTimeout: () =>
          decorate(
            new CoreError('timeout', `No connection to ${target.endpoint} within ${timeoutMs} ms.`, {
              timeoutMs,
              stage: 'connect',
            }),
            target,
          ),
      },
    );
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

  /** /_ping, /info and /version at once: on a new connection that saves a round trip before OS/arch are known. */
  private async readAll(
    route: Route,
    key: string,
    signal: AbortSignal | undefined,
    deadline: number,
  ): Promise<EngineInfo> {
    const generation = route.generation();
    this.infoReads++;
    const [ping, i, v] = await Promise.all([
      this.call(route, 'HEAD', '/_ping', signal, deadline),
      this.call(route, 'GET', '/info', signal, deadline),
      this.call(route, 'GET', '/version', signal, deadline),
    ]);
    return this.remember(route, key, generation, ping, i, v);
  }

  private async readInfo(
    route: Route,
    key: string,
    ping: EngineResponse,
    signal: AbortSignal | undefined,
    deadline: number,
  ): Promise<EngineInfo> {
    const generation = route.generation();
    this.infoReads++;
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
    } catch (e) {
      throw e instanceof CoreError && route.explainAnswer ? route.explainAnswer(e) : e;
    } finally {
      end?.();
    }
  }
}

function pingKey(headers: http.IncomingHttpHeaders): string {
  return PING_IDENTITY.map((h) => `${h}=${String(headers[h] ?? '')}`).join(';');
}
