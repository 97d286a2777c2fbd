import { aliasFromArg } from '../sshHosts/sshHostNodes';

/**
 * Values that prefill (and so skip) steps, for scripted use and tests: `executeCommand(
 * 'remoteDocker.connectToRemoteHost', { destination: 'ubuntu@192.0.2.10:2222', alias: 'build' })`.
 * The password, passphrases and the host-key question are always asked.
 */
export interface ConnectArgs {
  /** `user@host[:port]` or a pasted `ssh -p 2222 user@host`. */
  destination?: string;
  alias?: string;
  /** An existing private key to install, or where to generate a new one. */
  keyPath?: string;
  contextName?: string;
  description?: string;
  /** true: switch without asking; false: do not switch; absent: ask. */
  useNow?: boolean;
}

/** The command's argument: a row of the SSH Hosts view (its alias), prefilled values, or nothing. */
export function asConnectArgs(arg: unknown): ConnectArgs {
  if (typeof arg !== 'object' || arg === null) {
    return {};
  }
  const fromNode = aliasFromArg(arg);
  if ((arg as { kind?: unknown }).kind !== undefined) {
    return fromNode ? { alias: fromNode } : {};
  }
  const a = arg as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  return {
    destination: str(a.destination),
    alias: str(a.alias),
    keyPath: str(a.keyPath),
    contextName: str(a.contextName),
    description: typeof a.description === 'string' ? a.description : undefined,
    useNow: typeof a.useNow === 'boolean' ? a.useNow : undefined,
  };
}
