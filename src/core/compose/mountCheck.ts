/**
 * What a remote daemon will do with each host path of a compose or devcontainer file: the
 * absolute path it receives (this machine's), and what is at that path on the daemon's machine.
 */
import { hostPathOf, type HostMount } from './composeMounts';
import type { RemoteKind, RemoteStat } from './remoteStat';

export interface MountFinding {
  mount: HostMount;
  /** The path the daemon receives: absolute, on this machine's terms. */
  hostPath: string;
  /** What is there on the daemon's machine; `notChecked` for a build context or without SFTP. */
  remote: RemoteKind | 'notChecked';
  /** What the daemon does when the path is missing there. */
  whenMissing: 'createsEmptyDirectory' | 'failsToStart' | 'notApplicable';
}

export interface CheckOptions {
  /** Relative sources resolve against this (the compose file's folder). */
  baseDir: string;
  home: string;
  /** Absent: the daemon's machine cannot be asked (tcp://). */
  stat?: RemoteStat;
}

export async function checkMounts(mounts: readonly HostMount[], o: CheckOptions): Promise<MountFinding[]> {
  const out: MountFinding[] = [];
  const seen = new Map<string, Promise<RemoteKind>>();
  for (const mount of mounts) {
    const hostPath = hostPathOf(mount.source, o.baseDir, o.home);
    const whenMissing =
      mount.kind === 'build' ? 'notApplicable' : mount.kind === 'short' ? 'createsEmptyDirectory' : 'failsToStart';
    if (mount.kind === 'build' || !o.stat) {
      out.push({ mount, hostPath, remote: 'notChecked', whenMissing });
      continue;
    }
    let kind = seen.get(hostPath);
    if (!kind) {
      kind = o.stat(hostPath);
      seen.set(hostPath, kind);
    }
    out.push({ mount, hostPath, remote: await kind, whenMissing });
  }
  return out;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0)$/i;

/**
 * Whether a daemon endpoint is on another machine, so host paths resolve there: ssh:// always
 * (even to this machine, the daemon may be another user's or a VM's), tcp:// unless loopback.
 */
export function isRemoteEndpoint(endpoint: string): boolean {
  const scheme = /^([a-z]+):\/\//i.exec(endpoint)?.[1]?.toLowerCase();
  if (scheme === 'ssh') {
    return true;
  }
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') {
    return false;
  }
  try {
    return !LOOPBACK.test(new URL(endpoint.replace(/^tcp:/i, 'http:')).hostname);
  } catch {
    return false;
  }
}

/** Whether the daemon's machine can be asked over SFTP (an ssh:// endpoint). */
export function canStatRemote(endpoint: string): boolean {
  return /^ssh:\/\//i.test(endpoint);
}
