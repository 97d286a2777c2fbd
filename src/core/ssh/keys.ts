/**
 * The user's SSH key pairs: generating one the way `ssh-keygen -t ed25519` would, listing the
 * private keys in a directory, and loading one for ssh2 with the reasons a person can act on
 * (passphrase needed, passphrase wrong, not a key). Passphrases are used, never logged or stored.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ParsedKey } from 'ssh2';
import { CoreError } from '../common/errors';
import { errnoCode, isNotFound, pathExists, writeFileAtomic } from '../common/fsutil';
import { keyBlobFingerprint, keyBlobType } from './keyBlob';
import { inspectKeyData, MAX_KEY_FILE_BYTES, readKeyFile, readPubFile } from './keyFiles';
import { loadSsh2 } from './loadSsh2';

export interface GeneratedKey {
  privateKeyPath: string;
  publicKeyPath: string;
  /** `ssh-ed25519 AAAA… comment`, one line, no newline. */
  publicKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export interface LocalKey {
  privateKeyPath: string;
  publicKeyPath?: string;
  /** Key type as OpenSSH names it (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …). */
  type: string;
  comment: string;
  /** `SHA256:…`; empty only for an encrypted legacy PEM key without a `.pub` beside it. */
  fingerprint: string;
  encrypted: boolean;
}

export interface LoadedKey {
  /** The file's bytes, for ssh2's `privateKey` option (with the same passphrase). */
  data: Buffer;
  /** The public key line (`type base64 [comment]`), no newline. */
  publicKey: string;
  type: string;
  fingerprint: string;
  encrypted: boolean;
}

/** Private keys are small; anything larger is not one and is not read whole. */

/** The comment ssh-keygen puts on a new key: `user@machine`. */
export function defaultKeyComment(): string {
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry for this uid (containers): fall back to the environment, as ssh-keygen cannot.
    user = process.env.USER ?? process.env.USERNAME;
  }
  return `${user || 'user'}@${os.hostname()}`;
}

/**
 * The identity files OpenSSH 9.2 tries when none is configured, in its order. This is the list
 * `ssh -G` prints (readconf.c); `man ssh` leaves out id_xmss, which the client still tries.
 */
export function defaultIdentityFiles(home: string): string[] {
  return ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((n) =>
    path.join(home, '.ssh', n),
  );
}

/** `SHA256:` + unpadded base64 of the key blob's SHA-256: the text `ssh-keygen -l` prints. */
export function publicKeyFingerprint(publicKeyLine: string): string {
  const fields = publicKeyLine.trim().split(/\s+/);
  const b64 = fields[1];
  if (fields.length < 2 || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new CoreError('keyInvalid', 'Not an OpenSSH public key line.');
  }
  return keyBlobFingerprint(Buffer.from(b64, 'base64'));
}

/**
 * Generates an ed25519 key pair with ssh2's generator and writes it like ssh-keygen: private
 * key 0600, `.pub` 0644 ending in a newline, parent directory 0700 when it has to be created.
 * Never replaces anything: if either file exists nothing is written (`keyExists`). An empty
 * passphrase means none, as with `ssh-keygen -N ''`.
 */
export async function generateKey(options: {
  privateKeyPath: string;
  passphrase?: string;
  comment?: string;
}): Promise<GeneratedKey> {
  const privateKeyPath = options.privateKeyPath;
  const publicKeyPath = privateKeyPath + '.pub';
  for (const file of [privateKeyPath, publicKeyPath]) {
    if (await pathExists(file)) {
      throw new CoreError('keyExists', `A key file already exists: ${file}`, { file });
    }
  }
  // A line break in the comment would split the .pub line; OpenSSH's comments are one line.
  const comment = (options.comment ?? defaultKeyComment()).replace(/[\r\n]+/g, ' ');
  const pair = await generateEd25519Pair(comment, options.passphrase ? options.passphrase : undefined);
  const publicKey = pair.public.trim();

  const dir = path.dirname(privateKeyPath);
  try {
    // recursive mkdir leaves existing directories as they are; only new ones get 0700.
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CoreError(
      'fileUnwritable',
      `Cannot create the directory ${dir}.`,
      { file: dir, code: errnoCode(e) },
      { cause: e },
    );
  }
  // Exclusive creation: a file that appeared since the check above is still never replaced.
  await writeKeyFile(privateKeyPath, pair.private, 0o600);
  try {
    await writeKeyFile(publicKeyPath, publicKey + '\n', 0o644);
  } catch (e) {
    await fs.rm(privateKeyPath, { force: true });
    throw e;
  }
  return { privateKeyPath, publicKeyPath, publicKey, fingerprint: publicKeyFingerprint(publicKey) };
}

/** `string "ssh-ed25519"` + `string` of the 32-byte public key (RFC 8709 §4). */
const ED25519_BLOB_BYTES = 4 + 'ssh-ed25519'.length + 4 + 32;
const MAX_GENERATE_ATTEMPTS = 8;

/**
 * An ed25519 pair from ssh2's generator, in OpenSSH's formats. ssh2 strips leading zero bytes
 * from the public key it takes out of Node's DER output, so about one pair in 256 carries a
 * short public key that OpenSSH refuses to load; such a pair is thrown away and made again.
 */
export async function generateEd25519Pair(
  comment: string,
  passphrase: string | undefined,
): Promise<{ private: string; public: string }> {
  const opts = passphrase === undefined ? { comment } : { comment, passphrase, cipher: 'aes256-ctr' };
  for (let attempt = 1; ; attempt++) {
    const pair = await new Promise<{ private: string; public: string }>((resolve, reject) => {
      loadSsh2().utils.generateKeyPair('ed25519', opts, (err, keys) => (err ? reject(err) : resolve(keys)));
    });
    const b64 = pair.public.trim().split(/\s+/)[1] ?? '';
    if (Buffer.from(b64, 'base64').length === ED25519_BLOB_BYTES) {
      return pair;
    }
    if (attempt >= MAX_GENERATE_ATTEMPTS) {
      throw new CoreError(
        'internal',
        `The key generator made ${MAX_GENERATE_ATTEMPTS} malformed ed25519 keys in a row.`,
        {},
      );
    }
  }
}

async function writeKeyFile(file: string, data: string, mode: number): Promise<void> {
  try {
    await writeFileAtomic(file, data, { mode, forceMode: true, exclusive: true });
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') {
      throw new CoreError('keyExists', `A key file already exists: ${file}`, { file }, { cause: e });
    }
    throw new CoreError('fileUnwritable', `Cannot write ${file}.`, { file, code: errnoCode(e) }, { cause: e });
  }
}

function publicLine(key: ParsedKey): string {
  const blob = key.getPublicSSH();
  const line = `${key.type} ${blob.toString('base64')}`;
  return key.comment ? `${line} ${key.comment}` : line;
}

/**
 * Reads and parses a private key. An encrypted key needs its passphrase (`keyPassphraseRequired`
 * without one, `keyPassphraseWrong` for a wrong one); a file that is no private key is
 * `keyInvalid`; a missing or unreadable file is `fileUnreadable`.
 */
export async function loadPrivateKey(privateKeyPath: string, passphrase?: string): Promise<LoadedKey> {
  const data = await readKeyFile(privateKeyPath);
  const inspection = inspectKeyData(data);
  if (inspection.kind === 'other') {
    throw new CoreError('keyInvalid', `${privateKeyPath} is not a private key that can be used.`, {
      file: privateKeyPath,
    });
  }
  let key: ParsedKey;
  if (inspection.kind === 'private') {
    key = inspection.key;
  } else {
    if (!passphrase) {
      throw new CoreError('keyPassphraseRequired', `The key ${privateKeyPath} is protected by a passphrase.`, {
        file: privateKeyPath,
      });
    }
    let parsed: ParsedKey | ParsedKey[] | Error;
    try {
      parsed = loadSsh2().utils.parseKey(data, passphrase);
    } catch {
      // The message of a parser failure never contains the passphrase, but do not pass it on either.
      throw new CoreError('keyPassphraseWrong', `The passphrase for ${privateKeyPath} is wrong.`, {
        file: privateKeyPath,
      });
    }
    if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
      throw new CoreError('keyPassphraseWrong', `The passphrase for ${privateKeyPath} is wrong.`, {
        file: privateKeyPath,
      });
    }
    key = parsed;
  }
  const blob = key.getPublicSSH();
  const pub = await readPubFile(privateKeyPath + '.pub');
  const publicKey = pub && pub.blob.equals(blob) ? pub.line : publicLine(key);
  return {
    data,
    publicKey,
    type: key.type,
    fingerprint: keyBlobFingerprint(blob),
    encrypted: inspection.kind === 'encrypted',
  };
}

/**
 * The public key line for a private key: the `.pub` beside it when that matches the key, else
 * derived from the key (an encrypted key in the OpenSSH format can be checked without the
 * passphrase; other encrypted keys need it unless their `.pub` exists).
 */
export async function readPublicKey(privateKeyPath: string, passphrase?: string): Promise<string> {
  const data = await readKeyFile(privateKeyPath);
  const inspection = inspectKeyData(data);
  const pub = await readPubFile(privateKeyPath + '.pub');
  if (inspection.kind === 'other') {
    throw new CoreError('keyInvalid', `${privateKeyPath} is not a private key that can be used.`, {
      file: privateKeyPath,
    });
  }
  if (inspection.kind === 'encrypted') {
    if (pub && inspection.publicBlob) {
      if (pub.blob.equals(inspection.publicBlob)) {
        return pub.line;
      }
    } else if (pub && !passphrase) {
      // A legacy PEM key hides its public half; its .pub is the only source without the passphrase.
      return pub.line;
    }
    if (!passphrase && inspection.publicBlob && inspection.type) {
      return `${inspection.type} ${inspection.publicBlob.toString('base64')}`;
    }
  }
  return (await loadPrivateKey(privateKeyPath, passphrase)).publicKey;
}

/** Names in ~/.ssh that are never private keys, whatever they contain. */
function isKnownNonKeyName(name: string): boolean {
  return (
    name.endsWith('.pub') ||
    name.startsWith('known_hosts') ||
    name.startsWith('authorized_keys') ||
    name === 'config' ||
    name === 'environment' ||
    name === 'rc' ||
    name.startsWith('.')
  );
}

/**
 * The private keys in a directory (usually ~/.ssh), sorted by file name: every regular file
 * whose content is a private key, encrypted or not. Fingerprints come from the `.pub` beside a
 * key when it exists, otherwise from the key itself (the public half of an encrypted OpenSSH
 * key is readable without the passphrase).
 */
export async function listLocalKeys(sshDir: string): Promise<LocalKey[]> {
  let names: string[];
  try {
    names = await fs.readdir(sshDir);
  } catch (e) {
    if (isNotFound(e)) {
      return [];
    }
    throw new CoreError('fileUnreadable', `Cannot list ${sshDir}.`, { file: sshDir, code: errnoCode(e) }, { cause: e });
  }
  const keys: LocalKey[] = [];
  for (const name of names.sort()) {
    if (isKnownNonKeyName(name)) {
      continue;
    }
    const file = path.join(sshDir, name);
    let data: Buffer;
    try {
      const st = await fs.stat(file);
      if (!st.isFile() || st.size > MAX_KEY_FILE_BYTES) {
        continue;
      }
      data = await fs.readFile(file);
    } catch {
      continue; // unreadable entries are not keys we could use anyway
    }
    const inspection = inspectKeyData(data);
    if (inspection.kind === 'other') {
      continue;
    }
    let pub: Awaited<ReturnType<typeof readPubFile>>;
    try {
      pub = await readPubFile(file + '.pub');
    } catch {
      pub = undefined;
    }
    if (inspection.kind === 'private') {
      const blob = inspection.key.getPublicSSH();
      const matching = pub && pub.blob.equals(blob) ? pub : undefined;
      keys.push({
        privateKeyPath: file,
        publicKeyPath: matching ? file + '.pub' : undefined,
        type: inspection.key.type,
        comment: inspection.key.comment || matching?.comment || '',
        fingerprint: keyBlobFingerprint(blob),
        encrypted: false,
      });
    } else {
      const blob = inspection.publicBlob;
      const matching = pub && (!blob || pub.blob.equals(blob)) ? pub : undefined;
      const fpBlob = blob ?? matching?.blob;
      keys.push({
        privateKeyPath: file,
        publicKeyPath: matching ? file + '.pub' : undefined,
        type: (matching ? keyBlobType(matching.blob) : undefined) ?? inspection.type ?? 'unknown',
        comment: matching?.comment ?? '',
        fingerprint: fpBlob ? keyBlobFingerprint(fpBlob) : '',
        encrypted: true,
      });
    }
  }
  return keys;
}
