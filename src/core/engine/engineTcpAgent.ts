/**
 * The keep-alive agents of the direct routes. For tcp:// the agent dials the daemon itself (TLS
 * included), so the requests name a placeholder socketPath instead of host and port: VS Code's
 * extension host replaces http(s).request with a proxy-aware one that, for any host but
 * localhost, swaps the request's agent (and with it the context's client certificate) for its
 * own unless the request names a socketPath. The placeholder is never opened.
 *
 * Both agents report a connection the daemon ended (its EOF): a daemon that stopped, or another
 * one now behind the same address, so what the pool cached about it may be stale.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';

export const TCP_AGENT_SOCKET = '/remote-docker-contexts/tcp';

const AGENT_OPTIONS: http.AgentOptions = { keepAlive: true, maxSockets: 8, maxFreeSockets: 2 };

export class EngineTcpAgent extends http.Agent {
  constructor(
    private readonly host: string,
    private readonly port: number,
    /** Set for TLS: ca, cert, key, rejectUnauthorized as the context's material says. */
    private readonly tlsOptions: tls.ConnectionOptions | undefined,
    private readonly onRemoteEnd: () => void = () => undefined,
  ) {
    super(AGENT_OPTIONS);
  }

  override createConnection(): net.Socket {
    let socket: net.Socket;
    if (this.tlsOptions) {
      socket = tls.connect({
        ...this.tlsOptions,
        host: this.host,
        port: this.port,
        // SNI takes names only; the certificate is still checked against the IP.
        servername: net.isIP(this.host) ? undefined : this.host,
      });
    } else {
      socket = net.connect({ host: this.host, port: this.port });
      socket.setNoDelay(true);
    }
    socket.once('end', this.onRemoteEnd);
    return socket;
  }
}

/** The keep-alive agent of a unix:// or npipe:// socket. */
export class EngineLocalSocketAgent extends http.Agent {
  constructor(private readonly onRemoteEnd: () => void) {
    super(AGENT_OPTIONS);
  }

  override createConnection(
    options: http.ClientRequestArgs,
    _callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    // Returned at once, as http.Agent's own createConnection does; the callback is not used then.
    const socket = net.createConnection({ path: options.socketPath ?? '' });
    socket.once('end', this.onRemoteEnd);
    return socket;
  }
}
