/**
 * From the daemon's container list to what should be forwarded: one entry per TCP port a running
 * container publishes (IPv4 and IPv6 publishes of the same port are one forward), and the ports
 * a container exposes without publishing them (for "Forward a Port…"). Pure functions.
 */
import type { ContainerSummary } from './portsEngine';
import type { ContainerRef, ForwardAddress } from './portsTypes';

export interface WantedForward {
  id: string;
  container: ContainerRef;
  containerPort: number;
  /** Where the channel goes on the remote side. */
  remote: ForwardAddress;
  /** The port number to listen on locally when free (the published one). */
  wantedPort: number;
}

export function containerRef(c: ContainerSummary): ContainerRef {
  const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
  return { id: c.Id, name, image: c.Image ?? '' };
}

/**
 * The address a published port is reached at from the remote side: a wildcard publish
 * (`0.0.0.0`, `::`, or none) answers on the remote's loopback; a specific address is used as is.
 */
export function remoteHostOf(ip: string | undefined): string {
  if (!ip || ip === '0.0.0.0') {
    return '127.0.0.1';
  }
  if (ip === '::') {
    return '::1';
  }
  return ip;
}

function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 65536;
}

function rowId(containerId: string, remote: ForwardAddress, containerPort: number): string {
  return `${containerId}|${remote.host}|${remote.port}|${containerPort}`;
}

/** Manual forwards have ids of their own so they never collide with a published one. */
export function manualRowId(containerId: string, remote: ForwardAddress, containerPort: number): string {
  return `manual|${rowId(containerId, remote, containerPort)}`;
}

/** Published TCP ports of running containers, minus the ignored port numbers (published or container side). */
export function publishedForwards(list: readonly ContainerSummary[], ignore: readonly number[]): WantedForward[] {
  const out: WantedForward[] = [];
  for (const c of list) {
    if (c.State && c.State !== 'running') {
      continue;
    }
    const container = containerRef(c);
    const tcp = (c.Ports ?? []).filter(
      (p) => p.Type === 'tcp' && isPort(p.PublicPort) && isPort(p.PrivatePort) && !ignore.includes(p.PublicPort),
    );
    // docker lists a wildcard publish once for IPv4 and once for IPv6: the IPv4 one is the
    // forward (every sshd reaches it); an IPv6-only publish is forwarded to its own address.
    const v4 = new Set(tcp.filter((p) => !remoteHostOf(p.IP).includes(':')).map((p) => p.PublicPort));
    const seen = new Set<string>();
    for (const p of tcp) {
      const remote = { host: remoteHostOf(p.IP), port: p.PublicPort as number };
      const id = rowId(c.Id, remote, p.PrivatePort);
      if ((remote.host.includes(':') && v4.has(remote.port)) || seen.has(id)) {
        continue;
      }
      seen.add(id);
      out.push({ id, container, containerPort: p.PrivatePort, remote, wantedPort: remote.port });
    }
  }
  return out;
}

/** Exposed TCP ports that no publish covers, per running container (sorted). */
export function unpublishedPorts(list: readonly ContainerSummary[]): { container: ContainerRef; ports: number[] }[] {
  const out: { container: ContainerRef; ports: number[] }[] = [];
  for (const c of list) {
    if (c.State && c.State !== 'running') {
      continue;
    }
    const published = new Set<number>();
    const exposed = new Set<number>();
    for (const p of c.Ports ?? []) {
      if (p.Type !== 'tcp' || !isPort(p.PrivatePort)) {
        continue;
      }
      (isPort(p.PublicPort) ? published : exposed).add(p.PrivatePort);
    }
    const ports = [...exposed].filter((n) => !published.has(n)).sort((a, b) => a - b);
    if (ports.length > 0) {
      out.push({ container: containerRef(c), ports });
    }
  }
  return out;
}
