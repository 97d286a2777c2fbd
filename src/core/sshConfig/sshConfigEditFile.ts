/**
 * The main SSH config file as an edit sees it: read (missing is empty), refused when it cannot be
 * parsed safely, and written only if nobody changed it in between (else the edit is recomputed).
 */
import { promises as fs } from 'node:fs';
import SSHConfig from 'ssh-config';
import { CoreError } from '../common/errors';
import { errnoCode, isNotFound, writeFileAtomic } from '../common/fsutil';
import { parseDocument, type ConfigDocument } from './sshConfigDocument';

export async function readForEdit(configFile: string): Promise<string | undefined> {
  try {
    return await fs.readFile(configFile, 'utf8');
  } catch (e) {
    if (isNotFound(e)) {
      return undefined;
    }
    throw new CoreError(
      'fileUnreadable',
      `Cannot read ${configFile}: ${errnoCode(e) ?? String(e)}`,
      { file: configFile },
      { cause: e },
    );
  }
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
