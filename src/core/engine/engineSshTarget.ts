/**
 * How an `ssh://` context endpoint becomes an SSH connection, and how a connection attempt that
 * must not ask anything (a background probe) reports what it would have needed to ask.
 */
import { CoreError, type Reason } from '../common/errors';
import type { Logger } from '../common/log';
import { connectSsh, type ConnectOptions, type SshConnection, type SshPrompts } from '../ssh/connection';
import type { PassphraseCache } from '../ssh/passphraseCache';
import type { EffectiveHost } from '../sshConfig/resolveHost';
import type { DockerEndpoint } from '../contexts/endpoint';
import { systemSshReason, type SystemSshReason } from '../ssh/systemSshNeed';
import type { SystemSshTarget } from './systemSshLink';

/**
 * The host of `ssh://[user@]alias[:port][/path]`: the alias's settings from the SSH
 * configuration, with the URL's user and port winning over them, as the docker CLI's
 * `ssh -l USER -p PORT -- alias` does.
 */
export function sshHostForEndpoint(
  resolved: EffectiveHost,
  endpoint: Pick<DockerEndpoint, 'user' | 'port'>,
): EffectiveHost {
  return {
    ...resolved,
    ...(endpoint.user !== undefined && endpoint.user !== '' ? { user: endpoint.user } : {}),
    ...(endpoint.port !== undefined ? { port: endpoint.port } : {}),
  };
}

/** Failures that a person can resolve by answering a prompt (trust the host key, type the passphrase). */
export const INTERACTION_REASONS: readonly Reason[] = ['hostKeyUnknown', 'keyPassphraseRequired'];

export function needsInteraction(e: unknown): boolean {
  // Through the system's ssh client nothing can be asked here: OpenSSH decides (BatchMode).
  return e instanceof CoreError && INTERACTION_REASONS.includes(e.reason) && e.details.transport !== 'system-ssh';
}

export interface SilentPrompts {
  /** Prompts for connectSsh that never ask a person. */
  readonly prompts: SshPrompts;
  /** The connection's error, or a keyPassphraseRequired error when an encrypted key the server would accept was left locked. */
  explain(e: unknown): unknown;
}

/**
 * Prompts for a background connection. The unknown host key is left to connectSsh (without a
 * confirmHostKey it refuses with hostKeyUnknown). A passphrase request is refused by throwing,
 * not by answering "no": an answer would mark the key as declined in the passphrase cache, and
 * the person would never be asked later, when they ask to connect. connectSsh only asks for a
 * passphrase after the server accepted the public key, so a refused request means the key
 * would have worked, and the attempt's final `authFailed` is reported as that instead.
 */
export function silentPrompts(): SilentPrompts {
  let lockedKey: string | undefined;
  return {
    prompts: {
      passphrase: (req) => {
        lockedKey ??= req.keyPath;
        return Promise.reject(
          new CoreError(
            'keyPassphraseRequired',
            `The key ${req.keyPath} needs its passphrase, and this connection may not ask for it.`,
            { file: req.keyPath },
          ),
        );
      },
    },
    explain: (e) => {
      if (
        lockedKey !== undefined &&
        e instanceof CoreError &&
        (e.reason === 'authFailed' || e.reason === 'keyPassphraseRequired')
      ) {
        return new CoreError(
          'keyPassphraseRequired',
          `The key ${lockedKey} needs its passphrase to log in.`,
          { ...e.details, file: lockedKey },
          { cause: e },
        );
      }
      return e;
    },
  };
}

/** What connecting to an ssh:// endpoint for the engine needs from the SSH side. */
export interface EngineConnectDeps {
  /** The alias's effective settings (`ssh -G` or the built-in evaluator). */
  resolve(alias: string, signal: AbortSignal): Promise<EffectiveHost>;
  /** connectSsh's options for a host: known_hosts, identities, the passphrase cache, the prompts given. */
  connectOptions(host: EffectiveHost, o: { signal: AbortSignal; prompts?: SshPrompts }): ConnectOptions;
  passphrases: PassphraseCache;
  /** SSH keepalive for hosts whose configuration sets no ServerAliveInterval; 0 = off. */
  keepaliveIntervalMs: number;
  logger?: Logger;
  /**
   * How to run the system's ssh client for hosts ssh2 cannot reach as OpenSSH does
   * (systemSshNeed.ts). Without it such hosts are tried with ssh2 (and usually refused).
   */
  systemSsh?: {
    binary: string;
    /** `-F FILE` when the configuration is not ssh's default one. */
    configFile?: string;
    env: NodeJS.ProcessEnv;
    /** The ControlMaster directory (created on first use); undefined: no multiplexing. */
    controlDir(): string | undefined;
    persistSeconds: number;
  };
}

/**
 * The pool's way to an ssh:// endpoint: the SSH configuration, keepalive, and prompts only
 * while a person waits (`interaction`). When that person asked to connect (`askAgain`), the
 * passphrases they declined earlier are forgotten, so the box appears again; otherwise a
 * declined key stays skipped and reconnects do not nag.
 */
export async function connectForEngine(
  deps: EngineConnectDeps,
  endpoint: DockerEndpoint,
  signal: AbortSignal,
  interaction: { prompts: SshPrompts; askAgain: boolean } | undefined,
): Promise<SshConnection | SystemSshTarget> {
  const prompts = interaction?.prompts;
  const silent = prompts ? undefined : silentPrompts();
  const host = sshHostForEndpoint(await deps.resolve(endpoint.host ?? '', signal), endpoint);
  const why = deps.systemSsh && host.source === 'ssh -G' ? await systemSshReason(host) : undefined;
  if (deps.systemSsh && why) {
    deps.logger?.info(`engine ${endpoint.raw}: through the ssh client (${why})`);
    return systemSshTarget(deps.systemSsh, host, why, {
      destination: endpoint.host ?? '',
      ...(endpoint.user !== undefined && endpoint.user !== '' ? { user: endpoint.user } : {}),
      ...(endpoint.port !== undefined ? { port: endpoint.port } : {}),
    });
  }
  if (interaction?.askAgain) {
    for (const file of host.identityFiles) {
      if (deps.passphrases.isDeclined(file)) {
        deps.passphrases.delete(file);
      }
    }
  }
  deps.logger?.debug(
    `engine ${endpoint.raw}: connecting to ${host.user}@${host.hostname}:${host.port}${prompts ? '' : ' (in the background: no prompts)'}`,
  );
  try {
    return await connectSsh({
      ...deps.connectOptions(host, { signal, prompts: prompts ?? silent?.prompts }),
      // The host's own ServerAliveInterval wins, as with ssh; the setting covers the others.
      ...(host.serverAliveInterval ? {} : { keepaliveIntervalMs: deps.keepaliveIntervalMs }),
    });
  } catch (e) {
    throw silent ? silent.explain(e) : e;
  }
}

/**
 * How the system's ssh client is run for `host` (resolved by `ssh -G`), which must go through it
 * for `why`. `to` is the destination as the docker CLI hands it to ssh, with the URL's user and
 * port when it names them (the configuration's values apply otherwise).
 */
export function systemSshTarget(
  s: NonNullable<EngineConnectDeps['systemSsh']>,
  host: EffectiveHost,
  why: SystemSshReason,
  to: { destination: string; user?: string; port?: number },
): SystemSshTarget {
  return {
    kind: 'system-ssh',
    ...to,
    where: `${host.user}@${host.hostname}:${host.port}`,
    host: { hostname: host.hostname, port: host.port, user: host.user },
    why,
    binary: s.binary,
    ...(s.configFile !== undefined ? { configFile: s.configFile } : {}),
    env: s.env,
    controlDir: s.controlDir(),
    persistSeconds: s.persistSeconds,
    connectTimeoutSeconds: host.connectTimeout ?? 30,
  };
}

/**
 * The system ssh client's way to `host` when only it reaches the host as OpenSSH does; else
 * undefined. The user and port resolved (the URL's, or the configuration's) are passed as such.
 */
export async function systemSshTargetIfNeeded(
  s: EngineConnectDeps['systemSsh'],
  host: EffectiveHost,
): Promise<SystemSshTarget | undefined> {
  const why = s && host.source === 'ssh -G' ? await systemSshReason(host) : undefined;
  return s && why
    ? systemSshTarget(s, host, why, { destination: host.alias, user: host.user, port: host.port })
    : undefined;
}
