/**
 * "Why does `docker --context X` not work?" answered one step at a time: name resolution, the
 * SSH server, the host key, authentication (this file), then the docker CLI on the remote PATH,
 * the Docker socket and the daemon (diagnoseDocker.ts, by the same way to the socket as the
 * engine pool). Steps carry reason and note codes with parameters; the UI writes the sentences.
 *
 * resolve/tcp/hostKey/auth are `ok` or `failed`; every step after a failed one is `skipped`
 * (`resolve` is `skipped` when a ProxyJump host resolves the name).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CoreError, describeError, isCancelled } from '../common/errors';
import { nullLogger } from '../common/log';
import { withDeadline } from '../engine/deadline';
import type { SystemSshTarget } from '../engine/systemSshLink';
import {
  connectSsh,
  parseProxyJump,
  type ConnectOptions,
  type ConnectStage,
  type SshConnection,
} from '../ssh/connection';
import { diagnoseDocker } from './diagnoseDocker';
import { STEP_ORDER, type DiagnoseStep, type DiagnoseStepId } from './diagnoseTypes';
import { fixFor } from './fixFor';
import { diagnoseThroughSystemSsh } from './diagnoseSystemSsh';

export type { DiagnoseFix, DiagnoseNote, DiagnoseStep, DiagnoseStepId } from './diagnoseTypes';

export type DiagnoseOptions = ConnectOptions & {
  /** The remote socket the contexts name (the URL's path); else the default socket. */
  socketPath?: string;
  /**
   * Set when the host is one only the system's ssh client reaches as the docker CLI does
   * (systemSshNeed.ts): the steps after `resolve` go through it, as the engine's do.
   */
  systemSsh?: SystemSshTarget;
};

export async function diagnoseHost(options: DiagnoseOptions): Promise<DiagnoseStep[]> {
  const steps = new Map<DiagnoseStepId, DiagnoseStep>();
  const put = (s: DiagnoseStep): void => {
    steps.set(s.id, s);
  };
  const result = (): DiagnoseStep[] =>
    STEP_ORDER.map((id) => steps.get(id) ?? { id, status: 'skipped' as const, durationMs: 0 });
  const host = options.host;
  const logger = options.logger ?? nullLogger;
  const logSteps = (): void =>
    logger.debug(
      `diagnose ${host.alias}: ${result()
        .map((s) => `${s.id}=${s.status}${s.reason ? `(${s.reason})` : ''}${s.route ? `[${s.route}]` : ''}`)
        .join(' ')}`,
    );

  if (!(await diagnoseResolve(options, put))) {
    return result();
  }
  if (options.systemSsh) {
    await diagnoseThroughSystemSsh(
      options.systemSsh,
      {
        ...(options.socketPath ? { socketPath: options.socketPath } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        logger,
      },
      put,
    );
    logSteps();
    return result();
  }
  const conn = await diagnoseLogin(options, put);
  if (!conn) {
    return result();
  }
  try {
    await diagnoseDocker(conn, options, put);
  } finally {
    conn.close();
  }
  logSteps();
  return result();
}

/** The resolve step; false when it failed (nothing else can run). */
async function diagnoseResolve(options: DiagnoseOptions, put: (s: DiagnoseStep) => void): Promise<boolean> {
  const host = options.host;
  const t = Date.now();
  if (parseProxyJump(host.proxyJump).length > 0) {
    put({ id: 'resolve', status: 'skipped', note: 'viaJump', params: { proxyJump: host.proxyJump }, durationMs: 0 });
    return true;
  }
  if (isIP(host.hostname)) {
    put({ id: 'resolve', status: 'ok', note: 'address', params: { host: host.hostname }, durationMs: 0 });
    return true;
  }
  try {
    const addr = await withDeadline(lookup(host.hostname), {
      timeoutMs: options.timeoutMs ?? 15_000,
      signal: options.signal,
    });
    put({
      id: 'resolve',
      status: 'ok',
      note: 'resolved',
      params: { host: host.hostname, address: addr.address },
      durationMs: Date.now() - t,
    });
    return true;
  } catch (e) {
    if (isCancelled(e)) {
      throw e;
    }
    const code = (e as { code?: unknown }).code;
    put({
      id: 'resolve',
      status: 'failed',
      reason: CoreError.is(e, 'timeout') ? 'timeout' : 'dnsFailed',
      note: 'connectError',
      params: { host: host.hostname, ...(typeof code === 'string' ? { code } : {}) },
      fix: { kind: 'checkHostName' },
      durationMs: Date.now() - t,
    });
    return false;
  }
}

/** tcp, hostKey, auth: one connection, split by the stages it passed. Undefined when it failed. */
async function diagnoseLogin(
  options: DiagnoseOptions,
  put: (s: DiagnoseStep) => void,
): Promise<SshConnection | undefined> {
  const host = options.host;
  const reached = new Set<ConnectStage>();
  const stageTimes: Partial<Record<ConnectStage, number>> = {};
  const t = Date.now();
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
    const err = e instanceof CoreError ? e : new CoreError('internal', describeError(e), { message: describeError(e) });
    recordConnectFailure(err, reached, stageTimes, t, put);
    return undefined;
  }
  const greetAt = stageTimes.greeting ?? Date.now();
  const keyAt = stageTimes.hostKey ?? greetAt;
  const authAt = stageTimes.auth ?? keyAt;
  put({
    id: 'tcp',
    status: 'ok',
    note: 'reached',
    params: { host: host.hostname, port: host.port, via: conn.jumpHosts.join(' → ') || undefined },
    durationMs: greetAt - t,
  });
  put({
    id: 'hostKey',
    status: 'ok',
    note: 'hostKey',
    params: { keyType: conn.hostKey.type, fingerprint: conn.hostKey.fingerprint, outcome: conn.hostKey.outcome },
    durationMs: keyAt - greetAt,
  });
  put({
    id: 'auth',
    status: 'ok',
    note: 'loggedIn',
    params: { user: host.user, method: conn.authMethod, identityFile: conn.identityFile },
    durationMs: authAt - keyAt,
  });
  return conn;
}

function recordConnectFailure(
  err: CoreError,
  reached: Set<ConnectStage>,
  times: Partial<Record<ConnectStage, number>>,
  startedAt: number,
  put: (s: DiagnoseStep) => void,
): void {
  const now = Date.now();
  const failed = { status: 'failed' as const, reason: err.reason, note: 'connectError' as const, params: err.details };
  const fix = fixFor(err);
  const withFix = fix ? { ...failed, fix } : failed;
  if (!reached.has('greeting')) {
    put({ id: 'tcp', ...withFix, durationMs: now - startedAt });
    return;
  }
  const greetAt = times.greeting ?? startedAt;
  put({ id: 'tcp', status: 'ok', durationMs: greetAt - startedAt });
  if (!reached.has('hostKey')) {
    put({ id: 'hostKey', ...withFix, durationMs: now - greetAt });
    return;
  }
  const keyAt = times.hostKey ?? greetAt;
  put({ id: 'hostKey', status: 'ok', durationMs: keyAt - greetAt });
  put({ id: 'auth', ...withFix, durationMs: now - keyAt });
}
