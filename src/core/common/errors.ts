/**
 * Errors raised by the core carry a reason code, never UI text: the edge (src/ui) maps each
 * reason to a localized sentence and a suggested fix, and tests assert on reasons.
 */

/** Reasons of the SSH configuration, keys and connections (worded by the UI's SSH table). */
export const SSH_REASONS = [
  // SSH config
  'sshConfigUnparsable',
  'sshIncludeLoop',
  /** ssh refuses a config file others can write ("Bad owner or permissions"). */
  'sshConfigPermissions',
  'sshAliasExists',
  'sshAliasInvalid',
  'sshHostNotFound',
  'sshHostNotEditable',
  'sshDestinationInvalid',
  // Keys
  'keyExists',
  'keyInvalid',
  'keyPassphraseRequired',
  'keyPassphraseWrong',
  /** ssh refuses a private key that group or others may read ("UNPROTECTED PRIVATE KEY FILE"). */
  'keyPermissions',
  // Connection
  'dnsFailed',
  'hostUnreachable',
  'connectionRefused',
  'timeout',
  'notSsh',
  'hostKeyUnknown',
  'hostKeyChanged',
  'hostKeyRevoked',
  'hostKeyRejected',
  'authFailed',
  'connectionLost',
  'sshProtocolError',
  'remoteCommandFailed',
  'remoteShellNotPosix',
  /** The host's ProxyCommand could not run, or ended before the SSH connection was made. */
  'proxyCommandFailed',
  /** The host is reached through the system's ssh client, which offers no channels (ports, SFTP). */
  'sshFeatureUnavailable',
] as const;

/** Reasons of Docker at the far end of a connection and of the daemon's answers (the UI's engine table). */
export const ENGINE_REASONS = [
  // Docker engine over a connection
  'dockerCliMissing',
  'dockerSocketPermission',
  'dockerSocketMissing',
  'daemonNotRunning',
  'streamLocalForbidden',
  'engineApiError',
  'tlsMaterialMissing',
  // Forwarded ports
  /** sshd refuses direct-tcpip channels (`AllowTcpForwarding no`, or a `PermitOpen` that leaves this one out). */
  'portForwardingForbidden',
  /** Nothing answers at the forwarded address on the remote side (the channel open failed: connect failed). */
  'portRemoteRefused',
  /** No local loopback port could be bound for a forward. */
  'localPortTaken',
  /** A container has no address on any network (Forward a Port… needs one). */
  'containerNotReachable',
  /** No ssh:// context is being followed, so there is nothing to forward through. */
  'portsNoContext',
] as const;

/** Reasons of running a fix on the remote host with sudo (the UI's server setup table). */
export const SETUP_REASONS = [
  /** sudo did not accept the password (nothing ran). */
  'sudoPasswordWrong',
  /** The user may not run the command with sudo (nothing ran). */
  'sudoNotAllowed',
  /** There is no sudo on the remote host. */
  'sudoMissing',
  /** sudo ran the command and it failed. */
  'sudoCommandFailed',
] as const;

/** Reasons of the workspace mirror on the remote and of compose run there (the UI's sync table). */
export const SYNC_REASONS = [
  /** The remote directory setting is not absolute/under ~, names `..`, or is `/` or the home itself. */
  'syncRemoteDirInvalid',
  /** A path would leave the mirror directory. */
  'syncPathOutside',
  /** A component of the mirror's remote path is a symlink: writing through it could land anywhere. */
  'syncRemoteSymlink',
  /** The remote tree could not be listed (no permission; without GNU find it is listed over SFTP). */
  'syncRemoteListFailed',
  /** An SFTP operation on the remote failed. */
  'syncRemoteFailed',
  /** A local file of the folder could not be read. */
  'syncLocalUnreadable',
  /** The context does not reach its daemon over SSH, so there is no remote machine to mirror to. */
  'syncNeedsSsh',
  /** Neither `docker compose` nor `docker-compose` exists on the remote. */
  'composeMissing',
  /** The compose file is not inside a workspace folder. */
  'composeFileOutside',
] as const;

/** Every reason the core can fail for. Add new ones here so the UI's mapping stays exhaustive. */
export const REASONS = [
  // Generic
  'cancelled',
  'internal',
  // Files
  'fileUnreadable',
  'fileUnwritable',
  // Docker context store
  'contextNameInvalid',
  'contextNameReserved',
  'contextExists',
  'contextNotFound',
  'contextMetaCorrupt',
  'contextMetaUnreadable',
  'contextInUse',
  'defaultContextImmutable',
  'endpointInvalid',
  'dockerConfigUnparsable',
  /** A context's TLS folder or files exist but cannot be read: refused, never plain text. */
  'tlsMaterialUnreadable',
  /** A file kept changing under an edit (re-read and compared before each rename). */
  'fileChangedMeanwhile',
  ...SSH_REASONS,
  ...ENGINE_REASONS,
  ...SETUP_REASONS,
  ...SYNC_REASONS,
] as const;

export type Reason = (typeof REASONS)[number];

/** Facts the UI may put into its message (file names, line numbers, names). Never secrets. */
export type ErrorDetails = Record<string, string | number | boolean | undefined>;

export class CoreError extends Error {
  readonly reason: Reason;
  readonly details: ErrorDetails;

  constructor(reason: Reason, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreError';
    this.reason = reason;
    this.details = details;
  }

  /** `CoreError.is(e, 'timeout')` narrows and checks in one step. */
  static is(e: unknown, ...reasons: Reason[]): e is CoreError {
    return e instanceof CoreError && (reasons.length === 0 || reasons.includes(e.reason));
  }
}

export function cancelledError(): CoreError {
  return new CoreError('cancelled', 'The operation was cancelled.');
}

/** Throws the `cancelled` error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw cancelledError();
  }
}

export function isCancelled(e: unknown): boolean {
  return CoreError.is(e, 'cancelled') || (e instanceof Error && e.name === 'AbortError');
}

/** A short, single-line description of any thrown value, for logs and fallbacks. */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    return e.message;
  }
  return String(e);
}
