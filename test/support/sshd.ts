/**
 * A real OpenSSH server (Debian's sshd 9.2) on 127.0.0.1 with its own port, host key, config,
 * pidfile and log. Several instances run side by side.
 *
 * Keyboard-interactive: OpenSSH's only keyboard-interactive password device on Linux is PAM. With
 * `UsePAM no`, `KbdInteractiveAuthentication yes` still lists the method but never prompts (the
 * client is refused without seeing a prompt; verified with `ssh -o
 * PreferredAuthentications=keyboard-interactive` under SSH_ASKPASS). So `kbdInteractive: true`
 * starts the server with `UsePAM yes` (Debian's /etc/pam.d/sshd authenticates local users; the
 * prompt is "Password: ") and, unless `passwordAuth` says otherwise, `PasswordAuthentication no`,
 * like the many servers that only ask for passwords that way. Otherwise `UsePAM no`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../src/core/common/exec';
import { register, registerProcess } from './cleanup';
import { freePort } from './ports';
import { familyOf, removeTreeSync, sleep, terminate } from './processes';
import { requireRoot } from './requireRoot';

export interface SshdOptions {
  /** Fixed port; by default a free one is picked (and re-picked if another process grabs it). */
  port?: number;
  /** `PasswordAuthentication`; default true, or false when `kbdInteractive` is on. */
  passwordAuth?: boolean;
  /** Password prompts through keyboard-interactive (turns on PAM, see above). Default false. */
  kbdInteractive?: boolean;
  /** `AllowStreamLocalForwarding` (direct-streamlocal to the docker socket). Default true. */
  allowStreamLocal?: boolean;
  /**
   * More sshd_config lines. sshd keeps the first value it reads for a keyword, so these go before
   * the harness defaults and override them; a `Match` block (and what follows it) goes last.
   */
  extraConfig?: string[];
  startTimeoutMs?: number;
}

export interface Sshd {
  readonly port: number;
  /** `ssh-ed25519 AAAA...` (no comment). Changes with `changeHostKey()`. */
  readonly hostKeyPub: string;
  /** `SHA256:...` as OpenSSH prints it. */
  readonly hostKeyFingerprint: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly dir: string;
  /** Pid of the listener (0 while stopped). */
  readonly pid: number;
  /** Number of `Accepted ...` lines in the log: successful logins so far. */
  acceptedLogins(): Promise<number>;
  /** The log so far. */
  log(): string;
  /** Where the log ends now; `logSince(mark)` then holds only what sshd wrote afterwards. */
  logMark(): number;
  /** The log written since `mark` (the log is shared by every test on this sshd). */
  logSince(mark: number): string;
  /** Waits until the log matches (sshd writes some lines after the client returned). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops the listener and every connection it serves; keeps dir, port and host key for `start()`. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same host key. */
  start(): Promise<void>;
  /** Replaces the host key (a "changed host key" server); restarts the server if it runs. */
  changeHostKey(): Promise<void>;
  /** Stops and removes everything. Idempotent. */
  dispose(): Promise<void>;
}

/** `[127.0.0.1]:PORT ssh-ed25519 AAAA...`, the line OpenSSH writes for a non-default port. */
export function knownHostsLine(sshd: Pick<Sshd, 'port' | 'hostKeyPub'>, host = '127.0.0.1'): string {
  return `[${host}]:${sshd.port} ${sshd.hostKeyPub}`;
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  requireRoot('startSshd');
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-sshd-'));
  const releaseDir = register({ kind: 'dir', path: dir });
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const configFile = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');
  const kbd = options.kbdInteractive ?? false;
  const passwordAuth = options.passwordAuth ?? !kbd;

  let port = options.port ?? 0;
  let pid = 0;
  let release: (() => void) | undefined;
  let hostKeyPub = '';
  let hostKeyFingerprint = '';
  let disposed = false;

  const makeHostKey = async (): Promise<void> => {
    fs.rmSync(hostKey, { force: true });
    fs.rmSync(`${hostKey}.pub`, { force: true });
    const r = await runProcess(
      '/usr/bin/ssh-keygen',
      ['-q', '-t', 'ed25519', '-N', '', '-C', 'rdc-test-host', '-f', hostKey],
      { timeoutMs: 30_000 },
    );
    if (r.code !== 0) {
      throw new Error(`ssh-keygen failed: ${r.stderr}`);
    }
    const [type, blob] = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
    hostKeyPub = `${type} ${blob}`;
    const fp = await runProcess('/usr/bin/ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`], {
      timeoutMs: 30_000,
    });
    hostKeyFingerprint = fp.stdout.split(/\s+/)[1] ?? '';
  };

  const writeConfig = (): void => {
    const extra = options.extraConfig ?? [];
    const matchAt = extra.findIndex((l) => /^\s*Match\s/i.test(l));
    const head = matchAt >= 0 ? extra.slice(0, matchAt) : extra;
    const tailLines = matchAt >= 0 ? extra.slice(matchAt) : [];
    const lines = [
      '# Written by the test harness (test/support/sshd.ts).',
      ...head,
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'LogLevel VERBOSE',
      `PasswordAuthentication ${passwordAuth ? 'yes' : 'no'}`,
      `KbdInteractiveAuthentication ${kbd ? 'yes' : 'no'}`,
      `UsePAM ${kbd ? 'yes' : 'no'}`,
      'PubkeyAuthentication yes',
      'AuthorizedKeysFile .ssh/authorized_keys',
      'PermitRootLogin no',
      'PermitUserEnvironment yes',
      'StrictModes yes',
      `AllowStreamLocalForwarding ${options.allowStreamLocal === false ? 'no' : 'yes'}`,
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      ...tailLines,
      '',
    ];
    fs.writeFileSync(configFile, lines.join('\n'), { mode: 0o600 });
  };

  const launch = async (): Promise<void> => {
    writeConfig();
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    // -D: stay in the foreground so the pid we hold is the listener. -E: log to a file.
    const errFile = path.join(dir, 'sshd.stderr');
    const err = fs.openSync(errFile, 'w');
    const child = spawn('/usr/sbin/sshd', ['-D', '-f', configFile, '-E', logFile], {
      stdio: ['ignore', 'ignore', err],
      detached: true,
    });
    fs.closeSync(err);
    if (!child.pid) {
      throw new Error('sshd could not be started');
    }
    pid = child.pid;
    release = registerProcess(pid, 'sshd', true);
    let exited: string | undefined;
    child.on('exit', (code, sig) => (exited = `exited with ${code ?? sig}`));
    child.unref();
    const listening = `Server listening on 127.0.0.1 port ${port}.`;
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    for (;;) {
      if (exited) {
        pid = 0;
        release();
        release = undefined;
        const text = readFrom(errFile, 0) + readFrom(logFile, logStart);
        throw new SshdStartError(
          `sshd ${exited}: ${text}`,
          /Bind to port|Address already in use|Cannot bind/i.test(text),
        );
      }
      // The log line proves that *our* sshd bound the port; the banner that it answers.
      if (readFrom(logFile, logStart).includes(listening) && (await banner(port))) {
        return;
      }
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`sshd did not answer on port ${port}; log:\n${readFrom(logFile, logStart)}`);
      }
      await sleep(50);
    }
  };

  const kill = async (): Promise<void> => {
    if (!pid) {
      return;
    }
    const family = familyOf(pid, true);
    const left = await terminate(family, 10_000);
    if (left.length > 0) {
      throw new Error(`sshd processes survived SIGKILL: ${left.join(', ')}`);
    }
    pid = 0;
    release?.();
    release = undefined;
  };

  try {
    await makeHostKey();
    for (let attempt = 0; ; attempt++) {
      if (options.port === undefined) {
        port = await freePort();
      }
      try {
        await launch();
        break;
      } catch (e) {
        if (!(e instanceof SshdStartError && e.portTaken && options.port === undefined && attempt < 5)) {
          throw e;
        }
      }
    }
  } catch (e) {
    removeTreeSync(dir);
    releaseDir();
    throw e;
  }

  return {
    get port() {
      return port;
    },
    get hostKeyPub() {
      return hostKeyPub;
    },
    get hostKeyFingerprint() {
      return hostKeyFingerprint;
    },
    get pid() {
      return pid;
    },
    configFile,
    logFile,
    dir,
    acceptedLogins: () => Promise.resolve((readFrom(logFile, 0).match(/^.*\bAccepted \S+ for /gm) ?? []).length),
    logMark: () => {
      try {
        return fs.statSync(logFile).size;
      } catch {
        return 0;
      }
    },
    logSince: (mark: number) => readFrom(logFile, mark),
    log: () => readFrom(logFile, 0),
    waitForLog: async (pattern: RegExp, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = readFrom(logFile, 0);
        if (pattern.test(text)) {
          return text;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `sshd log did not match ${pattern} within ${timeoutMs} ms:\n${text.split('\n').slice(-20).join('\n')}`,
          );
        }
        await sleep(50);
      }
    },
    stop: kill,
    start: async () => {
      if (disposed) {
        throw new Error('start() after dispose()');
      }
      if (!pid) {
        await launch();
      }
    },
    changeHostKey: async () => {
      const running = pid !== 0;
      await kill();
      await makeHostKey();
      if (running) {
        await launch();
      }
    },
    dispose: async () => {
      if (disposed) {
        return;
      }
      disposed = true;
      await kill();
      removeTreeSync(dir);
      releaseDir();
    },
  };
}

class SshdStartError extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** True once something on 127.0.0.1:port sends an SSH banner. */
function banner(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\n')) {
        done(data.startsWith('SSH-2.0-'));
      }
    });
    s.on('error', () => done(false));
  });
}
