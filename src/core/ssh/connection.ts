/**
 * One authenticated SSH connection (ssh2) to a resolved host: our own TCP socket (so connect
 * errors map precisely and Nagle is off from the first byte), the host key checked against
 * known_hosts before anything secret is sent, then authentication in OpenSSH's order: the
 * ssh-agent, the identity files (each passphrase asked once and kept in memory only), and only
 * when asked for, password / keyboard-interactive. ProxyJump hops are chained through
 * `forwardOut`; a ProxyCommand is run as OpenSSH runs it and the connection spoken over its
 * stdio (the resolvers give a host one or the other: whichever the configuration named first). Every attempt has a deadline (paused while a person answers a prompt) and can be
 * cancelled; whatever fails is raised as a CoreError with the host and port in its details.
 *
 * The parts: connectAttempt.ts (one hop), authenticator.ts (+ agents.ts, privateKeyFile.ts),
 * attemptErrors.ts and socketErrors.ts (what a failure means), proxyJump.ts, proxyCommand.ts,
 * deadline.ts.
 */
import { CoreError, cancelledError } from '../common/errors';
import { connectOnce } from './connectAttempt';
import type { ConnectOptions, SshConnection } from './connectTypes';
import { MAX_JUMP_DEPTH, nearestJumpHost, parseProxyJump } from './proxyJump';

export type {
  AuthMethod,
  ConnectOptions,
  ConnectStage,
  HostKeyRequest,
  SshConnection,
  SshPrompts,
} from './connectTypes';
export { PassphraseCache } from './passphraseCache';
export { agentPath } from './agents';
export { parseProxyJump } from './proxyJump';
export { socketError } from './socketErrors';

export async function connectSsh(options: ConnectOptions): Promise<SshConnection> {
  return connectWithDepth(options, 0);
}

async function connectWithDepth(options: ConnectOptions, depth: number): Promise<SshConnection> {
  if (options.signal?.aborted) {
    throw cancelledError();
  }
  const host = options.host;
  const hops = parseProxyJump(host.proxyJump);
  if (hops.length === 0) {
    return connectOnce(options, undefined);
  }
  if (depth >= MAX_JUMP_DEPTH) {
    throw new CoreError(
      'sshDestinationInvalid',
      `The ProxyJump chain to ${host.alias} is longer than ${MAX_JUMP_DEPTH} hops (a loop?).`,
      {
        host: host.hostname,
        port: host.port,
        alias: host.alias,
        proxyJump: host.proxyJump,
        detail: 'jumpDepth',
        maxHops: MAX_JUMP_DEPTH,
      },
    );
  }
  const jump = await connectWithDepth(
    {
      ...options,
      host: await nearestJumpHost(hops, options),
      // The explicit key list and agent switch are about the target (copy-id); hops use their config.
      identityFiles: undefined,
      useAgent: undefined,
      onStage: undefined,
    },
    depth + 1,
  );
  try {
    return await connectOnce(options, jump);
  } catch (e) {
    jump.close();
    throw e;
  }
}
