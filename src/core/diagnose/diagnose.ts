/**
 * "Why does `docker --context X` not work?" answered one step at a time: name resolution, the
 * SSH server, the host key, authentication, the docker CLI on the remote PATH (what the docker
 * CLI's `ssh://` contexts run: `docker system dial-stdio`), and the Docker socket and daemon.
 *
 * Statuses:
 * - resolve/tcp/hostKey/auth: `ok` or `failed`; every step after a failed one is `skipped`
 *   (`resolve` is `skipped` when a ProxyJump host resolves the name).
 * - dockerCli: `ok` when `command -v docker` finds it. When it is missing (or the login shell
 *   cannot run commands) the status is `warning` if the socket was reached by SSH socket
 *   forwarding (this extension works; the docker CLI's ssh contexts will not), else `failed`.
 *   It never causes later steps to be skipped: the socket is checked without the CLI.
 * - dockerSocket: `ok` when the socket opens (forwarding, or dial-stdio as fallback), `warning`
 *   when only dial-stdio reaches it (socket forwarding refused: slower, fewer parallel streams),
 *   `failed` for permission denied, a missing socket / daemon not running, or no way in.
 * - daemon: `ok` when `GET /_ping` answers 200; `failed` when the socket is there but nobody
 *   answers (daemonNotRunning) or the answer is wrong (engineApiError, timeout).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ClientChannel } from 'ssh2';
import { CoreError, cancelledError, describeError, isCancelled, type Reason } from '../common/errors';
import { nullLogger } from '../common/log';
import {
  connectSsh,
  parseProxyJump,
  type ConnectOptions,
  type ConnectStage,
  type SshConnection,
} from '../ssh/connection';
import { execRemote } from '../ssh/remoteExec';

export type DiagnoseStepId = 'resolve' | 'tcp' | 'hostKey' | 'auth' | 'dockerCli' | 'dockerSocket' | 'daemon';

export interface DiagnoseFix {
  kind: string;
  /** A command to show (never run by the extension). */
  command?: string;
}

export interface DiagnoseStep {
  id: DiagnoseStepId;
  status: 'ok' | 'failed' | 'skipped' | 'warning';
  reason?: Reason;
  detail?: string;
  fix?: DiagnoseFix;
  durationMs: number;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
const STEP_ORDER: DiagnoseStepId[] = ['resolve', 'tcp', 'hostKey', 'auth', 'dockerCli', 'dockerSocket', 'daemon'];
const REMOTE_TIMEOUT_MS = 15_000;
const PING_REQUEST =
  'GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: remote-docker-contexts-diagnose\r\nConnection: close\r\n\r\n';

/**
 * `command -v` as the docker CLI would meet it: the PATH of a non-interactive session. When it
 * is missing, a few usual install locations tell "not installed" from "not on PATH".
 */
export const DOCKER_CLI_PROBE_COMMAND =
  `exec sh -c 'echo rdc-sh; if command -v docker; then exit 0; fi; ` +
  `for p in /usr/local/bin/docker /usr/bin/docker /snap/bin/docker /opt/homebrew/bin/docker /Applications/Docker.app/Contents/Resources/bin/docker; do ` +
  `if [ -x "$p" ]; then echo "rdc-offpath:$p"; exit 3; fi; done; exit 1'`;

/** Socket facts; the path arrives on stdin (it comes from the context URL). */
export const SOCKET_PROBE_COMMAND =
  `exec sh -c 'IFS= read -r p; echo "rdc-user:$(id -un)"; echo "rdc-groups:$(id -Gn)"; ` +
  `if [ -S "$p" ]; then echo rdc-kind:socket; elif [ -e "$p" ]; then echo rdc-kind:other; else echo rdc-kind:missing; fi; ` +
  `if [ -r "$p" ] && [ -w "$p" ]; then echo rdc-access:rw; else echo rdc-access:denied; fi; ` +
  `echo "rdc-ls:$(LC_ALL=C ls -ld -- "$p" 2>&1)"'`;

/** dial-stdio as the docker CLI runs it, against the remote default daemon. */
export const DIAL_STDIO_COMMAND = `exec docker system dial-stdio`;
/** dial-stdio against an explicit socket; the first stdin line is the path (sh reads it byte by byte). */
export const DIAL_STDIO_PATH_COMMAND = `exec sh -c 'IFS= read -r p; exec docker -H "unix://$p" system dial-stdio'`;

export async function diagnoseHost(options: ConnectOptions & { socketPath?: string }): Promise<DiagnoseStep[]> {
  const steps = new Map<DiagnoseStepId, DiagnoseStep>();
  const put = (s: DiagnoseStep): void => {
    steps.set(s.id, s);
  };
  const result = (): DiagnoseStep[] =>
    STEP_ORDER.map((id) => steps.get(id) ?? { id, status: 'skipped' as const, durationMs: 0 });
  const host = options.host;
  const logger = options.logger ?? nullLogger;

  // resolve
  let t = Date.now();
  const viaJump = parseProxyJump(host.proxyJump).length > 0;
  if (viaJump) {
    put({ id: 'resolve', status: 'skipped', detail: `resolved by the jump host (${host.proxyJump})`, durationMs: 0 });
  } else if (isIP(host.hostname)) {
    put({ id: 'resolve', status: 'ok', detail: host.hostname, durationMs: 0 });
  } else {
    try {
      const addr = await withTimeout(lookup(host.hostname), options.timeoutMs ?? 15_000, options.signal);
      put({ id: 'resolve', status: 'ok', detail: `${host.hostname} → ${addr.address}`, durationMs: Date.now() - t });
    } catch (e) {
      if (isCancelled(e)) {
        throw e;
      }
      put({
        id: 'resolve',
        status: 'failed',
        reason: CoreError.is(e, 'timeout') ? 'timeout' : 'dnsFailed',
        detail: `${host.hostname}: ${describeError(e)}`,
        fix: { kind: 'checkHostName' },
        durationMs: Date.now() - t,
      });
      return result();
    }
  }

  // tcp, hostKey, auth: one connection, split by the stages it passed.
  const reached = new Set<ConnectStage>();
  const stageTimes: Partial<Record<ConnectStage, number>> = {};
  t = Date.now();
  let conn: SshConnection;
  try {
    conn = await connectSsh({
      ...options,
      onStage: (stage) => {
        reached.add(stage);
        stageTimes[stage] = Date.now();
        options.onStage?.(stage);
      },
    });
  } catch (e) {
    if (isCancelled(e)) {
      throw e;
    }
    const err = e instanceof CoreError ? e : new CoreError('internal', describeError(e));
    recordConnectFailure(err, reached, stageTimes, t, put);
    return result();
  }
  const greetAt = stageTimes.greeting ?? Date.now();
  const keyAt = stageTimes.hostKey ?? greetAt;
  const authAt = stageTimes.auth ?? keyAt;
  put({
    id: 'tcp',
    status: 'ok',
    detail: `${host.hostname}:${host.port}${conn.jumpHosts.length ? ` via ${conn.jumpHosts.join(' → ')}` : ''}`,
    durationMs: greetAt - t,
  });
  put({
    id: 'hostKey',
    status: 'ok',
    detail: `${conn.hostKey.type} ${conn.hostKey.fingerprint} (${conn.hostKey.outcome})`,
    durationMs: keyAt - greetAt,
  });
  put({
    id: 'auth',
    status: 'ok',
    detail: `${host.user} by ${conn.authMethod}${conn.identityFile ? ` (${conn.identityFile})` : ''}`,
    durationMs: authAt - keyAt,
  });

  try {
    await diagnoseDocker(conn, options, put);
  } finally {
    conn.close();
  }
  logger.debug(
    `diagnose ${host.alias}: ${result()
      .map((s) => `${s.id}=${s.status}${s.reason ? `(${s.reason})` : ''}`)
      .join(' ')}`,
  );
  return result();
}

function recordConnectFailure(
  err: CoreError,
  reached: Set<ConnectStage>,
  times: Partial<Record<ConnectStage, number>>,
  startedAt: number,
  put: (s: DiagnoseStep) => void,
): void {
  const now = Date.now();
  const detail = err.message;
  const fix = fixFor(err);
  if (!reached.has('greeting')) {
    put({ id: 'tcp', status: 'failed', reason: err.reason, detail, fix, durationMs: now - startedAt });
    return;
  }
  const greetAt = times.greeting ?? startedAt;
  put({ id: 'tcp', status: 'ok', durationMs: greetAt - startedAt });
  if (!reached.has('hostKey')) {
    put({ id: 'hostKey', status: 'failed', reason: err.reason, detail, fix, durationMs: now - greetAt });
    return;
  }
  const keyAt = times.hostKey ?? greetAt;
  put({ id: 'hostKey', status: 'ok', durationMs: keyAt - greetAt });
  put({ id: 'auth', status: 'failed', reason: err.reason, detail, fix, durationMs: now - keyAt });
}

function fixFor(err: CoreError): DiagnoseFix | undefined {
  const d = err.details;
  switch (err.reason) {
    case 'connectionRefused':
      return { kind: 'startSshServer', command: 'sudo systemctl start ssh' };
    case 'timeout':
    case 'hostUnreachable':
      return { kind: 'checkNetwork' };
    case 'notSsh':
      return { kind: 'checkPort' };
    case 'dnsFailed':
      return { kind: 'checkHostName' };
    case 'hostKeyUnknown':
    case 'hostKeyRejected':
      return { kind: 'trustHostKey' };
    case 'hostKeyChanged':
    case 'hostKeyRevoked': {
      const name = typeof d.name === 'string' ? d.name : undefined;
      return name ? { kind: 'removeKnownHost', command: `ssh-keygen -R '${name}'` } : { kind: 'removeKnownHost' };
    }
    case 'authFailed':
      return { kind: 'copyPublicKey' };
    case 'keyPassphraseWrong':
    case 'keyPassphraseRequired':
      return { kind: 'enterPassphrase' };
    default:
      return undefined;
  }
}

interface CliProbe {
  status: 'found' | 'offPath' | 'missing' | 'shellNotPosix';
  path?: string;
  output?: string;
}

async function diagnoseDocker(
  conn: SshConnection,
  options: ConnectOptions & { socketPath?: string },
  put: (s: DiagnoseStep) => void,
): Promise<void> {
  const signal = options.signal;
  const user = conn.host.user;

  // dockerCli
  let t = Date.now();
  const cli = await probeDockerCli(conn, signal);
  const cliMs = Date.now() - t;

  // dockerSocket + daemon
  const socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET;
  t = Date.now();
  const forwarded = await tryStreamLocal(conn, socketPath, signal);
  let socketReachedByForwarding = false;
  if (forwarded.opened) {
    socketReachedByForwarding = true;
    put({
      id: 'dockerSocket',
      status: 'ok',
      detail: `${socketPath} (SSH socket forwarding)`,
      durationMs: Date.now() - t,
    });
    put(daemonStepFromPing(forwarded.ping, forwarded.pingMs));
  } else {
    await diagnoseWithoutForwarding(conn, options.socketPath, socketPath, cli, user, t, signal, put, forwarded.error);
  }

  // dockerCli, now that we know whether the extension can do without it
  const weak = socketReachedByForwarding ? 'warning' : 'failed';
  switch (cli.status) {
    case 'found':
      put({ id: 'dockerCli', status: 'ok', detail: cli.path, durationMs: cliMs });
      break;
    case 'offPath':
      put({
        id: 'dockerCli',
        status: weak,
        reason: 'dockerCliMissing',
        detail: `docker is installed at ${cli.path} but not on the PATH of non-interactive SSH sessions, so \`docker system dial-stdio\` (used by the docker CLI's ssh:// contexts) fails.`,
        fix: { kind: 'addDockerToRemotePath', command: dirOf(cli.path ?? '') },
        durationMs: cliMs,
      });
      break;
    case 'missing':
      put({
        id: 'dockerCli',
        status: weak,
        reason: 'dockerCliMissing',
        detail:
          "No docker command on the remote PATH of non-interactive SSH sessions: the docker CLI's ssh:// contexts run `docker system dial-stdio` there and will fail" +
          (socketReachedByForwarding ? '; this extension still reaches the daemon through socket forwarding.' : '.'),
        fix: { kind: 'installDockerCli' },
        durationMs: cliMs,
      });
      break;
    case 'shellNotPosix':
      put({
        id: 'dockerCli',
        status: weak,
        reason: 'remoteShellNotPosix',
        detail: `The login shell of ${user} does not run commands${cli.output ? ` (it answered: ${cli.output})` : ''}, so \`docker system dial-stdio\` cannot start.`,
        fix: { kind: 'changeLoginShell', command: `sudo chsh -s /bin/bash ${user}` },
        durationMs: cliMs,
      });
      break;
  }
}

async function probeDockerCli(conn: SshConnection, signal: AbortSignal | undefined): Promise<CliProbe> {
  const r = await execRemote(conn.client, DOCKER_CLI_PROBE_COMMAND, { timeoutMs: REMOTE_TIMEOUT_MS, signal });
  const lines = r.stdout.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== 'rdc-sh') {
    return { status: 'shellNotPosix', output: (r.stdout + ' ' + r.stderr).trim().replace(/\s+/g, ' ').slice(0, 200) };
  }
  if (r.code === 0 && lines[1]) {
    return { status: 'found', path: lines[1] };
  }
  const off = lines.find((l) => l.startsWith('rdc-offpath:'));
  if (r.code === 3 && off) {
    return { status: 'offPath', path: off.slice('rdc-offpath:'.length) };
  }
  return { status: 'missing' };
}

interface PingResult {
  status?: number;
  apiVersion?: string;
  body?: string;
  error?: CoreError;
}

async function tryStreamLocal(
  conn: SshConnection,
  socketPath: string,
  signal: AbortSignal | undefined,
): Promise<{ opened: true; ping: PingResult; pingMs: number } | { opened: false; error: string }> {
  let channel: ClientChannel;
  try {
    channel = await withTimeout(
      new Promise<ClientChannel>((resolve, reject) => {
        try {
          conn.client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => (err ? reject(err) : resolve(ch)));
        } catch (e) {
          reject(e);
        }
      }),
      REMOTE_TIMEOUT_MS,
      signal,
    );
  } catch (e) {
    if (isCancelled(e)) {
      throw e;
    }
    return { opened: false, error: describeError(e) };
  }
  const t = Date.now();
  const raw = await readAll(channel, PING_REQUEST, REMOTE_TIMEOUT_MS, signal);
  return { opened: true, ping: parsePing(raw), pingMs: Date.now() - t };
}

function daemonStepFromPing(ping: PingResult, durationMs: number): DiagnoseStep {
  if (ping.status === 200) {
    return {
      id: 'daemon',
      status: 'ok',
      detail: `GET /_ping → 200${ping.apiVersion ? `, API ${ping.apiVersion}` : ''}`,
      durationMs,
    };
  }
  if (ping.error) {
    return { id: 'daemon', status: 'failed', reason: ping.error.reason, detail: ping.error.message, durationMs };
  }
  if (ping.status === undefined) {
    return {
      id: 'daemon',
      status: 'failed',
      reason: 'daemonNotRunning',
      detail: 'The socket accepted the connection but nothing answered GET /_ping.',
      fix: { kind: 'startDaemon', command: 'sudo systemctl start docker' },
      durationMs,
    };
  }
  return {
    id: 'daemon',
    status: 'failed',
    reason: 'engineApiError',
    detail: `GET /_ping → ${ping.status} ${ping.body ?? ''}`.trim(),
    durationMs,
  };
}

async function diagnoseWithoutForwarding(
  conn: SshConnection,
  explicitPath: string | undefined,
  socketPath: string,
  cli: CliProbe,
  user: string,
  startedAt: number,
  signal: AbortSignal | undefined,
  put: (s: DiagnoseStep) => void,
  forwardError: string,
): Promise<void> {
  const elapsed = (): number => Date.now() - startedAt;
  const probe = cli.status === 'shellNotPosix' ? undefined : await probeSocket(conn, socketPath, signal);
  let dial: { ping: PingResult; stderr: string; code: number | null } | undefined;
  if (cli.status === 'found') {
    const r = await execRemote(conn.client, explicitPath ? DIAL_STDIO_PATH_COMMAND : DIAL_STDIO_COMMAND, {
      input: (explicitPath ? explicitPath + '\n' : '') + PING_REQUEST,
      timeoutMs: REMOTE_TIMEOUT_MS,
      signal,
    });
    dial = { ping: parsePing(r.stdout), stderr: r.stderr.trim(), code: r.code };
  }
  // Without an explicit path, dial-stdio talks to whatever the remote's own DOCKER_HOST/context says.
  const target = explicitPath ?? (dial ? "the remote's default Docker endpoint" : socketPath);

  if (dial && dial.ping.status !== undefined) {
    // The daemon answered through the docker CLI on the remote.
    const samePath = explicitPath !== undefined || probe?.kind === 'socket';
    put({
      id: 'dockerSocket',
      status: samePath ? 'warning' : 'ok',
      ...(samePath ? { reason: 'streamLocalForbidden' as const } : {}),
      detail: samePath
        ? `${target} is reachable only through \`docker system dial-stdio\`: the SSH server refused to forward the socket (${forwardError}); AllowStreamLocalForwarding may be off.`
        : `reached through \`docker system dial-stdio\` (${socketPath} is not the daemon's socket on this host; put the real path in the context URL for direct access)`,
      ...(samePath ? { fix: { kind: 'allowStreamLocalForwarding', command: 'AllowStreamLocalForwarding yes' } } : {}),
      durationMs: elapsed(),
    });
    put(daemonStepFromPing(dial.ping, 0));
    return;
  }

  const dialText = dial?.stderr ?? '';
  const dialReason = dial ? classifyDialStdioFailure(dial.stderr, dial.code).reason : undefined;
  const permissionDenied =
    dialReason === 'dockerSocketPermission' ||
    (probe?.lsDenied ?? false) ||
    (probe?.kind === 'socket' && probe.access === 'denied');
  if (permissionDenied) {
    const group = probe?.group && probe.group !== 'root' ? probe.group : 'docker';
    const who = probe?.user ?? user;
    put({
      id: 'dockerSocket',
      status: 'failed',
      reason: 'dockerSocketPermission',
      detail:
        `${who} may not open ${target}` +
        (probe?.ls ? ` (${probe.ls}; ${who} is in: ${probe.groups || 'no groups'})` : '') +
        (dialText ? `: ${firstLine(dialText)}` : '') +
        `. Add ${who} to the ${group} group, then reconnect (group changes apply to new logins).`,
      fix: { kind: 'addToDockerGroup', command: `sudo usermod -aG ${group} ${who}` },
      durationMs: elapsed(),
    });
    return;
  }

  const daemonDown = dialReason === 'daemonNotRunning' || probe?.kind === 'missing';
  if (daemonDown) {
    if (probe?.kind === 'socket' && probe.access === 'rw') {
      // A socket file nobody listens on: left behind by a daemon that stopped.
      put({
        id: 'dockerSocket',
        status: 'ok',
        detail: `${target} exists and ${probe.user ?? user} may open it`,
        durationMs: elapsed(),
      });
      put({
        id: 'daemon',
        status: 'failed',
        reason: 'daemonNotRunning',
        detail: `Nothing listens on ${target}${dialText ? `: ${firstLine(dialText)}` : ''}.`,
        fix: { kind: 'startDaemon', command: 'sudo systemctl start docker' },
        durationMs: 0,
      });
      return;
    }
    const installed = cli.status === 'found' || cli.status === 'offPath';
    put({
      id: 'dockerSocket',
      status: 'failed',
      reason: installed ? 'daemonNotRunning' : 'dockerSocketMissing',
      detail: installed
        ? `No Docker daemon answers on ${target}${dialText ? ` (${firstLine(dialText)})` : ''}: the daemon is not running, or it listens elsewhere (put that socket path in the context URL).`
        : `There is no Docker socket at ${target} and no docker command: Docker does not seem to be installed on this host.`,
      fix: installed ? { kind: 'startDaemon', command: 'sudo systemctl start docker' } : { kind: 'installDocker' },
      durationMs: elapsed(),
    });
    return;
  }

  if (probe?.kind === 'other') {
    put({
      id: 'dockerSocket',
      status: 'failed',
      reason: 'dockerSocketMissing',
      detail: `${socketPath} exists but is not a socket (${probe.ls}).`,
      durationMs: elapsed(),
    });
    return;
  }

  if (probe?.kind === 'socket' && probe.access === 'rw') {
    put({
      id: 'dockerSocket',
      status: 'failed',
      reason: 'streamLocalForbidden',
      detail: `The SSH server refused to forward ${socketPath} (${forwardError}) and there is no docker CLI on the remote to fall back to: AllowStreamLocalForwarding may be off, or the daemon behind the socket is not running.`,
      fix: { kind: 'allowStreamLocalForwarding', command: 'AllowStreamLocalForwarding yes' },
      durationMs: elapsed(),
    });
    return;
  }

  put({
    id: 'dockerSocket',
    status: 'failed',
    reason: dial ? 'engineApiError' : 'streamLocalForbidden',
    detail: `${target} could not be reached: ${forwardError}${dialText ? `; docker system dial-stdio: ${firstLine(dialText)}` : ''}`,
    durationMs: elapsed(),
  });
}

/**
 * The reason behind a failed `docker system dial-stdio` on the remote, from its stderr and exit
 * status (the docker CLI itself only says "Cannot connect to the Docker daemon"; the cause is on
 * the remote's stderr). For the connection pool's fallback as much as for diagnose.
 */
export function classifyDialStdioFailure(stderr: string, code: number | null): { reason: Reason; fix?: DiagnoseFix } {
  if (code === 127 || /command not found|docker: not found|no such file or directory: docker/i.test(stderr)) {
    return { reason: 'dockerCliMissing', fix: { kind: 'installDockerCli' } };
  }
  if (/permission denied/i.test(stderr)) {
    return { reason: 'dockerSocketPermission', fix: { kind: 'addToDockerGroup' } };
  }
  if (
    /no such file or directory|connection refused|cannot connect to the docker daemon|is the docker daemon running/i.test(
      stderr,
    )
  ) {
    return { reason: 'daemonNotRunning', fix: { kind: 'startDaemon', command: 'sudo systemctl start docker' } };
  }
  return { reason: 'engineApiError' };
}

interface SocketProbe {
  user?: string;
  groups?: string;
  kind?: 'socket' | 'other' | 'missing';
  access?: 'rw' | 'denied';
  ls?: string;
  lsDenied: boolean;
  group?: string;
}

async function probeSocket(
  conn: SshConnection,
  socketPath: string,
  signal: AbortSignal | undefined,
): Promise<SocketProbe | undefined> {
  if (/[\r\n]/.test(socketPath)) {
    return undefined; // a line break cannot be passed as one stdin line
  }
  const r = await execRemote(conn.client, SOCKET_PROBE_COMMAND, {
    input: socketPath + '\n',
    timeoutMs: REMOTE_TIMEOUT_MS,
    signal,
  });
  const field = (name: string): string | undefined => {
    const line = r.stdout.split(/\r?\n/).find((l) => l.startsWith(`rdc-${name}:`));
    return line?.slice(name.length + 5);
  };
  if (field('kind') === undefined) {
    return undefined;
  }
  const ls = field('ls');
  const lsDenied = /permission denied/i.test(ls ?? '');
  // `ls -ld` fields: mode links owner group size …
  const lsFields = ls && !/^ls:/.test(ls) ? ls.trim().split(/\s+/) : [];
  return {
    user: field('user'),
    groups: field('groups'),
    kind: field('kind') as SocketProbe['kind'],
    access: field('access') as SocketProbe['access'],
    ls,
    lsDenied,
    group: lsFields[3],
  };
}

function parsePing(raw: string): PingResult {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  if (!m) {
    return {};
  }
  const [head = '', body = ''] = raw.split(/\r\n\r\n/, 2);
  const api = /^api-version:\s*(\S+)/im.exec(head);
  return { status: Number(m[1]), ...(api?.[1] ? { apiVersion: api[1] } : {}), body: body.trim().slice(0, 200) };
}

/** Writes a request on a channel and collects the reply until the other side closes. */
function readAll(
  channel: ClientChannel,
  request: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      try {
        channel.close();
      } catch {
        // already closed
      }
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(finish, timeoutMs);
    signal?.addEventListener('abort', finish, { once: true });
    channel.on('data', (d: Buffer) => {
      if (size < 65536) {
        chunks.push(d);
        size += d.length;
      }
    });
    channel.on('error', finish);
    channel.on('close', finish);
    channel.on('end', finish);
    channel.write(request);
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      reject(new CoreError('timeout', `No answer within ${ms} ms.`, { timeoutMs: ms }));
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i > 0 ? p.slice(0, i) : p;
}
