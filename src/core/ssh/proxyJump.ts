/**
 * ProxyJump: reading the hop list, resolving a hop, and opening the channel through a jump host
 * that carries the next hop's SSH connection (ssh2's `forwardOut`, like `ssh -W`).
 */
import type { ClientChannel } from 'ssh2';
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import type { EffectiveHost } from '../sshConfig/resolveHost';
import type { ConnectOptions, SshConnection } from './connectTypes';

/** OpenSSH has no limit but loops forever on a cycle; a chain longer than this is a mistake. */
export const MAX_JUMP_DEPTH = 8;

/** `none` or empty disables it, as in ssh_config. */
export function parseProxyJump(value: string | undefined): string[] {
  if (!value || value.trim().toLowerCase() === 'none') {
    return [];
  }
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The host to reach first for `ProxyJump a,b`: b, reached in turn through a. b's own ProxyJump
 * (or ProxyCommand) is replaced by the rest of the list, as OpenSSH does by running `ssh -J a b`:
 * the `-J` on its command line comes before anything b's configuration says.
 */
export async function nearestJumpHost(hops: string[], options: ConnectOptions): Promise<EffectiveHost> {
  const resolved = await resolveJump(hops[hops.length - 1], options);
  if (hops.length === 1) {
    return resolved;
  }
  const { proxyCommand: _ignored, ...rest } = resolved;
  return { ...rest, proxyJump: hops.slice(0, -1).join(',') };
}

async function resolveJump(spec: string, options: ConnectOptions): Promise<EffectiveHost> {
  if (options.resolveJumpHost) {
    return options.resolveJumpHost(spec);
  }
  // Without a resolver (no ssh config at hand) a hop is a literal destination that trusts the
  // same known_hosts files as the target and uses the default keys.
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(spec);
  if (!m || !m[2]) {
    throw new CoreError('sshDestinationInvalid', `Cannot read the ProxyJump destination "${spec}".`, {
      proxyJump: spec,
    });
  }
  const target = options.host;
  const hostname = m[2].replace(/^\[|\]$/g, '');
  return {
    ...target,
    alias: spec,
    hostname,
    user: m[1] ?? target.user,
    port: m[3] ? Number(m[3]) : 22,
    identityFiles: [],
    identitiesOnly: false,
    proxyJump: undefined,
    proxyCommand: undefined,
    hostKeyAlias: undefined,
  };
}

/** A channel from the jump host to the next hop, on which the next SSH connection runs. */
export function openForward(via: SshConnection, host: EffectiveHost, where: ErrorDetails): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      via.client.forwardOut('127.0.0.1', 0, host.hostname, host.port, (err, ch) => {
        if (err) {
          reject(forwardError(err, via, where));
          return;
        }
        resolve(ch);
      });
    } catch (e) {
      reject(
        new CoreError(
          'connectionLost',
          `The connection to the jump host ${via.host.alias} is closed.`,
          { ...where, message: describeError(e) },
          { cause: e },
        ),
      );
    }
  });
}

function forwardError(err: Error & { reason?: number }, via: SshConnection, where: ErrorDetails): CoreError {
  const message = describeError(err);
  const d = { ...where, message, jumpHost: via.host.alias };
  const target = `${String(where.host)}:${String(where.port)}`;
  if (/refused/i.test(message)) {
    return new CoreError(
      'connectionRefused',
      `${target} refused the connection from the jump host ${via.host.alias}.`,
      d,
    );
  }
  if (/name or service|not known|resolve|getaddrinfo|nodename/i.test(message)) {
    return new CoreError('dnsFailed', `The jump host ${via.host.alias} cannot resolve ${String(where.host)}.`, d);
  }
  if (err.reason === 1 || /prohibited/i.test(message)) {
    return new CoreError('hostUnreachable', `The jump host ${via.host.alias} does not allow forwarding to ${target}.`, {
      ...d,
      detail: 'forwardingProhibited',
    });
  }
  return new CoreError('hostUnreachable', `The jump host ${via.host.alias} could not reach ${target}.`, d);
}
