/** The shapes a connection attempt takes and returns, shared by its parts and its callers. */
import type { Client } from 'ssh2';
import type { CoreError } from '../common/errors';
import type { Logger } from '../common/log';
import type { EffectiveHost } from '../sshConfig/resolveHost';
import type { PassphraseCache } from './passphraseCache';

export interface HostKeyRequest {
  host: string;
  port: number;
  name: string;
  keyType: string;
  fingerprint: string;
}

export interface SshPrompts {
  /** Unknown host key in 'ask' mode: show the fingerprint, resolve true to trust. */
  confirmHostKey?(req: HostKeyRequest): Promise<boolean>;
  /** Passphrase for an encrypted key; undefined = skip this key. Asked at most once per key per cache. */
  passphrase?(req: { keyPath: string; attempt: number }): Promise<string | undefined>;
  /** Password for user@host (only when allowPassword); undefined = cancel. */
  password?(req: {
    user: string;
    host: string;
    port: number;
    attempt: number;
    prompt?: string;
  }): Promise<string | undefined>;
}

/** How far a connection attempt got; diagnose turns these into separate steps. */
export type ConnectStage = 'tcp' | 'greeting' | 'hostKey' | 'auth';

export interface ConnectOptions {
  host: EffectiveHost;
  /** SSH_AUTH_SOCK etc. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Home for the default key names when the host configures none. Default: env.HOME, else os.homedir(). */
  home?: string;
  prompts?: SshPrompts;
  /** In-memory only, keyed by key path; never persisted or logged. */
  passphrases?: PassphraseCache;
  /** Explicit key list overriding host.identityFiles, with IdentitiesOnly semantics (copy-id's key-only attempt). */
  identityFiles?: string[];
  /** Default true; false leaves the ssh-agent out. */
  useAgent?: boolean;
  /** Password + keyboard-interactive (only for the one-time key install). */
  allowPassword?: boolean;
  /** TCP connect + handshake + auth, per hop (default: host.connectTimeout*1000 or 15000). Paused while a prompt waits for a person. */
  timeoutMs?: number;
  /** Default: host.serverAliveInterval*1000; 0 = off. */
  keepaliveIntervalMs?: number;
  /** Default: host.serverAliveCountMax, else 3. */
  keepaliveCountMax?: number;
  /** ProxyJump hops (user@host:port or an alias). Without it a hop is read as [user@]host[:port] with the target's trust settings. */
  resolveJumpHost?: (spec: string) => Promise<EffectiveHost>;
  signal?: AbortSignal;
  logger?: Logger;
  /** Reports each stage the final hop passes (not the jump hosts'); used by diagnose. */
  onStage?: (stage: ConnectStage) => void;
}

export type AuthMethod = 'none' | 'agent' | 'publickey' | 'password' | 'keyboard-interactive';

export interface SshConnection {
  client: Client;
  host: EffectiveHost;
  authMethod: AuthMethod;
  /** For publickey: the identity file that logged in. */
  identityFile?: string;
  hostKey: { type: string; fingerprint: string; outcome: 'trusted' | 'added' };
  /** Aliases or specs of the jump hosts this connection travels through, nearest first. */
  jumpHosts: string[];
  /** Resolves when the connection is closed for any reason; carries the CoreError if it died (connectionLost, timeout from keepalive). */
  closed: Promise<CoreError | undefined>;
  /** Closes the client and the jump hops. */
  close(): void;
}
