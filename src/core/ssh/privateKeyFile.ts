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
