/**
 * Diagnose for a host that only the system's OpenSSH client reaches as the docker CLI does (host
 * certificates, FIDO keys, PKCS#11, GSSAPI, user certificates: src/core/ssh/systemSshNeed.ts).
 * ssh2 would report such a host's key as unknown or its login as refused although `docker
 * --context X` works, so the steps are taken the way the engine pool takes them for this host:
 * `ssh -o BatchMode=yes … docker system dial-stdio` (systemSshLink.ts), then `HEAD /_ping`.
 *
 * OpenSSH does not say how far it got, so a failure is put on the step its reason belongs to
 * (a refused connection on tcp, a host key on hostKey, a refused login on auth, the docker
 * command on dockerCli, the socket on dockerSocket) and the steps before it are `ok`.
 */
import type { Duplex } from 'node:stream';
import { CoreError, describeError, isCancelled, type Reason } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import { withDeadline } from '../engine/deadline';
import { engineRequest } from '../engine/engineHttp';
import { SystemSshLink, type SystemSshTarget } from '../engine/systemSshLink';
import type { DiagnoseStep, DiagnoseStepId } from './diagnoseTypes';
import { fixFor } from './fixFor';

export interface SystemSshDiagnoseOptions {
  /** The remote socket the context names (the URL's path); else the remote CLI's default. */
  socketPath?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
}

/** The step a failure of OpenSSH or of dial-stdio belongs to. */
function stepOf(reason: Reason): DiagnoseStepId {
  switch (reason) {
    case 'connectionRefused':
    case 'timeout':
    case 'hostUnreachable':
    case 'dnsFailed':
    case 'notSsh':
      return 'tcp';
    case 'hostKeyUnknown':
    case 'hostKeyChanged':
    case 'hostKeyRevoked':
    case 'hostKeyRejected':
      return 'hostKey';
    case 'authFailed':
    case 'keyPassphraseRequired':
    case 'keyPassphraseWrong':
      return 'auth';
    case 'dockerCliMissing':
      return 'dockerCli';
    case 'dockerSocketMissing':
    case 'dockerSocketPermission':
      return 'dockerSocket';
    default:
      return 'daemon';
  }
}

const ORDER: readonly DiagnoseStepId[] = ['tcp', 'hostKey', 'auth', 'dockerCli', 'dockerSocket', 'daemon'];

/** tcp … daemon through the system ssh client; `put` receives each step found. */
export async function diagnoseThroughSystemSsh(
  target: SystemSshTarget,
  o: SystemSshDiagnoseOptions,
  put: (s: DiagnoseStep) => void,
): Promise<void> {
  const logger = o.logger ?? nullLogger;
  const timeoutMs = o.timeoutMs ?? 15_000;
  const link = new SystemSshLink(target, o.socketPath, { transport: 'system-ssh', why: target.why }, logger);
  const t = Date.now();
  let apiVersion: string | undefined;
  let failure: CoreError | undefined;
  let channel: Duplex | undefined;
  try {
    channel = await withDeadline(link.openChannel(), { timeoutMs, signal: o.signal });
    // The process ends when the link closes below: its stream's late "premature close" is expected.
    channel.on('error', () => undefined);
    const stream = channel;
    const r = await engineRequest({
      // One request on this process's stream: no agent, the stream is the connection.
      base: { createConnection: () => stream },
      method: 'HEAD',
      path: '/_ping',
      timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
      mapError: (e: unknown, _s: Duplex | undefined) => link.lostError(e),
    });
    const v = r.headers['api-version'];
    apiVersion = typeof v === 'string' ? v : undefined;
  } catch (e) {
    if (isCancelled(e)) {
      throw e;
    }
    failure = e instanceof CoreError ? e : await link.lostError(e);
    logger.debug(`diagnose ${target.destination} through ssh: ${describeError(failure)}`);
  } finally {
    channel?.destroy();
    link.close();
  }
  const durationMs = Date.now() - t;
  const failedAt = failure ? stepOf(failure.reason) : undefined;
  for (const id of ORDER) {
    if (failure && id === failedAt) {
      // OpenSSH decides trust here: no "trust this key" offer (the reason's text says to run ssh).
      const fix = failure.reason === 'hostKeyUnknown' ? undefined : fixFor(failure);
      put({
        id,
        status: 'failed',
        reason: failure.reason,
        note: 'connectError',
        params: { ...failure.details, transport: 'system-ssh', why: target.why },
        ...(fix ? { fix } : {}),
        durationMs,
      });
      return;
    }
    put(okStep(id, target, o.socketPath, apiVersion, durationMs));
  }
}

/** A step that passed: OpenSSH logged in (its own trust and keys) and dial-stdio answered. */
function okStep(
  id: DiagnoseStepId,
  target: SystemSshTarget,
  socketPath: string | undefined,
  apiVersion: string | undefined,
  durationMs: number,
): DiagnoseStep {
  const h = target.host;
  // Only the daemon step carries the time: OpenSSH does not say how long each stage took.
  const base = { status: 'ok' as const, durationMs: id === 'daemon' ? durationMs : 0 };
  switch (id) {
    case 'tcp':
      return { id, ...base, note: 'reached', params: { host: h.hostname, port: h.port } };
    case 'hostKey':
    case 'auth':
      return { id, ...base, note: 'systemSsh', params: { user: h.user, why: target.why, binary: target.binary } };
    case 'dockerCli':
      return { id, ...base, note: 'cliFound', params: { path: 'docker' } };
    case 'dockerSocket':
      return { id, ...base, note: 'dialStdioOk', params: socketPath ? { path: socketPath } : {}, route: 'dial-stdio' };
    default:
      return { id, ...base, note: 'pingOk', params: apiVersion ? { apiVersion } : {}, route: 'dial-stdio' };
  }
}
