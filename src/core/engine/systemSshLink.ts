/**
 * The engine's way to a host that ssh2 cannot reach as OpenSSH does (host certificates, FIDO
 * keys, PKCS#11, GSSAPI, user certificates: src/core/ssh/systemSshNeed.ts): the system's `ssh`
 * client runs `docker system dial-stdio` on the remote, as the docker CLI does, one process per
 * HTTP connection. OpenSSH multiplexes them over one login with ControlMaster/ControlPersist in
 * a private directory, so a refresh costs a process start, not a login. Trust and
 * authentication are OpenSSH's own and it never asks here (BatchMode): an unknown host key
 * becomes hostKeyUnknown with `transport: 'system-ssh'`, which the UI answers with "run ssh
 * ALIAS in a terminal" instead of its own trust prompt.
 *
 * The remote command is the pool's constant DIAL_STDIO_COMMAND with the socket path on its
 * first stdin line, so nothing from a URL reaches a shell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { Duplex } from 'node:stream';
import { CoreError, type ErrorDetails } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import type { SystemSshReason } from '../ssh/systemSshNeed';
import { dialStdioError, lostError } from './engineErrors';
import { DIAL_STDIO_COMMAND, remoteSocketOf, type RemoteSocket } from './remoteSocket';

/** What connectForEngine hands the pool instead of an ssh2 connection. */
export interface SystemSshTarget {
  kind: 'system-ssh';
  /** The destination as the docker CLI passes it to ssh: the URL's host (an alias or a name). */
  destination: string;
  /** From the URL; the configuration's values apply otherwise. */
  user?: string;
  port?: number;
  /** The resolved host, for messages: `user@hostname:port`. */
  where: string;
  /** The resolved host's name, port and user (what error messages name). */
  host: { hostname: string; port: number; user: string };
  why: SystemSshReason;
  /** `ssh`, or the path of the client that resolved the host. */
  binary: string;
  /** `-F FILE` when the configuration is not ssh's default. */
  configFile?: string;
  env: NodeJS.ProcessEnv;
  /** A private directory (mode 700) for the ControlMaster socket; undefined where there is no multiplexing (Windows). */
  controlDir?: string;
  /** ControlPersist: how long OpenSSH keeps the master after the last channel. */
  persistSeconds: number;
  /** ConnectTimeout for the login. */
  connectTimeoutSeconds: number;
}

export function isSystemSshTarget(x: unknown): x is SystemSshTarget {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'system-ssh';
}

/** The longest stderr kept per process (OpenSSH's messages are a few lines). */
const MAX_STDERR = 8 * 1024;

/** OpenSSH's own failures (exit status 255), from its stderr. */
export function openSshError(stderr: string, where: string, details: ErrorDetails): CoreError | undefined {
  const d = { ...details, stderr: stderr.trim().split('\n').slice(-5).join('\n').slice(0, 800) };
  const rules: [RegExp, CoreError['reason'], string][] = [
    [/REVOKED HOST KEY/i, 'hostKeyRevoked', `The host key of ${where} is marked as revoked.`],
    [/REMOTE HOST IDENTIFICATION HAS CHANGED/i, 'hostKeyChanged', `The host key of ${where} has changed.`],
    [/Host key verification failed/i, 'hostKeyUnknown', `OpenSSH does not trust the host key of ${where}.`],
    [/Permission denied \(/i, 'authFailed', `OpenSSH could not log in to ${where}.`],
    [/Connection refused/i, 'connectionRefused', `${where} refused the connection.`],
    [/Could not resolve hostname|Name or service not known/i, 'dnsFailed', `The name of ${where} does not resolve.`],
    [/timed out/i, 'timeout', `No answer from ${where}.`],
    [/No route to host|Network is unreachable/i, 'hostUnreachable', `${where} cannot be reached.`],
  ];
  for (const [re, reason, message] of rules) {
    if (re.test(stderr)) {
      return new CoreError(reason, message, d);
    }
  }
  return undefined;
}

export class SystemSshLink {
  readonly where: string;
  readonly transport = 'system-ssh' as const;
  readonly socket: RemoteSocket;
  readonly closed: Promise<CoreError | undefined>;
  private resolveClosed!: (e: CoreError | undefined) => void;
  private readonly children = new Set<ChildProcess>();
  private deadValue = false;
  /** The failure of the last process that ended without an answer (what a lost request reports). */
  private lastFailure: CoreError | undefined;
  private readonly logger: Logger;
  /** True once a process has answered: the ControlMaster is up and new processes share its login. */
  private masterUp = false;
  /** While the first process logs in: later ones wait for it, or each would log in (and race to be the master). */
  private firstLogin: Promise<void> | undefined;
  /** Exits of processes whose output ended, which lostError waits for (their stderr says why). */
  private readonly ending = new Set<Promise<void>>();

  constructor(
    private readonly target: SystemSshTarget,
    urlPath: string | undefined,
    private readonly details: ErrorDetails,
    logger?: Logger,
  ) {
    this.where = target.where;
    this.socket = remoteSocketOf(urlPath);
    this.logger = logger ?? nullLogger;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get dead(): boolean {
    return this.deadValue;
  }

  get why(): SystemSshReason {
    return this.target.why;
  }

  /** ssh's arguments; the remote command is a constant. */
  private args(extra: string[]): string[] {
    const t = this.target;
    return [
      ...(t.configFile !== undefined ? ['-F', t.configFile] : []),
      '-o',
      'BatchMode=yes',
      '-o',
      `ConnectTimeout=${t.connectTimeoutSeconds}`,
      ...(t.controlDir !== undefined
        ? [
            '-o',
            'ControlMaster=auto',
            '-o',
            `ControlPath=${t.controlDir}/%C`,
            '-o',
            `ControlPersist=${t.persistSeconds}`,
          ]
        : []),
      ...(t.user !== undefined ? ['-l', t.user] : []),
      ...(t.port !== undefined ? ['-p', String(t.port)] : []),
      ...extra,
    ];
  }

  /** One `ssh … docker system dial-stdio` process as a duplex stream, ready for HTTP. */
  async openChannel(): Promise<Duplex> {
    while (!this.masterUp && this.firstLogin && !this.deadValue) {
      await this.firstLogin;
    }
    return this.spawnChannel();
  }

  private spawnChannel(): Promise<Duplex> {
    if (this.deadValue) {
      return Promise.reject(this.lastFailure ?? lostError(new Error('closed'), this.where, this.base));
    }
    const child = spawn(this.target.binary, this.args(['-T', '--', this.target.destination, DIAL_STDIO_COMMAND]), {
      env: this.target.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stderr = '';
    let answered = false;
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_STDERR) {
        stderr += d.toString('utf8');
      }
    });
    let loggedIn: () => void = () => undefined;
    if (!this.masterUp && !this.firstLogin) {
      const first = new Promise<void>((resolve) => (loggedIn = resolve));
      this.firstLogin = first;
      void first.then(() => {
        if (this.firstLogin === first) {
          this.firstLogin = undefined;
        }
      });
    }
    child.stdout.once('data', () => {
      answered = true;
      this.masterUp = true;
      loggedIn();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdout.once('end', () => {
      this.ending.add(exited);
      void exited.then(() => this.ending.delete(exited));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.write(`${this.socket.explicit ? this.socket.path : ''}\n`);
    const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
    stream.on('close', () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
    });
    return new Promise((resolve, reject) => {
      child.once('error', (e) => {
        this.children.delete(child);
        reject(new CoreError('internal', `Could not run ${this.target.binary}: ${e.message}`, { ...this.base }));
      });
      child.once('spawn', () => resolve(stream));
      child.once('exit', (code) => {
        this.children.delete(child);
        loggedIn();
        if (answered) {
          return;
        }
        const failure =
          code === 255
            ? (openSshError(stderr, this.where, this.base) ??
              lostError(new Error(stderr.trim() || 'ssh exited'), this.where, this.base))
            : dialStdioError(stderr, code, {
                socketPath: this.socket.path,
                local: false,
                where: this.where,
                daemonSeen: false,
                base: this.base,
              });
        if (failure) {
          this.lastFailure = failure;
          this.logger.debug(`engine ${this.where}: ssh ended without an answer (${code}): ${stderr.trim()}`);
          if (code === 255) {
            // OpenSSH itself failed (trust, login, network): the next request starts over.
            this.die(failure);
          }
        }
      });
    });
  }

  /** The error for a request whose process ended: OpenSSH's or dial-stdio's reason when known. */
  async lostError(cause?: unknown): Promise<CoreError> {
    // The stream ends before its process has exited: wait (briefly) for the exit and its stderr.
    if (this.ending.size > 0) {
      await Promise.race([Promise.all(this.ending), new Promise((r) => setTimeout(r, 2_000).unref())]);
    }
    return this.lastFailure ?? lostError(cause ?? new Error('closed'), this.where, this.base);
  }

  close(): void {
    if (this.deadValue) {
      return;
    }
    this.die(undefined);
    if (this.target.controlDir !== undefined) {
      // Ends the ControlPersist master now instead of after its timeout.
      const exit = spawn(this.target.binary, this.args(['-O', 'exit', '--', this.target.destination]), {
        env: this.target.env,
        stdio: 'ignore',
      });
      exit.on('error', () => undefined);
      const timer = setTimeout(() => exit.kill('SIGKILL'), 5_000);
      timer.unref();
      exit.on('exit', () => clearTimeout(timer));
    }
  }

  private get base(): ErrorDetails {
    const h = this.target.host;
    return {
      ...this.details,
      host: h.hostname,
      port: h.port,
      user: h.user,
      alias: this.target.destination,
      transport: 'system-ssh',
      why: this.target.why,
    };
  }

  private die(error: CoreError | undefined): void {
    if (this.deadValue) {
      return;
    }
    this.deadValue = true;
    for (const c of this.children) {
      c.kill('SIGTERM');
    }
    this.children.clear();
    this.resolveClosed(error);
  }
}

/** A private directory for ControlMaster sockets: created 700, refused when another user owns it. */
export function controlDirectory(base: string, uid: number | undefined): string {
  const dir = `${base}/rdc-ssh-${uid ?? 'user'}`;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw e;
    }
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new CoreError('fileUnwritable', `${dir} is not a private directory of this user.`, { file: dir });
  }
  return dir;
}
