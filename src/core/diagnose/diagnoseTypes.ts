/**
 * What diagnose reports: per step a status, a reason code, a note code and its parameters, the
 * route to the socket, and a fix. No sentences: the UI makes them (and translates them).
 */
import type { ErrorDetails, Reason } from '../common/errors';
import type { SshRoute } from '../engine/remoteSocket';

export type DiagnoseStepId = 'resolve' | 'tcp' | 'hostKey' | 'auth' | 'dockerCli' | 'dockerSocket' | 'daemon';

export const STEP_ORDER: readonly DiagnoseStepId[] = [
  'resolve',
  'tcp',
  'hostKey',
  'auth',
  'dockerCli',
  'dockerSocket',
  'daemon',
];

/**
 * What a step found, for the UI's sentence; `params` holds its facts:
 * - resolve: `viaJump` {proxyJump}, `address` {host}, `resolved` {host, address}
 * - tcp: `reached` {host, port, via}; hostKey: `hostKey` {keyType, fingerprint, outcome};
 *   auth: `loggedIn` {user, method, identityFile}; hostKey and auth through the system's ssh
 *   client (OpenSSH's own trust and keys): `systemSsh` {user, why, binary}
 * - any connection step that failed: `connectError` (params = the error's details)
 * - dockerCli: `cliFound` {path}, `cliOffPath` {path}, `cliMissing` {forwarded},
 *   `shellNotPosix` {user, output}
 * - dockerSocket: `socketForwarded` {path}, `dialStdioOk` {path?} (dial-stdio answered), `forwardingRefused` {path} (dial-stdio works),
 *   `remoteDefault` {path} (dial-stdio reached the remote's own default endpoint), `permission`
 *   {user, path, group, groups, ls, stderr}, `socketAccessible` {path, user}, `noDaemon` {path,
 *   stderr}, `noDocker` {path}, `notSocket` {path, ls}, `forwardingRefusedNoCli` {path},
 *   `unreachable` {path, message, stderr}, `pathInvalid` {path}
 * - daemon: `pingOk` {apiVersion}, `noAnswer`, `badStatus` {status}, `staleSocket` {path,
 *   stderr}, `pingTimeout` {timeoutMs}
 */
export type DiagnoseNote =
  | 'viaJump'
  | 'address'
  | 'resolved'
  | 'reached'
  | 'hostKey'
  | 'loggedIn'
  | 'systemSsh'
  | 'connectError'
  | 'cliFound'
  | 'cliOffPath'
  | 'cliMissing'
  | 'shellNotPosix'
  | 'socketForwarded'
  | 'dialStdioOk'
  | 'forwardingRefused'
  | 'remoteDefault'
  | 'permission'
  | 'socketAccessible'
  | 'noDaemon'
  | 'noDocker'
  | 'notSocket'
  | 'forwardingRefusedNoCli'
  | 'unreachable'
  | 'pathInvalid'
  | 'pingOk'
  | 'noAnswer'
  | 'badStatus'
  | 'staleSocket'
  | 'pingTimeout';

export interface DiagnoseFix {
  kind: string;
  /** A command to show and copy (never run by the extension); its values are shell-quoted. */
  command?: string;
  /** For kinds whose text names a value that is not a command (addDockerToRemotePath: the directory). */
  value?: string;
}

export interface DiagnoseStep {
  id: DiagnoseStepId;
  status: 'ok' | 'failed' | 'skipped' | 'warning';
  reason?: Reason;
  note?: DiagnoseNote;
  /** Facts for the note's sentence: names, paths, remote output (data, never UI text). */
  params?: ErrorDetails;
  /** How the Docker socket was reached (dockerSocket and daemon steps). */
  route?: SshRoute;
  fix?: DiagnoseFix;
  durationMs: number;
}
