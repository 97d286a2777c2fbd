/** The fix a diagnose step offers for a failed connection step, by the error's reason. */
import type { CoreError } from '../common/errors';
import type { DiagnoseFix } from './diagnoseTypes';
import { removeKnownHostCommand, START_SSH_COMMAND } from './fixCommands';

export function fixFor(err: CoreError): DiagnoseFix | undefined {
  switch (err.reason) {
    case 'connectionRefused':
      return { kind: 'startSshServer', command: START_SSH_COMMAND };
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
      const name = err.details.name;
      const command = typeof name === 'string' ? removeKnownHostCommand(name) : undefined;
      return command ? { kind: 'removeKnownHost', command } : { kind: 'removeKnownHost' };
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
