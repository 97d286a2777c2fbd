/**
 * The direct routes of the engine pool: unix:// and npipe:// to a socket of this machine, tcp://
 * to a host and port (with the context's TLS material). One keep-alive agent per target; a
 * failed request, or a connection the daemon closed, starts a new generation so the pool reads
 * /info again.
 */
import type Dockerode from 'dockerode';
import { CoreError } from '../common/errors';
import type { DockerEndpoint } from '../contexts/endpoint';
import { socketError } from '../ssh/connection';
import { createDockerode } from './engineDockerode';
import { localSocketError, lostError, type SocketContext } from './engineErrors';
import type { EngineTransport } from './engineInfo';
import { cacheKey, decorate, keyOfEndpoint, type EngineTarget, type Route } from './engineRoute';
import { EngineLocalSocketAgent, EngineTcpAgent, TCP_AGENT_SOCKET } from './engineTcpAgent';
import { loadTls } from './engineTls';

interface DirectEntry {
  socketPath: string;
  transport: EngineTransport;
  agent: EngineTcpAgent | EngineLocalSocketAgent;
  ctx: SocketContext;
  generation: number;
  dockerode: Dockerode | undefined;
}

export class DirectEndpoints {
  private readonly entries = new Map<string, DirectEntry>();

  constructor(private readonly requestTimeoutMs: number) {}

  async route(target: EngineTarget, endpoint: DockerEndpoint): Promise<Route> {
    const d = await this.entry(target, endpoint);
    return {
      base: { socketPath: d.socketPath, agent: d.agent },
      transport: () => d.transport,
      generation: () => d.generation,
      mapError: (e) => this.failure(d, target, e),
      answered: () => {
        d.ctx.daemonSeen = true;
      },
      explainAnswer: (e) => tlsRequiredAnswer(e, d, target) ?? e,
    };
  }

  async dockerode(target: EngineTarget, endpoint: DockerEndpoint): Promise<Dockerode> {
    const d = await this.entry(target, endpoint);
    d.dockerode ??= createDockerode(
      { socketPath: d.socketPath, protocol: 'http', agent: d.agent },
      { timeoutMs: this.requestTimeoutMs, mapError: (e) => this.failure(d, target, e) },
    );
    return d.dockerode;
  }

  transportOf(endpoint: string): EngineTransport | undefined {
    for (const [key, d] of this.entries) {
      if (keyOfEndpoint(key, endpoint)) {
        return d.transport;
      }
    }
    return undefined;
  }

  /** Drops the kept-alive connections (of one endpoint, or all); the entries stay usable. */
  close(endpoint?: string): void {
    for (const [key, d] of this.entries) {
      if (endpoint === undefined || keyOfEndpoint(key, endpoint)) {
        d.agent.destroy();
        d.generation++;
      }
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private async entry(target: EngineTarget, endpoint: DockerEndpoint): Promise<DirectEntry> {
    const key = cacheKey(target);
    const existing = this.entries.get(key);
    if (existing) {
      return existing;
    }
    const entry = await this.create(target, endpoint);
    // Another caller may have built one meanwhile (loadTls awaits).
    const raced = this.entries.get(key);
    if (raced) {
      entry.agent.destroy();
      return raced;
    }
    this.entries.set(key, entry);
    return entry;
  }

  private async create(target: EngineTarget, endpoint: DockerEndpoint): Promise<DirectEntry> {
    let entry: DirectEntry | undefined;
    const bump = (): void => {
      if (entry) {
        entry.generation++;
      }
    };
    if (endpoint.scheme === 'unix' || endpoint.scheme === 'npipe') {
      const p = endpoint.path ?? '';
      const socketPath = endpoint.scheme === 'npipe' ? p.replace(/\//g, '\\') : p;
      entry = {
        socketPath,
        transport: endpoint.scheme,
        agent: new EngineLocalSocketAgent(bump),
        ctx: {
          socketPath,
          local: true,
          where: 'this machine',
          daemonSeen: false,
          base: { endpoint: target.endpoint, context: target.contextName },
        },
        generation: 0,
        dockerode: undefined,
      };
      return entry;
    }
    const tls = await loadTls(target);
    const host = endpoint.host ?? 'localhost';
    const port = endpoint.port ?? (tls ? 2376 : 2375);
    entry = {
      // The agent speaks TLS itself, so HTTP runs over its socket as plain http.
      socketPath: TCP_AGENT_SOCKET,
      transport: tls ? 'tls' : 'tcp',
      agent: new EngineTcpAgent(host, port, tls, bump),
      ctx: {
        socketPath: `${host}:${port}`,
        local: false,
        where: `${host}:${port}`,
        daemonSeen: false,
        base: { endpoint: target.endpoint, context: target.contextName, host, port },
      },
      generation: 0,
      dockerode: undefined,
    };
    return entry;
  }

  private failure(d: DirectEntry, target: EngineTarget, e: unknown): CoreError {
    if (e instanceof CoreError) {
      return decorate(e, target);
    }
    // A failed request may have met a restarted daemon: read /info again next time.
    d.generation++;
    if (d.transport === 'unix' || d.transport === 'npipe') {
      return decorate(
        localSocketError(e, d.ctx) ?? lostError(e, d.ctx.socketPath, { ...d.ctx.base, local: true }),
        target,
      );
    }
    return decorate(tcpError(e, d, target), target);
  }
}

/**
 * Go's answer to plain HTTP on a TLS listener: a 400 with this sentence. Node reads it as a
 * parse error on a HEAD request (see tcpError) and as a complete 400 answer on a GET.
 */
function tlsRequiredAnswer(e: CoreError, d: DirectEntry, target: EngineTarget): CoreError | undefined {
  if (
    d.transport !== 'tcp' ||
    e.reason !== 'engineApiError' ||
    e.details.status !== 400 ||
    !/HTTP request to an HTTPS server/.test(String(e.details.message))
  ) {
    return undefined;
  }
  return new CoreError('tlsMaterialMissing', `${d.ctx.where} speaks TLS only.`, {
    ...d.ctx.base,
    name: target.contextName,
    detail: 'tlsRequired',
  });
}

function tcpError(e: unknown, d: DirectEntry, target: EngineTarget): CoreError {
  const code = (e as { code?: unknown })?.code;
  const raw = (e as { rawPacket?: unknown })?.rawPacket;
  if (d.transport === 'tcp' && Buffer.isBuffer(raw) && raw.includes('HTTP request to an HTTPS server')) {
    // Go's answer to plain HTTP on a TLS listener: the context lacks its TLS material.
    return new CoreError('tlsMaterialMissing', `${d.ctx.where} speaks TLS only.`, {
      ...d.ctx.base,
      name: target.contextName,
      detail: 'tlsRequired',
    });
  }
  if (code === 'ECONNREFUSED') {
    return new CoreError('daemonNotRunning', `Nothing listens on ${d.ctx.where}.`, { ...d.ctx.base, code });
  }
  if (
    typeof code === 'string' &&
    (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code))
  ) {
    return new CoreError('tlsMaterialMissing', `The TLS handshake with ${d.ctx.where} failed (${code}).`, {
      ...d.ctx.base,
      name: target.contextName,
      code,
      detail: 'handshake',
    });
  }
  if (typeof code === 'string' && code !== 'ECONNRESET' && code !== 'EPIPE') {
    return socketError(e, { host: d.ctx.base.host, port: d.ctx.base.port });
  }
  return lostError(e, d.ctx.where, d.ctx.base);
}
