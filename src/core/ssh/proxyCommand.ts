/**
 * `ProxyCommand`, run as OpenSSH runs it (sshconnect.c `ssh_proxy_connect`): the user's own
 * configured command, through `$SHELL -c "exec COMMAND"` (`/bin/sh` when SHELL is unset or
 * empty; `exec` so that no shell lingers), with `%h %n %p %r %%` expanded, and the SSH
 * connection spoken over its stdin and stdout. This is the one place a shell string is run.
 *
 * Quoting: OpenSSH puts the token values into the command as they are, and people write their
 * commands for that (`nc %h %p`, `ssh -W [%h]:%p jump`, `'%h'`), so quoting the values here
 * would break working configurations. Instead a value that could change what the shell does
 * (quotes, `$`, backquotes, `;&|<>(){}`, globbing, whitespace, control characters, a leading
 * `-`) is refused before anything runs: OpenSSH itself refuses most of these in names given on
 * its command line, and ours come from a context's URL, which may come from elsewhere.
 *
 * The child gets its own process group (POSIX), so that ending the connection ends whatever the
 * command started (a pipeline, a wrapper script): SIGHUP to the group as OpenSSH does at exit,
 * then SIGKILL if the command is still there after a grace period. Its stderr goes to the log
 * and, capped, into the reason of a connection that it ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import type { Logger } from '../common/log';
import type { EffectiveHost } from '../sshConfig/resolveHost';

/** What is kept of the command's stderr (the reason shows its end, the log its lines). */
const STDERR_KEEP = 4096;
const STDERR_IN_REASON = 1000;
const LOGGED_LINES = 50;
const KILL_GRACE_MS = 2000;
/** How long a closed stdout waits for the exit status before it counts as the end. */
const EXIT_WAIT_MS = 1000;

// eslint-disable-next-line no-control-regex -- control characters are among what must not reach a shell
const SHELL_UNSAFE = /['`"$\\;&<>|(){}*?[\]!#\s\x00-\x1f\x7f]/;

/** `ProxyCommand none` (any case) and an empty value turn it off, as in ssh_config. */
export function proxyCommandOf(host: EffectiveHost): string | undefined {
  const c = host.proxyCommand?.trim();
  return c === undefined || c === '' || c.toLowerCase() === 'none' ? undefined : c;
}

/**
 * The command with `%h` (HostName), `%n` (the alias as given), `%p`, `%r` and `%%` replaced; any
 * other token is refused, as OpenSSH's percent_expand refuses it.
 */
export function expandProxyCommand(command: string, host: EffectiveHost): string {
  const values: Record<string, { field: string; value: string }> = {
    h: { field: 'host', value: host.hostname },
    n: { field: 'alias', value: host.alias },
    p: { field: 'port', value: String(host.port) },
    r: { field: 'user', value: host.user },
  };
  let out = '';
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const t = command[++i];
    if (t === '%') {
      out += '%';
      continue;
    }
    const v = t === undefined ? undefined : values[t];
    if (!v) {
      throw new CoreError(
        'proxyCommandFailed',
        `The ProxyCommand of ${host.alias} uses ${t === undefined ? 'a lone %' : `the unknown token %${t}`}.`,
        { alias: host.alias, host: host.hostname, port: host.port, detail: 'token', token: `%${t ?? ''}` },
      );
    }
    if (v.value === '' || v.value.startsWith('-') || SHELL_UNSAFE.test(v.value)) {
      throw new CoreError(
        'sshDestinationInvalid',
        `The ${v.field} ${JSON.stringify(v.value)} cannot be put into the ProxyCommand of ${host.alias}.`,
        { field: v.field, value: v.value, alias: host.alias, detail: 'proxyCommand' },
      );
    }
    out += v.value;
  }
  return out;
}

export interface ProxyCommandOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  where: ErrorDetails;
}

/** The running command as the SSH connection's socket: its stdout is read, its stdin written. */
export class ProxyCommandStream extends Duplex {
  private readonly child: ChildProcess;
  private stderrText = '';
  private loggedLines = 0;
  private exited: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  private spawnError: Error | undefined;
  private ended = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: EffectiveHost,
    private readonly command: string,
    private readonly o: ProxyCommandOptions,
  ) {
    super();
    const expanded = expandProxyCommand(command, host);
    this.child = spawnShell(expanded, o.env);
    o.logger.debug(`ssh ${host.alias}: ProxyCommand started (pid ${this.child.pid ?? '?'}): ${expanded}`);
    this.wire();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The child has ended (or never started). */
  get finished(): boolean {
    return this.exited !== undefined || this.spawnError !== undefined;
  }

  private wire(): void {
    const { child } = this;
    child.stdout?.on('data', (d: Buffer) => {
      if (!this.push(d)) {
        child.stdout?.pause();
      }
    });
    child.stdout?.on('end', () => this.endSoon());
    child.stdout?.on('error', () => this.endSoon());
    child.stdin?.on('error', (e) =>
      this.o.logger.debug(`ssh ${this.host.alias}: ProxyCommand stdin: ${describeError(e)}`),
    );
    child.stderr?.on('data', (d: Buffer) => this.onStderr(d));
    child.on('error', (e) => {
      this.spawnError = e;
      this.o.logger.info(`ssh ${this.host.alias}: ProxyCommand could not start: ${describeError(e)}`);
      this.finishRead();
    });
    child.on('exit', (code, signal) => {
      this.exited = { code, signal, at: Date.now() };
      clearTimeout(this.killTimer);
      this.o.logger.debug(
        `ssh ${this.host.alias}: ProxyCommand ended (${code !== null ? `exit code ${code}` : `signal ${signal ?? '?'}`})`,
      );
    });
  }

  private onStderr(d: Buffer): void {
    const text = d.toString('utf8');
    if (this.stderrText.length < STDERR_KEEP) {
      this.stderrText += text.slice(0, STDERR_KEEP - this.stderrText.length);
    }
    for (const line of text.split(/\r?\n/)) {
      const clean = printable(line);
      if (clean === '') {
        continue;
      }
      if (this.loggedLines < LOGGED_LINES) {
        this.o.logger.info(`ssh ${this.host.alias}: ProxyCommand: ${clean.slice(0, 500)}`);
      } else if (this.loggedLines === LOGGED_LINES) {
        this.o.logger.info(`ssh ${this.host.alias}: ProxyCommand: (more stderr not logged)`);
      }
      this.loggedLines++;
    }
  }

  /** stdout closed: let the exit status (and the last stderr) arrive before the end is seen. */
  private endSoon(): void {
    if (this.finished) {
      setImmediate(() => this.finishRead());
      return;
    }
    const t = setTimeout(() => this.finishRead(), EXIT_WAIT_MS);
    this.child.once('exit', () => {
      clearTimeout(t);
      setImmediate(() => this.finishRead());
    });
  }

  private finishRead(): void {
    if (!this.ended) {
      this.ended = true;
      this.push(null);
    }
  }

  override _read(): void {
    this.child.stdout?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || this.finished) {
      cb(); // the end of the read side tells the connection; an error here would only repeat it
      return;
    }
    stdin.write(chunk, () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin?.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.kill();
    cb(err);
  }

  /**
   * Ends the command and what it started: SIGHUP to its group, SIGKILL after a grace period. A
   * command that has just exited may have left members of its group (a pipeline's other half):
   * they get the SIGHUP too. Long after the exit the group id is not signalled (it could name
   * another group by then).
   */
  kill(): void {
    this.child.stdin?.destroy();
    if (this.spawnError || this.child.pid === undefined) {
      return;
    }
    if (this.exited) {
      if (Date.now() - this.exited.at < KILL_GRACE_MS) {
        signalGroup(this.child, 'SIGHUP');
      }
      return;
    }
    signalGroup(this.child, 'SIGHUP');
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => {
        if (!this.finished) {
          signalGroup(this.child, 'SIGKILL');
        }
      }, KILL_GRACE_MS);
      this.killTimer.unref();
    }
  }

  /** The command's stderr so far, without control characters, its end kept. */
  stderrTail(): string {
    const clean = this.stderrText
      .split(/\r?\n/)
      .map(printable)
      .filter((l) => l !== '')
      .join('\n');
    return clean.length > STDERR_IN_REASON ? '…' + clean.slice(-STDERR_IN_REASON) : clean;
  }

  /**
   * What a failed attempt means when it ran over this command: the command's own end when it
   * ended first (its exit status and stderr are the reason), else the attempt's error with the
   * stderr added. Verdicts about the server (host key, authentication) and a cancel stand.
   */
  explain(e: CoreError): CoreError {
    if (!['connectionLost', 'sshProtocolError', 'timeout', 'internal'].includes(e.reason)) {
      return e;
    }
    const stderr = this.stderrTail();
    if (!this.finished) {
      return stderr === ''
        ? e
        : new CoreError(e.reason, e.message, { ...e.details, proxyStderr: stderr }, { cause: e });
    }
    const status = this.spawnError
      ? `could not start: ${describeError(this.spawnError)}`
      : this.exited?.code !== null && this.exited?.code !== undefined
        ? `exited with code ${this.exited.code}`
        : `was ended by signal ${this.exited?.signal ?? '?'}`;
    const lastLine = stderr.split('\n').pop() ?? '';
    return new CoreError(
      'proxyCommandFailed',
      `The ProxyCommand of ${this.host.alias} ${status} before the SSH connection was made${lastLine ? `: ${lastLine}` : '.'}`,
      {
        ...this.o.where,
        detail: this.spawnError ? 'spawn' : 'exited',
        command: this.command,
        ...(this.exited?.code !== null && this.exited?.code !== undefined ? { exitCode: this.exited.code } : {}),
        ...(this.exited?.signal ? { signal: this.exited.signal } : {}),
        ...(this.spawnError ? { message: describeError(this.spawnError) } : {}),
        stderr,
      },
      { cause: e },
    );
  }
}

/** `ProxyCommand -` means "the stdio of ssh itself": there is no such stdio here. */
export function startProxyCommand(host: EffectiveHost, command: string, o: ProxyCommandOptions): ProxyCommandStream {
  if (command === '-') {
    throw new CoreError(
      'proxyCommandFailed',
      `The ProxyCommand of ${host.alias} is "-" (ssh's own standard input), which cannot be used here.`,
      { ...o.where, detail: 'stdio', command },
    );
  }
  return new ProxyCommandStream(host, command, o);
}

function spawnShell(command: string, env: NodeJS.ProcessEnv): ChildProcess {
  if (process.platform === 'win32') {
    // Windows' OpenSSH hands the command to the system's command interpreter; so does Node's shell option.
    return spawn(command, { shell: true, env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  }
  const shell = env.SHELL !== undefined && env.SHELL !== '' ? env.SHELL : '/bin/sh';
  // Its own process group, so that the whole of what the command starts can be ended.
  return spawn(shell, ['-c', `exec ${command}`], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) {
    return;
  }
  try {
    if (process.platform === 'win32') {
      child.kill(signal);
    } else {
      process.kill(-pid, signal);
    }
  } catch {
    // already gone
  }
}

function printable(line: string): string {
  // eslint-disable-next-line no-control-regex -- stderr text goes into logs and messages as data
  return line.replace(/[\x00-\x1f\x7f]/g, '').trim();
}
