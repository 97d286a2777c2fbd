/**
 * The host's HostKeyAlgorithms, KexAlgorithms, Ciphers and MACs (as `ssh -G` or the builtin
 * resolver assembled them) given to ssh2 as `algorithms`, so the connection offers what ssh
 * would: in particular no `ssh-rsa` (SHA-1) host key signature and no `ssh-dss` unless the
 * configuration allows them, where ssh2's own defaults offer `ssh-rsa`. Names ssh2 does not
 * implement are left out (it refuses unknown names); a list with nothing ssh2 implements keeps
 * ssh2's default for it, except the host key list, whose defaults are OpenSSH's.
 */
import type { ConnectConfig } from 'ssh2';
import type { EffectiveHost } from '../sshConfig/resolveHost';
import { DEFAULT_KEY_ALGORITHMS } from '../sshConfig/sshAlgorithms';

type Algorithms = NonNullable<ConnectConfig['algorithms']>;

interface Ssh2Supported {
  SUPPORTED_KEX: string[];
  SUPPORTED_SERVER_HOST_KEY: string[];
  SUPPORTED_CIPHER: string[];
  SUPPORTED_MAC: string[];
  /** ssh2's own order for this runtime: the ciphers it runs fastest first (AES-GCM with AES-NI). */
  DEFAULT_CIPHER?: string[];
}

/** ssh2 1.17's host key algorithms, for when its constants cannot be read. */
const SSH2_HOST_KEY = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
  'ssh-dss',
];

let supportedCache: Ssh2Supported | null | undefined;

/** ssh2's lists of what it implements (they depend on the OpenSSL build); null if unreadable. */
function ssh2Supported(): Ssh2Supported | null {
  if (supportedCache === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- ssh2 exports its names only from this module
      supportedCache = require('ssh2/lib/protocol/constants.js') as Ssh2Supported;
    } catch {
      supportedCache = null;
    }
  }
  return supportedCache;
}

/**
 * `algorithms` for ssh2. `knownHostKeyAlgorithms` (from known_hosts) narrows the host key list
 * to the types that can be verified, as before; the configuration's list bounds it.
 */
export function ssh2Algorithms(host: EffectiveHost, knownHostKeyAlgorithms: string[] | undefined): Algorithms {
  const s = ssh2Supported();
  const allowed = (host.hostKeyAlgorithms ?? DEFAULT_KEY_ALGORITHMS).filter((a) =>
    (s?.SUPPORTED_SERVER_HOST_KEY ?? SSH2_HOST_KEY).includes(a),
  );
  const known = knownHostKeyAlgorithms ? allowed.filter((a) => knownHostKeyAlgorithms.includes(a)) : [];
  const out: Algorithms = {
    serverHostKey: (known.length > 0 ? known : allowed) as Algorithms['serverHostKey'],
  };
  if (s) {
    const pick = (list: string[] | undefined, supported: string[]): string[] | undefined => {
      const l = list?.filter((a) => supported.includes(a));
      return l && l.length > 0 ? l : undefined;
    };
    const kex = pick(host.kexAlgorithms, s.SUPPORTED_KEX);
    // The configuration decides which ciphers may be used; among them, the one this runtime runs
    // fastest is offered first. OpenSSH's default order (chacha20-poly1305 first) is tuned for its
    // C code; in ssh2, AES-GCM through OpenSSL with AES-NI moves a forwarded download ~1.4× faster.
    const cipher = fastestFirst(pick(host.ciphers, s.SUPPORTED_CIPHER), s.DEFAULT_CIPHER);
    const hmac = pick(host.macs, s.SUPPORTED_MAC);
    Object.assign(out, kex ? { kex } : {}, cipher ? { cipher } : {}, hmac ? { hmac } : {});
  }
  return out;
}

/** The allowed list reordered by ssh2's preference (those it does not rank keep their order, after). */
export function fastestFirst(allowed: string[] | undefined, preferred: string[] | undefined): string[] | undefined {
  if (!allowed || !preferred) {
    return allowed;
  }
  return [...preferred.filter((a) => allowed.includes(a)), ...allowed.filter((a) => !preferred.includes(a))];
}
