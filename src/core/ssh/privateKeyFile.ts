/** Opening an identity file's private key (and its public half) for signing during authentication. */
import { promises as fs } from 'node:fs';
import type { ParsedKey } from 'ssh2';
import { CoreError } from '../common/errors';
import { MAX_KEY_FILE_BYTES } from './keyFiles';
import { loadPrivateKey, readPublicKey } from './keys';
import { loadSsh2 } from './loadSsh2';

/**
 * The parsed private key. Decrypting costs a bcrypt KDF run (slow in pure JS), so the key is
 * parsed once here; only a failure goes through the key module again, for its precise reason.
 */
export async function openPrivateKey(file: string, passphrase: string | undefined): Promise<ParsedKey> {
  try {
    const st = await fs.stat(file);
    if (st.isFile() && st.size <= MAX_KEY_FILE_BYTES) {
      const data = await fs.readFile(file);
      let parsed: ParsedKey | ParsedKey[] | Error;
      try {
        parsed = loadSsh2().utils.parseKey(data, passphrase);
      } catch (e) {
        parsed = e instanceof Error ? e : new Error(String(e));
      }
      if (!(parsed instanceof Error) && !Array.isArray(parsed) && parsed.isPrivateKey()) {
        return parsed;
      }
      if (passphrase !== undefined && isEncryptedKey(data)) {
        // Classifying through the key module would run the slow KDF a second time.
        throw new CoreError('keyPassphraseWrong', `The passphrase for ${file} is wrong.`, { file });
      }
    }
  } catch (e) {
    if (CoreError.is(e, 'keyPassphraseWrong')) {
      throw e;
    }
    // otherwise loadPrivateKey names the problem
  }
  await loadPrivateKey(file, passphrase);
  throw new CoreError('keyInvalid', `${file} cannot be used as a private key.`, { file });
}

function isEncryptedKey(data: Buffer): boolean {
  try {
    const probe = loadSsh2().utils.parseKey(data);
    return probe instanceof Error && /no passphrase given/i.test(probe.message);
  } catch {
    return false;
  }
}

export async function publicBlobOf(file: string): Promise<Buffer | undefined> {
  try {
    const line = await readPublicKey(file);
    const parsed = loadSsh2().utils.parseKey(line);
    return parsed instanceof Error || Array.isArray(parsed) ? undefined : parsed.getPublicSSH();
  } catch {
    return undefined;
  }
}

/**
 * Why ssh would refuse a private key file ("UNPROTECTED PRIVATE KEY FILE!", sshkey.c
 * sshkey_perm_ok): owned by this user and readable or writable by group or others. ssh ignores
 * such a key; so does this project, rather than sign with a key others may have copied.
 * Undefined when the file is acceptable or cannot be checked (Windows has no such modes).
 */
export function unprotectedKeyError(
  file: string,
  st: { uid: number; mode: number },
  where: { hostname: string; port: number },
): CoreError | undefined {
  const uid = process.platform === 'win32' ? undefined : process.getuid?.();
  if (uid === undefined || st.uid !== uid || (st.mode & 0o077) === 0) {
    return undefined;
  }
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  return new CoreError(
    'keyPermissions',
    `The private key ${file} is readable by others (mode ${mode}); ssh ignores it too.`,
    { file, mode, host: where.hostname, port: where.port },
  );
}
