/**
 * The host key decision for one ssh2 connection: ssh2 verifies nothing by itself, so every
 * connection this project opens passes `verifier` as ssh2's `hostVerifier` and `algorithms` as
 * `algorithms.serverHostKey`. The handshake waits for the verifier's answer, so the user can be
 * asked about an unknown key before any password or key is offered to the server.
 */
import { CoreError, describeError } from '../common/errors';
import { nullLogger, type Logger } from '../common/log';
import {
  addKnownHost,
  checkHostKey,
  hostKeyAlgorithmsFor,
  hostKeyFingerprint,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  type HostKeyCheck,
  type HostKeyTarget,
} from './knownHosts';

/** StrictHostKeyChecking (ssh_config(5)); `off` is read as `no` by `strictModeFromConfig`. */
export type StrictMode = 'yes' | 'no' | 'accept-new' | 'ask';

export interface HostKeyDecisionRequest {
  host: string;
  port: number;
  /** The name the key will be stored under (HostKeyAlias or `[host]:port`). */
  name: string;
  keyType: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export interface HostVerifierOptions {
  target: HostKeyTarget;
  strict: StrictMode;
  hashKnownHosts: boolean;
  /** Asked only for an unknown key in 'ask' mode; resolve true to trust (it is then written to known_hosts). */
  confirmUnknownKey?: (req: HostKeyDecisionRequest) => Promise<boolean>;
  logger?: Logger;
}

export type HostKeyOutcome = 'trusted' | 'added' | 'rejected';

/** What happened, for the diagnose report. */
export interface HostKeyReport {
  name: string;
  keyType: string;
  fingerprint: string;
  /** The known_hosts verdict before any key was added. */
  check?: HostKeyCheck;
  outcome: HostKeyOutcome;
  /** Where an accepted unknown key was written. */
  added?: { file: string; line: number };
}

export interface HostVerifier {
  /** For ssh2's `hostVerifier` (the asynchronous `(key, callback)` form). */
  verifier: (key: Buffer, callback: (ok: boolean) => void) => void;
  /** For ssh2's `algorithms.serverHostKey`: the types known_hosts holds for the host, or undefined. */
  algorithms: string[] | undefined;
  /** Why the key was refused, to throw instead of ssh2's generic handshake error. */
  failure(): CoreError | undefined;
  outcome(): HostKeyOutcome | undefined;
  report(): HostKeyReport | undefined;
}

/** Maps a StrictHostKeyChecking value (as written or as `ssh -G` prints it) to a mode; default ask. */
export function strictModeFromConfig(value: string | undefined): StrictMode {
  switch (value?.trim().toLowerCase()) {
    case 'yes':
    case 'true':
      return 'yes';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    default:
      return 'ask';
  }
}

/**
 * Prepares the verifier for one connection (create a new one per connection): reads the key types known for the host (to pin the
 * algorithms) and returns the callback ssh2 calls with the presented key.
 *
 * Modes: `yes` refuses unknown keys; `accept-new` and `no` add unknown keys; `ask` asks through
 * `confirmUnknownKey` (refusing when there is none). Changed and revoked keys are refused in
 * every mode. OpenSSH's `no` would connect to a changed key with restrictions (no agent or X11
 * forwarding, no password); this project refuses instead, because the connection carries Docker
 * API access, which is root on the remote machine, and a password may follow.
 *
 * An accepted unknown key that cannot be written to known_hosts refuses the connection
 * (`fileUnwritable`): ssh would go on with a warning, but the docker CLI, which runs ssh with
 * its own known_hosts check, could then not use the host, and the user would be asked again
 * every time.
 */
export async function createHostVerifier(options: HostVerifierOptions): Promise<HostVerifier> {
  // The decision, report and failure are shared by the closures ssh2 calls, so they live here together.
  const log = options.logger ?? nullLogger;
  const target = options.target;
  const name = knownHostsName(target);
  const algorithms = hostKeyAlgorithmsFor(await knownKeyTypes(target));
  log.debug(`Host key algorithms for ${name}: ${algorithms ? algorithms.join(',') : 'ssh2 defaults (no key known)'}`);

  let failure: CoreError | undefined;
  let report: HostKeyReport | undefined;
  // ssh2 asks again on every re-key; the same key gets the same answer without a second prompt.
  let decided: { key: Buffer; ok: boolean } | undefined;
  let outcome: HostKeyOutcome | undefined;

  const decide = async (key: Buffer): Promise<boolean> => {
    // OpenSSH's check order (revoked, known, changed, unknown by mode) as one decision list.
    const keyType = keyTypeOfBlob(key);
    const fingerprint = hostKeyFingerprint(key);
    const details = { host: target.host, port: target.port, name, keyType, fingerprint };
    const reject = (error: CoreError, check?: HostKeyCheck): boolean => {
      failure = error;
      report = { name, keyType, fingerprint, check, outcome: 'rejected' };
      log.warn(error.message);
      return false;
    };

    const check = await checkHostKey(target, key);
    switch (check.status) {
      case 'trusted':
        report = { name, keyType, fingerprint, check, outcome: 'trusted' };
        log.info(`Host key ${keyType} ${fingerprint} for ${name} is known (${check.file}:${check.line}).`);
        return true;
      case 'revoked':
        return reject(
          new CoreError(
            'hostKeyRevoked',
            `The host key ${keyType} ${fingerprint} of ${name} is marked @revoked in ${check.file}:${check.line}.`,
            {
              ...details,
              file: check.file,
              line: check.line,
            },
          ),
          check,
        );
      case 'changed':
        return reject(
          new CoreError(
            'hostKeyChanged',
            `The host key of ${name} has changed: the server presented ${keyType} ${fingerprint}, but ${check.file}:${check.line} holds another ${check.knownType} key.`,
            { ...details, file: check.file, line: check.line, knownType: check.knownType },
          ),
          check,
        );
      case 'unknown':
        break;
    }

    if (options.strict === 'yes') {
      return reject(
        new CoreError(
          'hostKeyUnknown',
          `The host key ${keyType} ${fingerprint} of ${name} is not in known_hosts and StrictHostKeyChecking is yes.`,
          details,
        ),
        check,
      );
    }
    if (options.strict === 'ask') {
      if (!options.confirmUnknownKey) {
        return reject(
          new CoreError(
            'hostKeyUnknown',
            `The host key ${keyType} ${fingerprint} of ${name} is not in known_hosts.`,
            details,
          ),
          check,
        );
      }
      let answer: boolean;
      try {
        answer = await options.confirmUnknownKey({ host: target.host, port: target.port, name, keyType, fingerprint });
      } catch (e) {
        if (e instanceof CoreError) {
          return reject(e, check); // e.g. cancelled
        }
        return reject(
          new CoreError('hostKeyRejected', `The host key of ${name} was not confirmed.`, details, { cause: e }),
          check,
        );
      }
      if (answer !== true) {
        return reject(
          new CoreError(
            'hostKeyRejected',
            `The host key ${keyType} ${fingerprint} of ${name} was not trusted.`,
            details,
          ),
          check,
        );
      }
    }

    let added: { file: string; line: number };
    try {
      added = await addKnownHost(target, key, { hash: options.hashKnownHosts });
    } catch (e) {
      const error =
        e instanceof CoreError
          ? e
          : new CoreError('fileUnwritable', `Cannot add the host key of ${name} to known_hosts.`, details, {
              cause: e,
            });
      return reject(error, check);
    }
    report = { name, keyType, fingerprint, check, outcome: 'added', added };
    log.info(`Added host key ${keyType} ${fingerprint} for ${name} to ${added.file}:${added.line}.`);
    return true;
  };

  const verifier = (key: Buffer, callback: (ok: boolean) => void): void => {
    if (decided) {
      if (decided.key.equals(key)) {
        callback(decided.ok);
        return;
      }
      // A different key on a re-key of the same connection is never acceptable.
      failure = new CoreError('hostKeyChanged', `The host key of ${name} changed during the connection.`, {
        host: target.host,
        port: target.port,
        name,
        fingerprint: safeFingerprint(key),
      });
      outcome = 'rejected';
      callback(false);
      return;
    }
    const presented = Buffer.from(key);
    void decide(presented)
      .catch((e: unknown) => {
        failure =
          e instanceof CoreError
            ? e
            : new CoreError(
                'internal',
                `The host key of ${name} could not be checked.`,
                { host: target.host, port: target.port, name },
                { cause: e },
              );
        log.error(failure.message);
        return false;
      })
      .then((ok) => {
        decided = { key: presented, ok };
        outcome = ok ? (report?.outcome ?? 'trusted') : 'rejected';
        callback(ok);
      })
      // Whatever ssh2 does in its callback must not become an unhandled rejection here.
      .catch((e: unknown) => log.error(`ssh2 failed after the host key decision for ${name}: ${describeError(e)}`));
  };

  return {
    verifier,
    algorithms,
    failure: () => failure,
    outcome: () => outcome,
    report: () => report,
  };
}

function safeFingerprint(key: Buffer): string {
  try {
    return hostKeyFingerprint(key);
  } catch {
    return '';
  }
}
