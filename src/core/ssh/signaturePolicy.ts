/**
 * PubkeyAcceptedAlgorithms on the client side: which keys are offered and which signatures are
 * made. ssh2 picks an RSA key's signature from the server's `server-sig-algs` and falls back to
 * `ssh-rsa` (SHA-1) when the server names no SHA-2 one; OpenSSH ≥ 8.8 does not sign with SHA-1
 * unless the configuration allows `ssh-rsa`. The agents (agents.ts) ask this policy before they
 * offer a key and before they sign, and a refusal is remembered so the failure can say why.
 */
import { CoreError, type ErrorDetails } from '../common/errors';
import { DEFAULT_KEY_ALGORITHMS } from '../sshConfig/sshAlgorithms';

/** The signature algorithm a key of `keyType` makes with ssh2's `hash` choice. */
export function signatureAlgorithm(keyType: string, hash: string | undefined): string {
  if (keyType !== 'ssh-rsa') {
    return keyType;
  }
  return hash === 'sha256' ? 'rsa-sha2-256' : hash === 'sha512' ? 'rsa-sha2-512' : 'ssh-rsa';
}

export class SignaturePolicy {
  /** The first signature refused (e.g. `ssh-rsa`), for the failure's reason. */
  refused: string | undefined;
  private readonly accepted: readonly string[];

  constructor(accepted: readonly string[] | undefined) {
    this.accepted = accepted ?? DEFAULT_KEY_ALGORITHMS;
  }

  /** A key is offered when some signature it can make is accepted. */
  offers(keyType: string): boolean {
    const possible = keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
    return possible.some((a) => this.accepted.includes(a));
  }

  /** Whether to sign; a refusal is remembered. */
  signs(keyType: string, hash: string | undefined): boolean {
    const alg = signatureAlgorithm(keyType, hash);
    if (this.accepted.includes(alg)) {
      return true;
    }
    this.refused ??= alg;
    return false;
  }

  /** authFailed that names the refused signature, when one was refused. */
  failure(where: ErrorDetails): CoreError | undefined {
    if (this.refused === undefined) {
      return undefined;
    }
    return new CoreError(
      'authFailed',
      `The server asked for ${this.refused} signatures, which PubkeyAcceptedAlgorithms does not allow${this.refused === 'ssh-rsa' ? ' (RSA with SHA-1, off since OpenSSH 8.8)' : ''}.`,
      { ...where, detail: 'signatureAlgorithm', algorithm: this.refused },
    );
  }
}
