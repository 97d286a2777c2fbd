/**
 * The Docker half of diagnose, over the same way to the socket as the engine pool
 * (engine/remoteSocket.ts): stream-local forwarding first, then `docker system dial-stdio`, the
 * same HEAD /_ping, the same socket probe. Each step says which route it took.
 *
 * - dockerCli: `ok` when `command -v docker` finds it. When it is missing (or the login shell
 *   cannot run commands) the status is `warning` if the socket was reached by forwarding (this
 *   extension works; the docker CLI's ssh contexts will not), else `failed`. It never causes
 *   later steps to be skipped: the socket is checked without the CLI.
 * - dockerSocket: `ok` when the socket opens (forwarding, or dial-stdio to the remote's own
 *   default endpoint), `warning` when only dial-stdio reaches the named socket (forwarding
 *   refused), `failed` for permission denied, a missing socket / daemon not running, or no way in.
 * - daemon: `ok` when HEAD /_ping answers 200; `failed` when nobody answers or the answer is wrong.
 */
import type { ClientChannel } from 'ssh2';
import { describeError, isCancelled, type Reason } from '../common/errors';
import { dialStdioError, type SocketContext } from '../engine/engineErrors';
import {
  openDialStdio,
  openStreamLocal,
  pingChannel,
  probeRemoteSocket,
  remoteCliChoice,
  remoteSocketOf,
  type ChannelDeadline,
  type PingAnswer,
  type RemoteSocket,
  type SocketFacts,
  type SshRoute,
} from '../engine/remoteSocket';
import type { SshConnection } from '../ssh/connection';
import type { DiagnoseStep } from './diagnoseTypes';
import { probeDockerCli, putCli, type CliProbe } from './diagnoseDockerCli';
import { addToGroupCommand, ALLOW_STREAMLOCAL_LINE, START_DAEMON_COMMAND } from './fixCommands';

const REMOTE_TIMEOUT_MS = 15_000;

type Ping = PingAnswer | { kind: 'timeout'; timeoutMs: number };

interface Dial {
  ping: Ping;
  stderr: string;
  code: number | null | undefined;
}

type Put = (s: DiagnoseStep) => void;

export async function diagnoseDocker(
  conn: SshConnection,
  options: { socketPath?: string; signal?: AbortSignal },
  put: Put,
): Promise<void> {
  const d: ChannelDeadline = { timeoutMs: REMOTE_TIMEOUT_MS, signal: options.signal };
  let t = Date.now();
  const cli = await probeDockerCli(conn, d);
  const cliMs = Date.now() - t;

  t = Date.now();
  let socket: RemoteSocket;
  try {
    socket = remoteSocketOf(options.socketPath);
  } catch {
    put({
      id: 'dockerSocket',
      status: 'failed',
      reason: 'endpointInvalid',
      note: 'pathInvalid',
      params: { path: options.socketPath },
      durationMs: 0,
    });
    putCli(put, cli, cliMs, false, conn.host.user);
    return;
  }
  // The same choice as the engine pool: without a path in the URL, the daemon the remote
  // docker CLI would dial (its unix socket by forwarding, anything else by dial-stdio).
  const choice = !socket.explicit && cli.status === 'found' ? await remoteCliChoice(conn.client, d) : undefined;
  if (choice?.kind === 'unix' && choice.path !== socket.path) {
    socket = { path: choice.path, explicit: true };
  }
  if (choice?.kind === 'other') {
    const why = `The remote docker CLI uses ${choice.host}, which is not a unix socket.`;
    await withoutForwarding(conn, socket, cli, why, d, put, t);
    putCli(put, cli, cliMs, false, conn.host.user);
    return;
  }
  let forwardError: string;
  try {
    const ch = await openStreamLocal(conn.client, socket, d);
    const ping = await pingOrTimeout(ch, d);
    closeQuietly(ch);
    put({
      id: 'dockerSocket',
      status: 'ok',
      note: 'socketForwarded',
      params: { path: socket.path },
      route: 'streamlocal',
      durationMs: Date.now() - t,
    });
    put(daemonStep(ping, Date.now() - t, 'streamlocal'));
    putCli(put, cli, cliMs, true, conn.host.user);
    return;
  } catch (e) {
    if (isCancelled(e)) {
      throw e;
    }
    forwardError = describeError(e);
  }
  await withoutForwarding(conn, socket, cli, forwardError, d, put, t);
  putCli(put, cli, cliMs, false, conn.host.user);
}

async function pingOrTimeout(ch: ClientChannel, d: ChannelDeadline): Promise<Ping> {
  try {
    return await pingChannel(ch, d);
  } catch (e) {
    if (isCancelled(e)) {
      throw e;
    }
    return { kind: 'timeout', timeoutMs: d.timeoutMs };
  }
}

function daemonStep(ping: Ping, durationMs: number, route: SshRoute): DiagnoseStep {
  const base = { id: 'daemon' as const, route, durationMs };
  switch (ping.kind) {
    case 'answer':
      return ping.status === 200
        ? { ...base, status: 'ok', note: 'pingOk', params: { apiVersion: ping.apiVersion } }
        : { ...base, status: 'failed', reason: 'engineApiError', note: 'badStatus', params: { status: ping.status } };
    case 'timeout':
      return {
        ...base,
        status: 'failed',
        reason: 'timeout',
        note: 'pingTimeout',
        params: { timeoutMs: ping.timeoutMs },
      };
    default:
      return {
        ...base,
        status: 'failed',
        reason: 'daemonNotRunning',
        note: 'noAnswer',
        fix: { kind: 'startDaemon', command: START_DAEMON_COMMAND },
      };
  }
}

/** dial-stdio with the one command, its stderr and exit status kept, and the one ping. */
async function dialAndPing(conn: SshConnection, socket: RemoteSocket, d: ChannelDeadline): Promise<Dial> {
  let ch: ClientChannel;
  try {
    ch = await openDialStdio(conn.client, socket, d);
  } catch (e) {
    if (isCancelled(e)) {
      throw e;
    }
    return { ping: { kind: 'error', error: e }, stderr: describeError(e), code: undefined };
  }
  const dial: Dial = { ping: { kind: 'ended' }, stderr: '', code: undefined };
  ch.stderr.on('data', (b: Buffer) => {
    if (dial.stderr.length < 4096) {
      dial.stderr += b.toString('utf8');
    }
  });
  ch.on('exit', (code: number | null) => {
    dial.code = code;
  });
  dial.ping = await pingOrTimeout(ch, d);
  closeQuietly(ch);
  return dial;
}

async function withoutForwarding(
  conn: SshConnection,
  socket: RemoteSocket,
  cli: CliProbe,
  forwardError: string,
  d: ChannelDeadline,
  put: Put,
  startedAt: number,
): Promise<void> {
  const probe = cli.status === 'shellNotPosix' ? undefined : await probeRemoteSocket(conn.client, socket, d);
  const dial = cli.status === 'found' ? await dialAndPing(conn, socket, d) : undefined;
  const durationMs = Date.now() - startedAt;
  if (dial?.ping.kind === 'answer') {
    // The daemon answered through the docker CLI on the remote. Without a path in the URL,
    // dial-stdio talks to whatever the remote's own DOCKER_HOST / context says.
    const samePath = socket.explicit || probe?.kind === 'socket';
    put(
      samePath
        ? {
            id: 'dockerSocket',
            status: 'warning',
            reason: 'streamLocalForbidden',
            note: 'forwardingRefused',
            params: { path: socket.path, message: forwardError },
            route: 'dial-stdio',
            fix: { kind: 'allowStreamLocalForwarding', command: ALLOW_STREAMLOCAL_LINE },
            durationMs,
          }
        : {
            id: 'dockerSocket',
            status: 'ok',
            note: 'remoteDefault',
            params: { path: socket.path },
            route: 'dial-stdio',
            durationMs,
          },
    );
    put(daemonStep(dial.ping, 0, 'dial-stdio'));
    return;
  }
  const ctx: SocketContext = {
    socketPath: socket.path,
    local: false,
    where: `${conn.host.user}@${conn.host.hostname}:${conn.host.port}`,
    daemonSeen: false,
    base: {},
  };
  const dialErr = dial ? dialStdioError(dial.stderr, dial.code, ctx) : undefined;
  const facts: Unanswered = {
    probe,
    dialReason: dialErr?.reason,
    dialTried: dial !== undefined,
    // dial-stdio names the socket it really tried (the remote DOCKER_HOST may differ from ours).
    path: typeof dialErr?.details.path === 'string' ? dialErr.details.path : socket.path,
    stderr: dial ? firstLine(dial.stderr) || undefined : undefined,
    installed: cli.status === 'found' || cli.status === 'offPath',
    user: conn.host.user,
    forwardError,
  };
  for (const step of unansweredSteps(facts, socket)) {
    put({ ...step, durationMs: step.id === 'daemon' ? 0 : durationMs });
  }
}

/** What is known when neither forwarding nor dial-stdio reached a daemon. */
interface Unanswered {
  probe: SocketFacts | undefined;
  dialReason: Reason | undefined;
  dialTried: boolean;
  path: string;
  stderr: string | undefined;
  installed: boolean;
  user: string;
  forwardError: string;
}

/** The dockerSocket (and, for a stale socket, daemon) steps when nothing answered. */
function unansweredSteps(f: Unanswered, socket: RemoteSocket): DiagnoseStep[] {
  const failed = (s: Omit<DiagnoseStep, 'id' | 'status' | 'durationMs'>): DiagnoseStep[] => [
    {
      id: 'dockerSocket',
      status: 'failed',
      ...(f.dialTried ? { route: 'dial-stdio' as const } : {}),
      ...s,
      durationMs: 0,
    },
  ];
  const probe = f.probe;
  if (
    f.dialReason === 'dockerSocketPermission' ||
    probe?.lsDenied ||
    (probe?.kind === 'socket' && probe.access === 'denied')
  ) {
    return failed(permissionStep(probe, f.user, f.path, f.stderr));
  }
  if (f.dialReason === 'daemonNotRunning' || f.dialReason === 'dockerSocketMissing' || probe?.kind === 'missing') {
    if (probe?.kind === 'socket' && probe.access === 'rw') {
      // A socket file nobody listens on: left behind by a daemon that stopped.
      return [
        {
          id: 'dockerSocket',
          status: 'ok',
          note: 'socketAccessible',
          params: { path: f.path, user: probe.user ?? f.user },
          durationMs: 0,
        },
        {
          id: 'daemon',
          status: 'failed',
          reason: 'daemonNotRunning',
          note: 'staleSocket',
          params: { path: f.path, stderr: f.stderr },
          fix: { kind: 'startDaemon', command: START_DAEMON_COMMAND },
          durationMs: 0,
        },
      ];
    }
    return failed(
      f.installed
        ? {
            reason: 'daemonNotRunning',
            note: 'noDaemon',
            params: { path: f.path, stderr: f.stderr },
            fix: { kind: 'startDaemon', command: START_DAEMON_COMMAND },
          }
        : { reason: 'dockerSocketMissing', note: 'noDocker', params: { path: f.path }, fix: { kind: 'installDocker' } },
    );
  }
  if (probe?.kind === 'other') {
    return failed({ reason: 'dockerSocketMissing', note: 'notSocket', params: { path: socket.path, ls: probe.ls } });
  }
  if (probe?.kind === 'socket' && probe.access === 'rw') {
    return failed({
      reason: 'streamLocalForbidden',
      note: 'forwardingRefusedNoCli',
      params: { path: socket.path, message: f.forwardError },
      fix: { kind: 'allowStreamLocalForwarding', command: ALLOW_STREAMLOCAL_LINE },
    });
  }
  return failed({
    reason: f.dialTried ? 'engineApiError' : 'streamLocalForbidden',
    note: 'unreachable',
    params: { path: socket.path, message: f.forwardError, stderr: f.stderr },
  });
}

function permissionStep(
  probe: SocketFacts | undefined,
  user: string,
  path: string,
  stderr: string | undefined,
): Omit<DiagnoseStep, 'id' | 'status' | 'durationMs'> {
  const group = probe?.group && probe.group !== 'root' ? probe.group : 'docker';
  const who = probe?.user ?? user;
  const command = addToGroupCommand(group, who);
  return {
    reason: 'dockerSocketPermission',
    note: 'permission',
    params: { user: who, path, group, groups: probe?.groups, ls: probe?.ls, stderr },
    fix: command ? { kind: 'addToDockerGroup', command } : { kind: 'addToDockerGroup' },
  };
}

function closeQuietly(ch: ClientChannel): void {
  try {
    ch.close();
  } catch {
    // the connection is already gone
  }
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}
