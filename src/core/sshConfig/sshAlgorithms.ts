/**
 * HostKeyAlgorithms, PubkeyAcceptedAlgorithms, KexAlgorithms, Ciphers and MACs as OpenSSH 9.2
 * assembles them
 * (kex_assemble_names): the default list, changed by `+` (append), `-` (remove, patterns
 * allowed) or `^` (put first), or replaced by a list; then every entry, a pattern or a name,
 * expanded against the algorithms the client knows, in that order, without repeats. ssh -G
 * prints the result; the builtin resolver computes it here (the differential test compares).
 *
 * The defaults are those of OpenSSH ≥ 8.8: no `ssh-rsa` (RSA with SHA-1) and no `ssh-dss`.
 */
import { matchPattern } from './sshPattern';

/** `ssh -Q HostKeyAlgorithms` of OpenSSH 9.2 (also what PubkeyAcceptedAlgorithms may name). */
export const ALL_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-dss',
  'ssh-dss-cert-v01@openssh.com',
  'ssh-rsa',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512',
  'rsa-sha2-512-cert-v01@openssh.com',
];

/** OpenSSH 9.2's default for both keywords (KEX_DEFAULT_PK_ALG), as `ssh -G` prints it. */
export const DEFAULT_KEY_ALGORITHMS = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'rsa-sha2-512',
  'rsa-sha2-256',
];

/** `ssh -Q kex` of OpenSSH 9.2. */
export const ALL_KEX = [
  'diffie-hellman-group1-sha1',
  'diffie-hellman-group14-sha1',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group-exchange-sha1',
  'diffie-hellman-group-exchange-sha256',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'sntrup761x25519-sha512',
  'sntrup761x25519-sha512@openssh.com',
];

/** OpenSSH 9.2's default KexAlgorithms. */
export const DEFAULT_KEX = [
  'sntrup761x25519-sha512',
  'sntrup761x25519-sha512@openssh.com',
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group-exchange-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
  'diffie-hellman-group14-sha256',
];

/** `ssh -Q cipher` of OpenSSH 9.2. */
export const ALL_CIPHERS = [
  '3des-cbc',
  'aes128-cbc',
  'aes192-cbc',
  'aes256-cbc',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
];

/** OpenSSH 9.2's default Ciphers. */
export const DEFAULT_CIPHERS = [
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
];

/** `ssh -Q mac` of OpenSSH 9.2. */
export const ALL_MACS = [
  'hmac-sha1',
  'hmac-sha1-96',
  'hmac-sha2-256',
  'hmac-sha2-512',
  'hmac-md5',
  'hmac-md5-96',
  'umac-64@openssh.com',
  'umac-128@openssh.com',
  'hmac-sha1-etm@openssh.com',
  'hmac-sha1-96-etm@openssh.com',
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-md5-etm@openssh.com',
  'hmac-md5-96-etm@openssh.com',
  'umac-64-etm@openssh.com',
  'umac-128-etm@openssh.com',
];

/** OpenSSH 9.2's default MACs. */
export const DEFAULT_MACS = [
  'umac-64-etm@openssh.com',
  'umac-128-etm@openssh.com',
  'hmac-sha2-256-etm@openssh.com',
  'hmac-sha2-512-etm@openssh.com',
  'hmac-sha1-etm@openssh.com',
  'umac-64@openssh.com',
  'umac-128@openssh.com',
  'hmac-sha2-256',
  'hmac-sha2-512',
  'hmac-sha1',
];

/** The list a keyword's value means (undefined or empty: the default). */
export function assembleAlgorithms(
  spec: string | undefined,
  def: readonly string[] = DEFAULT_KEY_ALGORITHMS,
  all: readonly string[] = ALL_KEY_ALGORITHMS,
): string[] {
  if (spec === undefined || spec === '') {
    return [...def];
  }
  const mode = spec[0];
  const names = (mode === '+' || mode === '-' || mode === '^' ? spec.slice(1) : spec)
    .split(',')
    .filter((n) => n !== '');
  let list: string[];
  if (mode === '+') {
    list = [...def, ...names];
  } else if (mode === '-') {
    list = def.filter((d) => !names.some((p) => matchPattern(d, p)));
  } else if (mode === '^') {
    list = [...names, ...def];
  } else {
    list = names;
  }
  const out: string[] = [];
  for (const entry of list) {
    for (const a of all) {
      if (matchPattern(a, entry) && !out.includes(a)) {
        out.push(a);
      }
    }
  }
  return out;
}
