/**
 * One hop's connection attempt: our own TCP socket (or a channel through the previous hop), the
 * host key checked before anything secret is sent, then the authenticator. It settles exactly
 * once: with the connection, or with the CoreError that says how far it got. The deadline pauses
 * while a person answers a prompt; cancelling the signal ends it at once.
 */
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig } from 'ssh2';
import { CoreError, cancelledError, describeError, type ErrorDetails } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import type { EffectiveHost } from '../sshConfig/resolveHost';
import { ssh2Algorithms } from './algorithms';
import { AttemptProgress, attemptError, attemptTimeoutError } from './attemptErrors';
import { Authenticator } from './authenticator';
import type { ConnectOptions, SshConnection } from './connectTypes';
import { Deadline } from './deadline';
import { createHostVerifier } from './hostVerifier';
import { loadSsh2 } from './loadSsh2';
import { openedConnection } from './openedConnection';
import { proxyCommandOf, startProxyCommand, type ProxyCommandStream } from './proxyCommand';
import { openForward } from './proxyJump';
import { openTcp } from './socketErrors';

const DEFAULT_TIMEOUT_MS = 15_000;

type HostVerifier = Awaited<ReturnType<typeof createHostVerifier>>;

/** Connects to `options.host`: directly, through `via` (the previous ProxyJump hop), or over its ProxyCommand. */
export function connectOnce(options: ConnectOptions, via: SshConnection | undefined): Promise<SshConnection> {
  return new Promise<SshConnection>((resolve, reject) => {
    new ConnectAttempt(options, via, resolve, reject).run();
  });
}

class ConnectAttempt {
  private readonly host: EffectiveHost;
  private readonly logger: Logger;
  private readonly where: ErrorDetails;
  private readonly timeoutMs: number;
  private readonly label: string;
  private readonly progress = new AttemptProgress();
  private readonly local = new AbortController();
  private readonly deadline: Deadline;
  private settled = false;
  private sock: Duplex | undefined;
  private proxy: ProxyCommandStream | undefined;
  private client: Client | undefined;
  private hostKeyBlob: Buffer | undefined;
  private verifier: HostVerifier | undefined;
  private auth: Authenticator | undefined;

  constructor(
    private readonly options: ConnectOptions,
    private readonly via: SshConnection | undefined,
    private readonly resolve: (c: SshConnection) => void,
    private readonly reject: (e: CoreError) => void,
  ) {
    const host = options.host;
    this.host = host;
    this.logger = options.logger ?? nullLogger;
    this.where = {
      host: host.hostname,
      port: host.port,
      ...(host.alias !== host.hostname ? { alias: host.alias } : {}),
      ...(via ? { via: via.host.alias } : {}),
    };
    this.timeoutMs = options.timeoutMs ?? (host.connectTimeout ? host.connectTimeout * 1000 : DEFAULT_TIMEOUT_MS);
    this.label = `${host.user}@${host.hostname}:${host.port}`;
    this.deadline = new Deadline(this.timeoutMs, () =>
      this.fail(attemptTimeoutError(this.progress, this.where, this.timeoutMs, this.auth, this.knownHostsFiles())),
    );
  }

  private knownHostsFiles(): string {
    return [...this.host.userKnownHostsFiles, ...this.host.globalKnownHostsFiles].join(' ');
  }

  run(): void {
    this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.start().catch((e: unknown) => {
      this.fail(
        e instanceof CoreError ? e : new CoreError('internal', describeError(e), { ...this.where }, { cause: e }),
      );
    });
  }

  private readonly onAbort = (): void => this.fail(cancelledError());

  private cleanup(): void {
    this.deadline.clear();
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  private fail(failure: CoreError): void {
    if (this.settled) {
      return;
    }
    // A command that ended first says why (its exit status and stderr), not "connection closed".
    const e = this.proxy ? this.proxy.explain(failure) : failure;
    this.settled = true;
    this.cleanup();
    this.local.abort();
    try {
      this.client?.destroy();
    } catch {
      // already gone
    }
    this.sock?.destroy();
    this.logger.debug(`ssh ${this.label}: ${e.reason}: ${e.message}`);
    this.reject(e);
  }

  private async start(): Promise<void> {
    const host = this.host;
    const prompts = this.options.prompts;
    // The deadline covers reading known_hosts too: a file on a network file system that stopped
    // answering must end the attempt with a reason, not hang it before it starts.
    this.deadline.start();
    this.verifier = await createHostVerifier({
      target: {
        host: host.hostname,
        port: host.port,
        hostKeyAlias: host.hostKeyAlias,
        userKnownHostsFiles: host.userKnownHostsFiles,
        globalKnownHostsFiles: host.globalKnownHostsFiles,
      },
      strict: host.strictHostKeyChecking,
      hashKnownHosts: host.hashKnownHosts,
      confirmUnknownKey: prompts?.confirmHostKey
        ? async (req) => {
            const resume = this.deadline.pause();
            try {
              const yes = await (prompts.confirmHostKey?.(req) ?? false);
              // An answer that arrives after a cancel or timeout must not write known_hosts.
              return yes && !this.settled;
            } finally {
              resume();
            }
          }
        : undefined,
      logger: this.logger,
    });
    this.progress.knownHostsRead = true;
    if (this.settled) {
      return;
    }
    this.auth = new Authenticator(this.options, this.deadline, this.logger);
    const sock = await this.openSocket();
    if (this.settled) {
      sock.destroy();
      return;
    }
    this.sock = sock;
    this.progress.tcpConnected = true;
    this.options.onStage?.('tcp');
    this.startSsh(sock, this.verifier, this.auth);
  }

  /** The byte stream the SSH connection runs on: a jump host's channel, the ProxyCommand, or TCP. */
  private async openSocket(): Promise<Duplex> {
    const host = this.host;
    if (this.via) {
      return openForward(this.via, host, this.where);
    }
    const command = proxyCommandOf(host);
    if (command !== undefined) {
      this.proxy = startProxyCommand(host, command, {
        env: this.options.env ?? process.env,
        logger: this.logger,
        where: this.where,
      });
      return this.proxy;
    }
    return openTcp(host, this.where, this.local.signal);
  }

  private sshConfig(s: Duplex, v: HostVerifier, auth: Authenticator): ConnectConfig {
    const host = this.host;
    const config: ConnectConfig = {
      sock: s,
      username: host.user,
      // Our own deadline (which pauses during prompts) replaces ssh2's readyTimeout.
      readyTimeout: 0,
      keepaliveInterval:
        this.options.keepaliveIntervalMs ?? (host.serverAliveInterval ? host.serverAliveInterval * 1000 : 0),
      keepaliveCountMax: this.options.keepaliveCountMax ?? host.serverAliveCountMax ?? 3,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        this.hostKeyBlob = Buffer.from(key);
        v.verifier(key, verify);
      },
      authHandler: auth.handler,
    };
    config.algorithms = ssh2Algorithms(host, v.algorithms);
    return config;
  }

  private startSsh(s: Duplex, v: HostVerifier, auth: Authenticator): void {
    const c = new (loadSsh2().Client)();
    this.client = c;
    const failWith = (err: Error & { level?: string }): void =>
      this.fail(attemptError(err, this.progress, this.where, v.failure(), auth));
    c.on('handshake', () => {
      this.progress.handshakeDone = true;
      this.options.onStage?.('hostKey');
    });
    c.on('error', (err: Error & { level?: string }) => {
      if (err.level === 'agent') {
        // One agent (or key file) could not sign; ssh2 goes on with the next key.
        this.logger.debug(`ssh ${this.label}: ${describeError(err)}`);
        return;
      }
      failWith(err);
    });
    c.on('close', () => {
      // The command ends with the connection, whoever closed it.
      this.proxy?.kill();
      failWith(new Error('Connection closed'));
    });
    c.on('ready', () => {
      if (this.settled) {
        c.end();
        return;
      }
      this.settled = true;
      this.cleanup();
      auth.markSucceeded();
      this.options.onStage?.('auth');
      this.resolve(openedConnection(c, this.host, auth, v, this.hostKeyBlob, this.via, this.logger));
    });
    try {
      c.connect(this.sshConfig(s, v, auth));
    } catch (e) {
      // ssh2 validates some options synchronously (e.g. a malformed algorithm list).
      this.fail(
        new CoreError(
          'internal',
          `Cannot start the SSH connection: ${describeError(e)}`,
          { ...this.where, message: describeError(e) },
          { cause: e },
        ),
      );
      return;
    }
    // ssh2 paused the stream; this listener sees the same bytes once ssh2 resumes it.
    const capture = (d: Buffer): void => {
      const hadIdent = this.progress.sawIdent;
      const enough = this.progress.captureGreeting(d);
      if (!hadIdent && this.progress.sawIdent) {
        this.options.onStage?.('greeting');
      }
      if (enough) {
        s.removeListener('data', capture);
      }
    };
    s.on('data', capture);
  }
}
