/**
 * The keep-alive agent for tcp:// daemons. It dials the daemon itself (TLS included), so the
 * requests name a placeholder socketPath instead of host and port: VS Code's extension host
 * replaces http(s).request with a proxy-aware one that, for any host but localhost, swaps the
 * request's agent (and with it the context's client certificate) for its own unless the request
 * names a socketPath. The placeholder is never opened.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';

export const TCP_AGENT_SOCKET = '/remote-docker-contexts/tcp';

export class EngineTcpAgent extends http.Agent {
  constructor(
    private readonly host: string,
    private readonly port: number,
    /** Set for TLS: ca, cert, key, rejectUnauthorized as the context's material says. */
    private readonly tlsOptions: tls.ConnectionOptions | undefined,
  ) {
    super({ keepAlive: true, maxSockets: 8, maxFreeSockets: 2 });
  }

  override createConnection(): net.Socket {
    if (this.tlsOptions) {
      return tls.connect({
        ...this.tlsOptions,
        host: this.host,
        port: this.port,
        // SNI takes names only; the certificate is still checked against the IP.
        servername: net.isIP(this.host) ? undefined : this.host,
      });
    }
    const socket = net.connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    return socket;
  }
}
