/**
 * The laptop side of a forward: TCP listeners on loopback only (127.0.0.1, and ::1 where this
 * machine has it) sharing one port number: the wanted one when free on every loopback address,
 * else the next number that is.
 */
import * as net from 'node:net';

export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1'];
/** How many numbers after the wanted one are tried before the port counts as taken. */
export const PORT_SPAN = 100;

export interface LocalListener {
  readonly port: number;
  /** The loopback addresses listened on (::1 missing when this machine has no IPv6 loopback). */
  readonly hosts: readonly string[];
  close(): void;
}

type BindResult = { server: net.Server } | { code: string };

function bind(host: string, port: number, onSocket: (s: net.Socket) => void): Promise<BindResult> {
  return new Promise((resolve) => {
    // allowHalfOpen: a client's FIN is passed on as the channel's EOF while the answer still flows back.
    const server = net.createServer({ allowHalfOpen: true }, onSocket);
    const onError = (e: NodeJS.ErrnoException): void => {
      server.close();
      resolve({ code: e.code ?? 'EUNKNOWN' });
    };
    server.once('error', onError);
    server.listen({ host, port, exclusive: true, ipv6Only: host.includes(':') }, () => {
      server.removeListener('error', onError);
      // A listener that fails later (it cannot, once bound) must not crash the extension host.
      server.on('error', () => undefined);
      resolve({ server });
    });
  });
}

/** The address family is not there at all (no ::1 on this machine): listen without it. */
function unavailable(code: string): boolean {
  return code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT';
}

/**
 * Listens on every loopback host at `wanted`, else the next port free on all of them (up to
 * PORT_SPAN numbers further). Undefined when none is free. The first host must be bindable.
 */
export async function listenLoopback(
  wanted: number,
  onSocket: (s: net.Socket) => void,
  hosts: readonly string[] = LOOPBACK_HOSTS,
): Promise<LocalListener | undefined> {
  const last = Math.min(65535, wanted + PORT_SPAN);
  let skip = new Set<string>();
  for (let port = wanted; port <= last; port++) {
    const servers: net.Server[] = [];
    const used: string[] = [];
    let taken = false;
    for (const host of hosts) {
      if (skip.has(host)) {
        continue;
      }
      const r = await bind(host, port, onSocket);
      if ('server' in r) {
        servers.push(r.server);
        used.push(host);
      } else if (unavailable(r.code) && used.length > 0) {
        skip = new Set([...skip, host]);
      } else {
        taken = true;
        break;
      }
    }
    if (!taken && servers.length > 0) {
      return {
        port,
        hosts: used,
        close: () => {
          for (const s of servers) {
            s.close();
          }
        },
      };
    }
    for (const s of servers) {
      s.close();
    }
  }
  return undefined;
}
