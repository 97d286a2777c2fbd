/**
 * Hosts ssh2 cannot reach the way OpenSSH does, found before connecting: for these the engine
 * goes through the system's OpenSSH client, as the docker CLI always does
 * (src/core/engine/systemSshLink.ts), so trust and authentication are OpenSSH's own.
 *
 * - host certificates: a `@cert-authority` line of known_hosts names the host. ssh2 negotiates
 *   no `*-cert-v01@openssh.com` host key, so its plain key would look unknown;
 * - FIDO security keys (`sk-ssh-ed25519@openssh.com`, `sk-ecdsa-sha2-nistp256@openssh.com`)
 *   among the identities: signing needs the authenticator (OpenSSH's ssh-sk-helper);
 * - user certificates (`CertificateFile`), `PKCS11Provider`, `GSSAPIAuthentication yes`.
 */
import * as fs from 'node:fs/promises';
import type { EffectiveHost } from '../sshConfig/effectiveHost';
import { matchingEntries } from './knownHosts';

export type SystemSshReason = 'hostCertificate' | 'securityKey' | 'userCertificate' | 'pkcs11' | 'gssapi';

/** Public key types of FIDO authenticators, as the first word of a `.pub` file. */
const SECURITY_KEY_TYPE = /^sk-[a-z0-9-]+@openssh\.com$/;

/** The first word of `file.pub`, if that file exists and can be read (a few hundred bytes). */
async function publicKeyType(privateKeyFile: string): Promise<string | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(`${privateKeyFile}.pub`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) {
      return undefined;
    }
    const buf = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, bytesRead).trim().split(/\s+/)[0];
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Why this host must go through OpenSSH, or undefined when ssh2 can reach it. */
export async function systemSshReason(host: EffectiveHost): Promise<SystemSshReason | undefined> {
  if (host.pkcs11Provider !== undefined) {
    return 'pkcs11';
  }
  if (host.gssapiAuthentication) {
    return 'gssapi';
  }
  if (host.certificateFiles && host.certificateFiles.length > 0) {
    return 'userCertificate';
  }
  const entries = await matchingEntries({
    host: host.hostname,
    port: host.port,
    ...(host.hostKeyAlias !== undefined ? { hostKeyAlias: host.hostKeyAlias } : {}),
    userKnownHostsFiles: host.userKnownHostsFiles,
    globalKnownHostsFiles: host.globalKnownHostsFiles,
  }).catch(() => []);
  if (entries.some((e) => e.marker === 'cert-authority')) {
    return 'hostCertificate';
  }
  for (const file of host.identityFiles) {
    const type = await publicKeyType(file);
    if (type !== undefined && SECURITY_KEY_TYPE.test(type)) {
      return 'securityKey';
    }
  }
  return undefined;
}
