/**
 * Reading key files without their passphrase: what a private key file holds (a usable key, an
 * encrypted one and, where the format shows it, its public half), and a `.pub` file's line.
 */
import { promises as fs } from 'node:fs';
import type { ParsedKey } from 'ssh2';
import { CoreError } from '../common/errors';
import { errnoCode, isNotFound } from '../common/fsutil';
import { keyBlobType } from './keyBlob';
import { loadSsh2 } from './loadSsh2';

export const MAX_KEY_FILE_BYTES = 64 * 1024;

/** What a file holds, without a passphrase. */
export type Inspection =
  | { kind: 'private'; key: ParsedKey }
  | { kind: 'encrypted'; publicBlob?: Buffer; comment?: string; type?: string }
  | { kind: 'other' };

export function inspectKeyData(data: Buffer): Inspection {
  let parsed: ParsedKey | ParsedKey[] | Error;
  try {
    parsed = loadSsh2().utils.parseKey(data);
  } catch {
    return { kind: 'other' };
  }
  if (Array.isArray(parsed)) {
    // A file with several keys is not something OpenSSH accepts as an identity.
    return { kind: 'other' };
  }
  if (parsed instanceof Error) {
    if (/no passphrase given/i.test(parsed.message)) {
      return { kind: 'encrypted', ...openSshPublicPart(data), ...legacyPemType(data) };
    }
    return { kind: 'other' };
  }
  return parsed.isPrivateKey() ? { kind: 'private', key: parsed } : { kind: 'other' };
}

/**
 * The OpenSSH key format keeps the public key in the clear before the encrypted section
 * (PROTOCOL.key: magic, cipher, kdf, kdf options, count, public keys), so an encrypted key
 * can be named and fingerprinted without its passphrase.
 */
function openSshPublicPart(data: Buffer): { publicBlob?: Buffer; type?: string } {
  const text = data.toString('utf8');
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m?.[1]) {
    return {};
  }
  const raw = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (raw.length < magic.length || !raw.subarray(0, magic.length).equals(magic)) {
    return {};
  }
  let off = magic.length;
  const readString = (): Buffer | undefined => {
    if (off + 4 > raw.length) {
      return undefined;
    }
    const len = raw.readUInt32BE(off);
    off += 4;
    if (off + len > raw.length) {
      return undefined;
    }
    const s = raw.subarray(off, off + len);
    off += len;
    return s;
  };
  // cipher name, kdf name, kdf options
  for (let i = 0; i < 3; i++) {
    if (!readString()) {
      return {};
    }
  }
  if (off + 4 > raw.length || raw.readUInt32BE(off) !== 1) {
    return {};
  }
  off += 4;
  const blob = readString();
  const type = blob ? keyBlobType(blob) : undefined;
  return blob && type ? { publicBlob: Buffer.from(blob), type } : {};
}

function legacyPemType(data: Buffer): { type?: string } {
  const m = /-----BEGIN (RSA|DSA|EC) PRIVATE KEY-----/.exec(data.toString('latin1'));
  if (!m) {
    return {};
  }
  return { type: m[1] === 'RSA' ? 'ssh-rsa' : m[1] === 'DSA' ? 'ssh-dss' : 'ecdsa' };
}

/** A `.pub` file's line and blob, or undefined when missing or not a public key. */
export async function readPubFile(file: string): Promise<{ line: string; blob: Buffer; comment: string } | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) {
      return undefined;
    }
    throw new CoreError('fileUnreadable', `Cannot read ${file}.`, { file, code: errnoCode(e) }, { cause: e });
  }
  const line = text
    .split(/\r?\n/)
    .find((l) => l.trim() !== '')
    ?.trim();
  if (!line) {
    return undefined;
  }
  const fields = line.split(/\s+/);
  if (fields.length < 2 || !fields[1] || !/^[A-Za-z0-9+/]+={0,2}$/.test(fields[1])) {
    return undefined;
  }
  const blob = Buffer.from(fields[1], 'base64');
  if (keyBlobType(blob) !== fields[0]) {
    return undefined;
  }
  return { line, blob, comment: fields.slice(2).join(' ') };
}

export async function readKeyFile(file: string): Promise<Buffer> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) {
      throw new CoreError('keyInvalid', `${file} is not a private key file.`, { file });
    }
    if (st.size > MAX_KEY_FILE_BYTES) {
      throw new CoreError('keyInvalid', `${file} is too large to be a private key.`, { file });
    }
    return await fs.readFile(file);
  } catch (e) {
    if (e instanceof CoreError) {
      throw e;
    }
    throw new CoreError('fileUnreadable', `Cannot read ${file}.`, { file, code: errnoCode(e) }, { cause: e });
  }
}
