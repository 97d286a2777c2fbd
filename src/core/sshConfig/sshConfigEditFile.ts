/**
 * The main SSH config file as an edit sees it: read (missing is empty), refused when it cannot be
 * parsed safely, and written only if nobody changed it in between (else the edit is recomputed).
 */
import SSHConfig from 'ssh-config';
import { CoreError } from '../common/errors';
import { errnoCode, writeFileAtomic } from '../common/fsutil';
import { exactUtf8, MAX_CONFIG_FILE_BYTES, readRegularFileIfExists } from './readRegularFile';
import type { SshConfigSnapshot } from './sshConfig';
import { parseDocument, type ConfigDocument } from './sshConfigDocument';

/**
 * An edit needs the whole configuration as ssh reads it: a file that could not be read may
 * define the alias, and an Include loop makes ssh refuse every host (`Too many recursive
 * configuration includes`), so editing would add a host nobody can use. Either stops the edit.
 */
export function refuseBrokenConfig(snapshot: SshConfigSnapshot): void {
  const broken = snapshot.problems.find((p) => p.reason === 'fileUnreadable' || p.reason === 'sshIncludeLoop');
  if (broken) {
    throw new CoreError(broken.reason === 'sshIncludeLoop' ? 'sshIncludeLoop' : 'fileUnreadable', broken.message, {
      file: broken.file,
      ...(broken.line !== undefined ? { line: broken.line } : {}),
    });
  }
}

/**
 * The file's text, undefined when it does not exist. Read like every configuration file
 * (regular files only, non-blocking, capped), and refused when its bytes are not UTF-8: decoding
 * would turn them into U+FFFD and the rewrite would corrupt them (a Latin-1 `IdentityFile
 * ~/.ssh/clé` would then name a file that does not exist). Nothing is written in that case.
 */
export async function readForEdit(configFile: string): Promise<string | undefined> {
  const bytes = await readRegularFileIfExists(configFile, MAX_CONFIG_FILE_BYTES);
  if (bytes === undefined) {
    return undefined;
  }
  const text = exactUtf8(bytes);
  if (text === undefined || Buffer.compare(Buffer.from(text, 'utf8'), bytes) !== 0) {
    const at = firstInvalidUtf8Line(bytes);
    throw new CoreError(
      'sshConfigUnparsable',
      `${configFile} line ${at}: bytes that are not UTF-8; the file is left as it is`,
      { file: configFile, line: at, detail: 'notUtf8' },
    );
  }
  return text;
}

/** 1-based line of the first byte sequence that is not UTF-8. */
function firstInvalidUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (exactUtf8(bytes.subarray(start, i)) === undefined) {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/**
 * "Could not parse" means: a line ssh itself would reject as malformed (unbalanced quotes, a
 * keyword without its argument), or text the `ssh-config` library cannot parse (it throws, for
 * example on a trailing backslash or a `Match` criterion without its value). Such a file is never
 * rewritten: what it means is not known, so an edit could change it.
 */
export function parseForEdit(configFile: string, text: string): ConfigDocument {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new CoreError(
      'sshConfigUnparsable',
      `${configFile} line ${e.line}: ${e.error === 'invalidQuotes' ? 'unbalanced quotes' : `no argument after "${e.keyword}"`}`,
      {
        file: configFile,
        line: e.line,
      },
    );
  }
  try {
    SSHConfig.parse(text);
  } catch (err) {
    throw new CoreError(
      'sshConfigUnparsable',
      `${configFile}: ${(err as Error).message}`,
      { file: configFile },
      { cause: err },
    );
  }
  return doc;
}

export async function writeIfUnchanged(
  configFile: string,
  original: string | undefined,
  next: string,
): Promise<boolean> {
  const now = await readForEdit(configFile);
  if (now !== original) {
    return false;
  }
  try {
    await writeFileAtomic(configFile, next, { mode: 0o600 });
  } catch (e) {
    throw new CoreError(
      'fileUnwritable',
      `Cannot write ${configFile}: ${errnoCode(e) ?? String(e)}`,
      { file: configFile },
      { cause: e },
    );
  }
  return true;
}
