/**
 * The two facts every SSH public key blob (RFC 4253 §6.6 wire format) tells without parsing the
 * key: its type name and its fingerprint. Host keys, identity files and keys read from
 * known_hosts all go through these, so the three agree with each other and with OpenSSH.
 */
import { createHash } from 'node:crypto';

/** The type name at the start of the blob (`ssh-ed25519`), or undefined when it is no key blob. */
export function keyBlobType(blob: Buffer): string | undefined {
  if (blob.length < 4) {
    return undefined;
  }
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) {
    return undefined;
  }
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** `SHA256:` + unpadded base64 of SHA-256 over the blob: what `ssh-keygen -l` and ssh print. */
export function keyBlobFingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}
