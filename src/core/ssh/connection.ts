/**
 * One authenticated SSH connection (ssh2) to a resolved host: our own TCP socket (so connect
 * errors map precisely and Nagle is off from the first byte), the host key checked against
 * known_hosts before anything secret is sent, then authentication in OpenSSH's order: the
 * ssh-agent, the identity files (each passphrase asked once and kept in memory only), and only
 * when asked for, password / keyboard-interactive. ProxyJump hops are chained through
 * `forwardOut`. Every attempt has a deadline (paused while a person answers a prompt) and can be
 * cancelled; whatever fails is raised as a CoreError with the host and port in its details.
 */
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import type { Duplex } from 'node:stream';
import type {
  AnyAuthMethod,
  AuthHandlerMiddleware,
  AuthenticationType,
  BaseAgent,
  Client,
  ClientChannel,
  ConnectConfig,
  IdentityCallback,
  KeyboardInteractiveCallback,
  ParsedKey,
  Prompt,
  SignCallback,
  SigningRequestOptions,
} from 'ssh2';
import { CoreError, cancelledError, describeError, type ErrorDetails } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import { createHostVerifier } from './hostVerifier';
import { keyBlobFingerprint, keyBlobType } from './keyBlob';
import { defaultIdentityFiles, loadPrivateKey, readPublicKey } from './keys';
import { loadSsh2 } from './loadSsh2';
import { PassphraseCache } from './passphraseCache';
import type { EffectiveHost } from '../sshConfig/resolveHost';

export { PassphraseCache } from './passphraseCache';

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

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_PASSWORD_ATTEMPTS = 3;
const MAX_PASSPHRASE_ATTEMPTS = 3;
/** OpenSSH has no limit but loops forever on a cycle; a chain longer than this is a mistake. */
const MAX_JUMP_DEPTH = 8;
const GREETING_CAPTURE_BYTES = 512;
const WINDOWS_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';

export async function connectSsh(options: ConnectOptions): Promise<SshConnection> {
  return connectWithDepth(options, 0);
}

async function connectWithDepth(options: ConnectOptions, depth: number): Promise<SshConnection> {
  if (options.signal?.aborted) {
    throw cancelledError();
  }
  const host = options.host;
  if (host.proxyCommand && host.proxyCommand.trim().toLowerCase() !== 'none' && !host.proxyJump) {
    // Connecting straight to HostName would bypass the path the user configured (and may reach
    // a different machine), so refuse instead of guessing.
    throw new CoreError(
      'hostUnreachable',
      `${host.alias} is reached through a ProxyCommand, which this extension does not run; use ProxyJump instead.`,
      {
        host: host.hostname,
        port: host.port,
        detail: 'proxyCommand',
      },
    );
  }
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
        proxyJump: host.proxyJump,
      },
    );
  }
  // `ProxyJump a,b` means: reach b through a, then the target through b. b's own ProxyJump is
  // replaced by the rest of the list, as OpenSSH does by running `ssh -J a b`.
  const lastSpec = hops[hops.length - 1];
  const resolved = await resolveJump(lastSpec, options);
  const jumpHost: EffectiveHost = hops.length > 1 ? { ...resolved, proxyJump: hops.slice(0, -1).join(',') } : resolved;
  const jump = await connectWithDepth(
    {
      ...options,
      host: jumpHost,
      // The explicit key list and agent switch are about the target (copy-id); hops use their config.
      identityFiles: undefined,
      useAgent: undefined,
      onStage: undefined,
      keepaliveIntervalMs: options.keepaliveIntervalMs,
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
    hostKeyAlias: undefined,
  };
}

/** Pauses while a person answers a prompt, so a slow human is never a timeout. */
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private startedAt = 0;
  private pauses = 0;
  private running = false;
  private done = false;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
  }

  get limitMs(): number {
    return this.ms;
  }

  start(): void {
    if (this.running || this.done) {
      return;
    }
    this.running = true;
    if (this.pauses === 0) {
      this.arm();
    }
  }

  pause(): () => void {
    this.pauses++;
    if (this.pauses === 1 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.remaining -= Date.now() - this.startedAt;
    }
    let resumed = false;
    return () => {
      if (resumed) {
        return;
      }
      resumed = true;
      this.pauses--;
      if (this.pauses === 0 && this.running && !this.done) {
        this.arm();
      }
    };
  }

  clear(): void {
    this.done = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(): void {
    this.startedAt = Date.now();
    this.timer = setTimeout(
      () => {
        this.done = true;
        this.onExpire();
      },
      Math.max(0, this.remaining),
    );
  }
}

interface Progress {
  tcpConnected: boolean;
  greetingBytes: Buffer;
  sawIdent: boolean;
  handshakeDone: boolean;
}

function connectOnce(options: ConnectOptions, via: SshConnection | undefined): Promise<SshConnection> {
  const host = options.host;
  const logger = options.logger ?? nullLogger;
  const where: ErrorDetails = {
    host: host.hostname,
    port: host.port,
    ...(host.alias !== host.hostname ? { alias: host.alias } : {}),
  };
  if (via) {
    where.via = via.host.alias;
  }
  const timeoutMs = options.timeoutMs ?? (host.connectTimeout ? host.connectTimeout * 1000 : DEFAULT_TIMEOUT_MS);
  const progress: Progress = {
    tcpConnected: false,
    greetingBytes: Buffer.alloc(0),
    sawIdent: false,
    handshakeDone: false,
  };
  const label = `${host.user}@${host.hostname}:${host.port}`;

  return new Promise<SshConnection>((resolve, reject) => {
    let settled = false;
    let sock: Duplex | undefined;
    let client: Client | undefined;
    let hostKeyBlob: Buffer | undefined;
    let verifier: Awaited<ReturnType<typeof createHostVerifier>> | undefined;
    let auth: Authenticator | undefined;

    const local = new AbortController();
    const cleanup = (): void => {
      deadline.clear();
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: CoreError): void => {
      if (settled) {
        return;
      }
      settled = true;
      cleanup();
      local.abort();
      try {
        client?.destroy();
      } catch {
        // already gone
      }
      sock?.destroy();
      logger.debug(`ssh ${label}: ${e.reason}: ${e.message}`);
      reject(e);
    };
    const onAbort = (): void => fail(cancelledError());
    const deadline = new Deadline(timeoutMs, () => fail(timeoutError()));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const timeoutError = (): CoreError => {
      const d = { ...where, timeoutMs };
      if (!progress.tcpConnected) {
        return new CoreError('timeout', `No TCP connection to ${host.hostname}:${host.port} within ${timeoutMs} ms.`, {
          ...d,
          stage: 'tcp',
        });
      }
      if (progress.greetingBytes.length === 0) {
        return new CoreError(
          'timeout',
          `${host.hostname}:${host.port} accepted the TCP connection but sent no SSH greeting within ${timeoutMs} ms.`,
          {
            ...d,
            stage: 'greeting',
            detail: 'no SSH greeting',
          },
        );
      }
      if (!progress.sawIdent) {
        return notSshError();
      }
      if (!progress.handshakeDone) {
        return new CoreError(
          'timeout',
          `The SSH key exchange with ${host.hostname}:${host.port} did not finish within ${timeoutMs} ms.`,
          { ...d, stage: 'hostKey' },
        );
      }
      return new CoreError(
        'timeout',
        `Authentication at ${host.hostname}:${host.port} did not finish within ${timeoutMs} ms.`,
        {
          ...d,
          stage: 'auth',
          methodsTried: auth?.tried.join(', '),
        },
      );
    };
    const notSshError = (): CoreError =>
      new CoreError('notSsh', `${host.hostname}:${host.port} is not an SSH server.`, {
        ...where,
        greeting: printable(progress.greetingBytes),
      });

    /** Classifies a failure before `ready`, using how far the connection got. */
    const mapError = (err: Error & { level?: string; code?: unknown }): CoreError => {
      const hostKeyFailure = verifier?.failure();
      if (hostKeyFailure) {
        return hostKeyFailure;
      }
      if (auth?.fatal) {
        return auth.fatal;
      }
      const message = describeError(err);
      if (err.level === 'client-socket') {
        return socketError(err, where);
      }
      if (!progress.sawIdent) {
        if (progress.greetingBytes.length > 0) {
          return notSshError();
        }
        return new CoreError(
          'connectionLost',
          `${host.hostname}:${host.port} closed the connection before sending an SSH greeting.`,
          {
            ...where,
            stage: 'greeting',
            message,
          },
        );
      }
      if (err.level === 'client-authentication' || (progress.handshakeDone && /authentication/i.test(message))) {
        return auth ? auth.failure(where) : new CoreError('authFailed', 'Authentication failed.', where);
      }
      if (/protocol version not supported|invalid identification/i.test(message)) {
        return new CoreError(
          'sshProtocolError',
          `${host.hostname}:${host.port} speaks an SSH version this client does not support.`,
          {
            ...where,
            greeting: printable(progress.greetingBytes),
            message,
          },
        );
      }
      if (!progress.handshakeDone) {
        return new CoreError(
          'sshProtocolError',
          `The SSH key exchange with ${host.hostname}:${host.port} failed: ${message}`,
          { ...where, stage: 'hostKey', message },
        );
      }
      return new CoreError(
        'connectionLost',
        `The SSH connection to ${host.hostname}:${host.port} was lost during authentication.`,
        {
          ...where,
          stage: 'auth',
          message,
        },
      );
    };

    const start = async (): Promise<void> => {
      verifier = await createHostVerifier({
        target: {
          host: host.hostname,
          port: host.port,
          hostKeyAlias: host.hostKeyAlias,
          userKnownHostsFiles: host.userKnownHostsFiles,
          globalKnownHostsFiles: host.globalKnownHostsFiles,
        },
        strict: host.strictHostKeyChecking,
        hashKnownHosts: host.hashKnownHosts,
        confirmUnknownKey: options.prompts?.confirmHostKey
          ? async (req) => {
              const resume = deadline.pause();
              try {
                const yes = await (options.prompts?.confirmHostKey?.(req) ?? Promise.resolve(false));
                // An answer that arrives after a cancel or timeout must not write known_hosts.
                return yes && !settled;
              } finally {
                resume();
              }
            }
          : undefined,
        logger,
      });
      if (settled) {
        return;
      }
      auth = new Authenticator(options, deadline, logger);
      deadline.start();
      sock = via ? await openForward(via, host, where) : await openTcp(host, where, local.signal);
      if (settled) {
        sock.destroy();
        return;
      }
      progress.tcpConnected = true;
      options.onStage?.('tcp');
      startSsh(sock);
    };

    const startSsh = (s: Duplex): void => {
      const c = new (loadSsh2().Client)();
      client = c;
      const v = verifier;
      if (!v || !auth) {
        return;
      }
      const keepaliveInterval =
        options.keepaliveIntervalMs ?? (host.serverAliveInterval ? host.serverAliveInterval * 1000 : 0);
      const keepaliveCountMax = options.keepaliveCountMax ?? host.serverAliveCountMax ?? 3;
      const config: ConnectConfig = {
        sock: s,
        username: host.user,
        // Our own deadline (which pauses during prompts) replaces ssh2's readyTimeout.
        readyTimeout: 0,
        keepaliveInterval,
        keepaliveCountMax,
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          hostKeyBlob = Buffer.from(key);
          v.verifier(key, verify);
        },
        authHandler: auth.handler,
      };
      if (v.algorithms && v.algorithms.length > 0) {
        config.algorithms = {
          serverHostKey: v.algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'],
        };
      }
      c.on('handshake', () => {
        progress.handshakeDone = true;
        options.onStage?.('hostKey');
      });
      c.on('error', (err: Error & { level?: string }) => {
        if (err.level === 'agent') {
          // One agent (or key file) could not sign; ssh2 goes on with the next key.
          logger.debug(`ssh ${label}: ${describeError(err)}`);
          return;
        }
        if (!settled) {
          fail(mapError(err));
        }
      });
      c.on('close', () => {
        if (!settled) {
          fail(mapError(new Error('Connection closed')));
        }
      });
      c.on('ready', () => {
        if (settled) {
          c.end();
          return;
        }
        settled = true;
        cleanup();
        auth?.markSucceeded();
        options.onStage?.('auth');
        resolve(makeConnection(c, host, auth as Authenticator, v, hostKeyBlob, via, logger));
      });
      try {
        c.connect(config);
      } catch (e) {
        // ssh2 validates some options synchronously (e.g. a malformed algorithm list).
        fail(
          new CoreError(
            'internal',
            `Cannot start the SSH connection: ${describeError(e)}`,
            { ...where, message: describeError(e) },
            { cause: e },
          ),
        );
        return;
      }
      // ssh2 paused the stream; this listener sees the same bytes once ssh2 resumes it.
      const capture = (d: Buffer): void => {
        if (progress.greetingBytes.length < GREETING_CAPTURE_BYTES) {
          progress.greetingBytes = Buffer.concat([progress.greetingBytes, d]).subarray(0, GREETING_CAPTURE_BYTES);
          if (!progress.sawIdent && hasIdentLine(progress.greetingBytes)) {
            progress.sawIdent = true;
            options.onStage?.('greeting');
          }
        }
        if (progress.sawIdent || progress.greetingBytes.length >= GREETING_CAPTURE_BYTES) {
          s.removeListener('data', capture);
        }
      };
      s.on('data', capture);
    };

    start().catch((e: unknown) => {
      fail(e instanceof CoreError ? e : new CoreError('internal', describeError(e), { ...where }, { cause: e }));
    });
  });
}

function makeConnection(
  client: Client,
  host: EffectiveHost,
  auth: Authenticator,
  verifier: Awaited<ReturnType<typeof createHostVerifier>>,
  hostKeyBlob: Buffer | undefined,
  via: SshConnection | undefined,
  logger: Logger,
): SshConnection {
  let closing = false;
  let died: CoreError | undefined;
  const where = { host: host.hostname, port: host.port };
  let resolveClosed: (e: CoreError | undefined) => void = () => undefined;
  const closed = new Promise<CoreError | undefined>((r) => (resolveClosed = r));
  client.on('error', (err: Error & { level?: string }) => {
    if (err.level === 'agent' || closing) {
      return;
    }
    died ??=
      err.level === 'client-timeout'
        ? new CoreError('timeout', `${host.hostname}:${host.port} stopped answering keepalives.`, {
            ...where,
            detail: 'keepalive',
          })
        : new CoreError('connectionLost', `The SSH connection to ${host.hostname}:${host.port} was lost.`, {
            ...where,
            message: describeError(err),
          });
  });
  client.on('close', () => {
    via?.close();
    if (!closing && !died) {
      died = new CoreError(
        'connectionLost',
        `The SSH connection to ${host.hostname}:${host.port} was closed by the other side.`,
        where,
      );
    }
    logger.debug(`ssh ${host.user}@${host.hostname}:${host.port}: closed${died ? ` (${died.reason})` : ''}`);
    resolveClosed(closing ? undefined : died);
  });
  const blob = hostKeyBlob ?? Buffer.alloc(0);
  const outcome = verifier.outcome();
  return {
    client,
    host,
    authMethod: auth.succeeded?.method ?? 'none',
    ...(auth.succeeded?.file ? { identityFile: auth.succeeded.file } : {}),
    hostKey: {
      type: keyBlobType(blob) ?? 'unknown',
      fingerprint: keyBlobFingerprint(blob),
      outcome: outcome === 'added' ? 'added' : 'trusted',
    },
    jumpHosts: via ? [...via.jumpHosts, via.host.alias] : [],
    closed,
    close(): void {
      if (closing) {
        return;
      }
      closing = true;
      try {
        client.end();
      } catch {
        // already closed
      }
      // A server that never acknowledges the disconnect must not keep the socket open.
      const t = setTimeout(() => client.destroy(), 2000);
      t.unref();
      void closed.then(() => clearTimeout(t));
      via?.close();
    },
  };
}

function openTcp(host: EffectiveHost, where: ErrorDetails, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(cancelledError());
      return;
    }
    const s = net.connect({ host: host.hostname, port: host.port, noDelay: true });
    // Nagle on this socket meets the server's delayed ACK: ~40 ms per reply (reference §8).
    s.setNoDelay(true);
    const onAbort = (): void => {
      s.destroy();
      reject(cancelledError());
    };
    const onError = (e: Error): void => {
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      reject(socketError(e, where));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    s.once('error', onError);
    s.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      s.removeListener('error', onError);
      resolve(s);
    });
  });
}

function openForward(via: SshConnection, host: EffectiveHost, where: ErrorDetails): Promise<ClientChannel> {
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
  if (/refused/i.test(message)) {
    return new CoreError(
      'connectionRefused',
      `${where.host}:${where.port} refused the connection from the jump host ${via.host.alias}.`,
      d,
    );
  }
  if (/name or service|not known|resolve|getaddrinfo|nodename/i.test(message)) {
    return new CoreError('dnsFailed', `The jump host ${via.host.alias} cannot resolve ${where.host}.`, d);
  }
  if (err.reason === 1 || /prohibited/i.test(message)) {
    return new CoreError(
      'hostUnreachable',
      `The jump host ${via.host.alias} does not allow forwarding to ${where.host}:${where.port}.`,
      {
        ...d,
        detail: 'forwarding prohibited',
      },
    );
  }
  return new CoreError(
    'hostUnreachable',
    `The jump host ${via.host.alias} could not reach ${where.host}:${where.port}.`,
    d,
  );
}

/** Maps a socket error code to the reason a person can act on. */
export function socketError(e: unknown, where: ErrorDetails): CoreError {
  const code = socketErrorCode(e);
  const message = describeError(e);
  const d = { ...where, code, message };
  const target = `${where.host}:${where.port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new CoreError('connectionRefused', `${target} refused the connection (nothing listens on that port).`, d, {
        cause: e,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
      return new CoreError('dnsFailed', `The host name ${where.host} cannot be resolved.`, d, { cause: e });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
    case 'EADDRNOTAVAIL':
      return new CoreError('hostUnreachable', `${target} is unreachable.`, d, { cause: e });
    case 'ETIMEDOUT':
      return new CoreError(
        'timeout',
        `The TCP connection to ${target} timed out.`,
        { ...d, stage: 'tcp' },
        { cause: e },
      );
    default:
      return new CoreError('connectionLost', `The connection to ${target} failed: ${message}`, d, { cause: e });
  }
}

function socketErrorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[] };
  if (typeof err?.code === 'string') {
    return err.code;
  }
  // Node's happy-eyeballs connect reports an AggregateError of the per-address failures.
  if (Array.isArray(err?.errors)) {
    for (const inner of err.errors) {
      const c = (inner as { code?: unknown }).code;
      if (typeof c === 'string') {
        return c;
      }
    }
  }
  return undefined;
}

function hasIdentLine(data: Buffer): boolean {
  const text = data.toString('latin1');
  return /(^|\n)SSH-[^\r\n]*\r?\n/.test(text);
}

function printable(data: Buffer): string {
  return data
    .toString('latin1')
    .split(/\r?\n/)[0]
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 80);
}

// ---------------------------------------------------------------------------------------------
// Authentication

type Candidate = { kind: 'agent'; path: string } | { kind: 'file'; path: string } | { kind: 'password' };

/** Raised inside a key's signer when the person skipped it; ssh2 then moves to the next key. */
class KeySkipped extends Error {}

/**
 * Drives ssh2's `authHandler` function form: it asks for the next method only when the previous
 * one failed, so passphrases and passwords are requested lazily, in OpenSSH's order, and only
 * for methods the server still accepts.
 */
class Authenticator {
  readonly tried: string[] = [];
  succeeded: { method: AuthMethod; file?: string } | undefined;
  /** A failure that must win over a plain authFailed (cancel, passphrase wrong three times). */
  fatal: CoreError | undefined;
  private passphraseFailure: CoreError | undefined;
  private current: { method: AuthMethod; file?: string } | undefined;
  private serverMethods: string[] | undefined;
  private candidates: Candidate[] | undefined;
  private index = 0;
  private passwordAttempts = 0;
  private readonly offered = new Set<string>();
  private readonly unlocked = new Map<string, ParsedKey>();
  private readonly passphrases: PassphraseCache;
  private readonly host: EffectiveHost;
  private readonly user: string;

  constructor(
    private readonly options: ConnectOptions,
    private readonly deadline: Deadline,
    private readonly logger: Logger,
  ) {
    this.host = options.host;
    this.user = options.host.user;
    this.passphrases = options.passphrases ?? new PassphraseCache();
  }

  readonly handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    if (this.current) {
      this.logger.debug(
        `ssh ${this.label()}: ${this.current.method}${this.current.file ? ` ${this.current.file}` : ''} not accepted`,
      );
    }
    if (methodsLeft === null || methodsLeft === undefined) {
      // OpenSSH starts with "none" too: the answer lists the methods the server accepts.
      this.current = { method: 'none' };
      next({ type: 'none', username: this.user });
      return;
    }
    this.serverMethods = methodsLeft;
    this.pick().then(
      (m) => {
        if (!m) {
          this.current = undefined;
        }
        next(m ?? (false as unknown as AuthenticationType)); // ssh2 takes `false` for "no more methods"; its types omit it
      },
      (e: unknown) => {
        this.fatal = e instanceof CoreError ? e : new CoreError('internal', describeError(e));
        this.current = undefined;
        next(false as unknown as AuthenticationType);
      },
    );
  };

  /** ssh2 asks for a next method only after a failure, so on `ready` the last one tried worked. */
  markSucceeded(): void {
    this.succeeded = this.current ?? { method: 'none' };
  }

  failure(where: ErrorDetails): CoreError {
    if (this.fatal) {
      return this.fatal;
    }
    if (this.passphraseFailure) {
      return this.passphraseFailure;
    }
    return new CoreError('authFailed', `${this.label()} did not accept any of the authentication methods tried.`, {
      ...where,
      user: this.user,
      methodsTried: this.tried.join(', ') || 'none',
      serverMethods: (this.serverMethods ?? []).join(','),
    });
  }

  private label(): string {
    return `${this.user}@${this.host.hostname}:${this.host.port}`;
  }

  private allows(method: string): boolean {
    return this.serverMethods === undefined || this.serverMethods.includes(method);
  }

  private async buildCandidates(): Promise<Candidate[]> {
    const out: Candidate[] = [];
    const env = this.options.env ?? process.env;
    const explicit = this.options.identityFiles;
    if (this.options.useAgent !== false) {
      const agent = agentPath(this.host.identityAgent, env);
      if (agent) {
        out.push({ kind: 'agent', path: agent });
      }
    }
    let files: string[];
    if (explicit) {
      files = explicit;
    } else if (this.host.identityFiles.length > 0) {
      files = this.host.identityFiles;
    } else if (!this.host.identitiesOnly) {
      files = defaultIdentityFiles(this.options.home ?? env.HOME ?? os.homedir());
    } else {
      files = [];
    }
    for (const f of dedupe(files)) {
      out.push({ kind: 'file', path: f });
    }
    if (this.options.allowPassword) {
      out.push({ kind: 'password' });
    }
    return out;
  }

  private identitiesOnly(): boolean {
    return this.options.identityFiles !== undefined || this.host.identitiesOnly;
  }

  private async pick(): Promise<AnyAuthMethod | undefined> {
    this.candidates ??= await this.buildCandidates();
    while (this.index < this.candidates.length) {
      const c = this.candidates[this.index];
      if (c.kind === 'password') {
        const m = await this.nextPassword();
        if (m) {
          return m;
        }
        this.index++;
        continue;
      }
      this.index++;
      if (!this.allows('publickey')) {
        continue;
      }
      if (c.kind === 'agent') {
        const agent = await this.systemAgent(c.path);
        if (agent) {
          this.current = { method: 'agent' };
          this.tried.push('publickey (ssh-agent)');
          this.logger.debug(`ssh ${this.label()}: trying the ssh-agent`);
          return { type: 'agent', username: this.user, agent };
        }
        continue;
      }
      const agent = await this.fileAgent(c.path);
      if (agent) {
        this.current = { method: 'publickey', file: c.path };
        this.tried.push(`publickey (${c.path})`);
        this.logger.debug(`ssh ${this.label()}: trying key ${c.path}`);
        return { type: 'agent', username: this.user, agent };
      }
    }
    return undefined;
  }

  private async nextPassword(): Promise<AnyAuthMethod | undefined> {
    const usePassword = this.allows('password');
    const useKeyboard = this.allows('keyboard-interactive');
    if ((!usePassword && !useKeyboard) || this.passwordAttempts >= MAX_PASSWORD_ATTEMPTS) {
      return undefined;
    }
    const ask = this.options.prompts?.password;
    if (!ask) {
      return undefined;
    }
    this.passwordAttempts++;
    const attempt = this.passwordAttempts;
    const resume = this.deadline.pause();
    let password: string | undefined;
    try {
      password = await ask({ user: this.user, host: this.host.hostname, port: this.host.port, attempt });
    } finally {
      resume();
    }
    if (password === undefined) {
      throw cancelledError();
    }
    if (usePassword) {
      this.current = { method: 'password' };
      this.tried.push('password');
      return { type: 'password', username: this.user, password };
    }
    this.current = { method: 'keyboard-interactive' };
    this.tried.push('keyboard-interactive');
    let rounds = 0;
    const secret = password;
    return {
      type: 'keyboard-interactive',
      username: this.user,
      prompt: (
        _name: string,
        _instructions: string,
        _lang: string,
        prompts: Prompt[],
        finish: KeyboardInteractiveCallback,
      ) => {
        rounds++;
        // One round: the password answers every hidden prompt. A second round (a one-time
        // code, a changed-password dialog) is answered empty so it fails instead of looping.
        finish(prompts.map((p) => (rounds === 1 && !p.echo ? secret : '')));
      },
    };
  }

  private async systemAgent(socketPath: string): Promise<BaseAgent | undefined> {
    let inner: BaseAgent;
    try {
      inner = loadSsh2().createAgent(socketPath);
    } catch (e) {
      this.logger.debug(`ssh ${this.label()}: ssh-agent ${socketPath} unusable: ${describeError(e)}`);
      return undefined;
    }
    let allowed: Set<string> | undefined;
    if (this.identitiesOnly()) {
      // IdentitiesOnly: the agent may sign only for the configured identities (OpenSSH does the same).
      allowed = new Set<string>();
      for (const f of this.fileList()) {
        const blob = await publicBlobOf(f);
        if (blob) {
          allowed.add(blob.toString('base64'));
        }
      }
      if (allowed.size === 0) {
        return undefined;
      }
    }
    return new (agentClasses().FilteringAgent)(inner, allowed, this.offered);
  }

  private fileList(): string[] {
    return (this.candidates ?? [])
      .filter((c): c is { kind: 'file'; path: string } => c.kind === 'file')
      .map((c) => c.path);
  }

  private async fileAgent(file: string): Promise<BaseAgent | undefined> {
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) {
        return undefined;
      }
    } catch {
      return undefined; // OpenSSH skips identity files that do not exist
    }
    let publicLine: string;
    try {
      publicLine = await readPublicKey(file);
    } catch (e) {
      if (CoreError.is(e, 'keyPassphraseRequired')) {
        // A legacy encrypted PEM key without its .pub: only the passphrase reveals the public half.
        try {
          const key = await this.unlock(file);
          publicLine = `${key.type} ${key.getPublicSSH().toString('base64')}`;
        } catch (inner) {
          if (inner instanceof KeySkipped) {
            return undefined;
          }
          throw inner;
        }
      } else {
        this.logger.warn(`ssh ${this.label()}: skipping ${file}: ${describeError(e)}`);
        return undefined;
      }
    }
    const parsed = loadSsh2().utils.parseKey(publicLine);
    if (parsed instanceof Error || Array.isArray(parsed)) {
      this.logger.warn(`ssh ${this.label()}: skipping ${file}: unreadable public key`);
      return undefined;
    }
    const blob = parsed.getPublicSSH().toString('base64');
    if (this.offered.has(blob)) {
      return undefined; // the ssh-agent already offered this key and the server refused it
    }
    this.offered.add(blob);
    return new (agentClasses().KeyFileAgent)(publicLine, () => this.unlock(file));
  }

  /**
   * The private key, decrypted with the cached passphrase or one the person types (up to three
   * tries). A skipped key raises KeySkipped; three wrong passphrases are remembered so the final
   * error says so instead of a bare authFailed.
   */
  private async unlock(file: string): Promise<ParsedKey> {
    const done = this.unlocked.get(file);
    if (done) {
      return done; // ssh2 may sign twice (rsa-sha2-512, then -256)
    }
    const key = await this.unlockFresh(file);
    this.unlocked.set(file, key);
    return key;
  }

  private async unlockFresh(file: string): Promise<ParsedKey> {
    const cached = this.passphrases.get(file);
    try {
      return await openPrivateKey(file, cached);
    } catch (e) {
      if (CoreError.is(e, 'keyPassphraseWrong') && cached !== undefined) {
        this.passphrases.delete(file); // the key was re-encrypted since
      } else if (!CoreError.is(e, 'keyPassphraseRequired', 'keyPassphraseWrong')) {
        this.logger.warn(`ssh ${this.label()}: skipping ${file}: ${describeError(e)}`);
        throw new KeySkipped();
      }
    }
    const ask = this.options.prompts?.passphrase;
    if (!ask || this.passphrases.isDeclined(file)) {
      throw new KeySkipped();
    }
    for (let attempt = 1; attempt <= MAX_PASSPHRASE_ATTEMPTS; attempt++) {
      const resume = this.deadline.pause();
      let passphrase: string | undefined;
      try {
        passphrase = await ask({ keyPath: file, attempt });
      } finally {
        resume();
      }
      if (passphrase === undefined) {
        this.passphrases.decline(file);
        throw new KeySkipped();
      }
      try {
        const key = await openPrivateKey(file, passphrase);
        this.passphrases.set(file, passphrase);
        return key;
      } catch (e) {
        if (!CoreError.is(e, 'keyPassphraseWrong')) {
          throw new KeySkipped();
        }
        this.logger.info(`ssh ${this.label()}: wrong passphrase for ${file} (attempt ${attempt})`);
      }
    }
    this.passphraseFailure = new CoreError(
      'keyPassphraseWrong',
      `The passphrase for ${file} was wrong ${MAX_PASSPHRASE_ATTEMPTS} times.`,
      {
        file,
        host: this.host.hostname,
        port: this.host.port,
      },
    );
    throw new KeySkipped();
  }
}

const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * The parsed private key. Decrypting costs a bcrypt KDF run (slow in pure JS), so the key is
 * parsed once here; only a failure goes through the key module again, for its precise reason.
 */
async function openPrivateKey(file: string, passphrase: string | undefined): Promise<ParsedKey> {
  try {
    const st = await fs.stat(file);
    if (st.isFile() && st.size <= MAX_KEY_FILE_BYTES) {
      const data = await fs.readFile(file);
      let parsed: ParsedKey | ParsedKey[] | Error;
      try {
        parsed = loadSsh2().utils.parseKey(data, passphrase);
      } catch (e) {
        parsed = e instanceof Error ? e : new Error(String(e));
      }
      if (!(parsed instanceof Error) && !Array.isArray(parsed) && parsed.isPrivateKey()) {
        return parsed;
      }
      if (passphrase !== undefined && isEncryptedKey(data)) {
        // Classifying through the key module would run the slow KDF a second time.
        throw new CoreError('keyPassphraseWrong', `The passphrase for ${file} is wrong.`, { file });
      }
    }
  } catch (e) {
    if (CoreError.is(e, 'keyPassphraseWrong')) {
      throw e;
    }
    // otherwise loadPrivateKey names the problem
  }
  await loadPrivateKey(file, passphrase);
  throw new CoreError('keyInvalid', `${file} cannot be used as a private key.`, { file });
}

function isEncryptedKey(data: Buffer): boolean {
  try {
    const probe = loadSsh2().utils.parseKey(data);
    return probe instanceof Error && /no passphrase given/i.test(probe.message);
  } catch {
    return false;
  }
}

async function publicBlobOf(file: string): Promise<Buffer | undefined> {
  try {
    const line = await readPublicKey(file);
    const parsed = loadSsh2().utils.parseKey(line);
    return parsed instanceof Error || Array.isArray(parsed) ? undefined : parsed.getPublicSSH();
  } catch {
    return undefined;
  }
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/**
 * Which agent to ask: `IdentityAgent` (`none` disables it, `SSH_AUTH_SOCK` or `$VAR` name an
 * environment variable), else SSH_AUTH_SOCK, else on Windows the OpenSSH agent's named pipe.
 */
export function agentPath(
  identityAgent: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (identityAgent !== undefined && identityAgent !== '') {
    if (identityAgent.toLowerCase() === 'none') {
      return undefined;
    }
    if (identityAgent === 'SSH_AUTH_SOCK') {
      return env.SSH_AUTH_SOCK || undefined;
    }
    if (identityAgent.startsWith('$')) {
      return env[identityAgent.slice(1).replace(/^\{|\}$/g, '')] || undefined;
    }
    return identityAgent;
  }
  if (env.SSH_AUTH_SOCK) {
    return env.SSH_AUTH_SOCK;
  }
  return platform === 'win32' ? WINDOWS_AGENT_PIPE : undefined;
}

interface AgentClasses {
  FilteringAgent: new (inner: BaseAgent, allowed: Set<string> | undefined, offered: Set<string>) => BaseAgent;
  KeyFileAgent: new (publicLine: string, unlock: () => Promise<ParsedKey>) => BaseAgent;
}

let agentClassesCache: AgentClasses | undefined;

/**
 * ssh2 accepts only instances of its own BaseAgent, so these subclasses are defined when ssh2 is
 * first loaded (see loadSsh2), once.
 */
function agentClasses(): AgentClasses {
  if (agentClassesCache) {
    return agentClassesCache;
  }
  const ssh2 = loadSsh2();
  /** The real agent, limited to allowed keys and recording what it offered (to skip duplicate files). */
  class FilteringAgent extends ssh2.BaseAgent {
    constructor(
      private readonly inner: BaseAgent,
      private readonly allowed: Set<string> | undefined,
      private readonly offered: Set<string>,
    ) {
      super();
    }

    getIdentities(cb: IdentityCallback): void {
      this.inner.getIdentities((err, keys) => {
        if (err || !keys) {
          cb(err ?? new Error('The ssh-agent returned no keys'));
          return;
        }
        const out: (string | Buffer | ParsedKey)[] = [];
        for (const k of keys) {
          // OpenSSHAgent yields parsed keys; the entry form with options is for agent servers.
          if (typeof k !== 'string' && !Buffer.isBuffer(k) && !('getPublicSSH' in k)) {
            continue;
          }
          const parsed = ssh2.utils.parseKey(k);
          if (parsed instanceof Error || Array.isArray(parsed)) {
            continue;
          }
          const blob = parsed.getPublicSSH().toString('base64');
          if (this.allowed && !this.allowed.has(blob)) {
            continue;
          }
          this.offered.add(blob);
          out.push(k);
        }
        cb(undefined, out);
      });
    }

    sign(
      pubKey: string | Buffer | ParsedKey,
      data: Buffer,
      options: SigningRequestOptions | SignCallback,
      cb?: SignCallback,
    ): void {
      if (typeof options === 'function') {
        this.inner.sign(pubKey, data, options);
      } else {
        this.inner.sign(pubKey, data, options, cb);
      }
    }
  }

  /**
   * An identity file presented through ssh2's agent interface: the server is first asked whether
   * it accepts the public key, and only then is the private key decrypted (asking for the
   * passphrase if needed), as OpenSSH does. ssh2's plain publickey method would need the
   * passphrase before knowing whether the key is of any use.
   */
  class KeyFileAgent extends ssh2.BaseAgent {
    constructor(
      private readonly publicLine: string,
      private readonly unlock: () => Promise<ParsedKey>,
    ) {
      super();
    }

    getIdentities(cb: IdentityCallback): void {
      cb(undefined, [this.publicLine]);
    }

    sign(
      _pubKey: string | Buffer | ParsedKey,
      data: Buffer,
      options: SigningRequestOptions | SignCallback,
      cb?: SignCallback,
    ): void {
      const done = typeof options === 'function' ? options : cb;
      const hash = typeof options === 'function' ? undefined : options?.hash;
      if (!done) {
        return;
      }
      this.unlock().then(
        (key) => {
          const sig = key.sign(data, hash) as Buffer | Error;
          if (sig instanceof Error) {
            done(sig);
          } else {
            done(undefined, sig);
          }
        },
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
      );
    }
  }

  agentClassesCache = { FilteringAgent, KeyFileAgent };
  return agentClassesCache;
}
