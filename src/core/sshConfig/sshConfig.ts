import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Reason } from '../common/errors';
import { errnoCode, isNotFound } from '../common/fsutil';
import { parseDocument, type ConfigDocument } from './sshConfigDocument';
import { MAX_CONFIG_FILE_BYTES, readRegularFile } from './readRegularFile';
import { anchorInclude, globFiles } from './sshInclude';
import { isConcretePattern } from './sshPattern';

export interface SshHost {
  /** One concrete pattern of a Host line (a `Host a b` line yields two SshHost entries). */
  alias: string;
  /** The file that holds the Host line (may be an included file). */
  file: string;
  /** 1-based line of the `Host` keyword. */
  line: number;
  /** All patterns on that Host line. */
  patterns: string[];
  /** True when the block is in the main config file and is a single-alias block this project can remove exactly. */
  editable: boolean;
}

export interface SshConfigProblem {
  file: string;
  reason: Reason;
  message: string;
  line?: number;
}

export interface SshConfigSnapshot {
  configFile: string;
  files: string[];
  hosts: SshHost[];
  problems: SshConfigProblem[];
}

/** OpenSSH's READCONF_MAX_DEPTH: deeper nesting is fatal for ssh. */
export const MAX_INCLUDE_DEPTH = 16;

/**
 * Reads the config following Include (globs; relative paths from <home>/.ssh; also inside
 * Host/Match blocks; loops detected -> problem `sshIncludeLoop`, not a crash). Lists concrete
 * hosts in file order, first definition wins for duplicates; patterns with * ? or leading ! are
 * left out. `files` lists every file read (for file watching). A missing main file -> empty
 * snapshot, no problem. An unreadable file -> a problem with reason fileUnreadable.
 *
 * Hosts from an Include inside a `Host`/`Match` block are listed too: ssh only consults them
 * when the surrounding block applies, but they are still definitions the user wrote.
 */
export async function readSshConfig(options: { configFile: string; home: string }): Promise<SshConfigSnapshot> {
  // visit() fills the snapshot and the seen-sets of this one read, so it is a closure over them.
  const configFile = options.configFile;
  const snapshot: SshConfigSnapshot = { configFile, files: [], hosts: [], problems: [] };
  const seenAliases = new Set<string>();
  const seenFiles = new Set<string>();

  const visit = async (file: string, depth: number, stack: string[], isMain: boolean): Promise<void> => {
    // One file's lines in order, Includes recursing where they stand, as ssh reads them.
    let text: string;
    try {
      text = await readConfigText(file);
    } catch (e) {
      if (isNotFound(e)) {
        // ssh skips a missing main file and an include that vanished after globbing.
        return;
      }
      if (!isMain && errnoCode(e) === 'EISDIR') {
        // `Include conf.d/*` matching a sub-directory: ssh reads it as an empty file.
        return;
      }
      snapshot.problems.push({
        file,
        reason: 'fileUnreadable',
        message: `Cannot read ${file}: ${errnoCode(e) ?? String(e)}`,
      });
      return;
    }
    if (!seenFiles.has(file)) {
      seenFiles.add(file);
      snapshot.files.push(file);
    }
    if (!isMain || isDefaultUserConfig(file, options.home)) {
      const bad = await unsafePermissions(file, true);
      if (bad) {
        snapshot.problems.push({ file, reason: 'sshConfigPermissions', message: `ssh refuses ${file}: ${bad}` });
      }
    }
    const doc = parseDocument(text);
    for (const err of doc.errors) {
      snapshot.problems.push({
        file,
        line: err.line,
        reason: 'sshConfigUnparsable',
        message:
          err.error === 'invalidQuotes'
            ? `${file} line ${err.line}: unbalanced quotes`
            : `${file} line ${err.line}: no argument after "${err.keyword}"`,
      });
    }
    const editableBlocks = isMain && doc.errors.length === 0 ? editableHostLines(doc) : new Set<number>();
    const realSelf = await realpathOr(file);
    for (let i = 0; i < doc.lines.length; i++) {
      const p = doc.parsed[i];
      if (p.kind !== 'directive') {
        continue;
      }
      const lineNo = doc.lines[i].number;
      if (p.key === 'host') {
        for (const alias of p.args) {
          if (!isConcretePattern(alias) || seenAliases.has(alias)) {
            continue;
          }
          seenAliases.add(alias);
          snapshot.hosts.push({ alias, file, line: lineNo, patterns: [...p.args], editable: editableBlocks.has(i) });
        }
      } else if (p.key === 'include') {
        for (const arg of p.args) {
          const pattern = anchorInclude(arg, { home: options.home, userConf: true, systemDir: '/etc/ssh' });
          if (pattern === undefined) {
            continue;
          }
          for (const included of await globFiles(pattern)) {
            const real = await realpathOr(included);
            if ([...stack, realSelf].includes(real) || depth + 1 > MAX_INCLUDE_DEPTH) {
              snapshot.problems.push({
                file,
                line: lineNo,
                reason: 'sshIncludeLoop',
                message: `${file} line ${lineNo}: Include of ${included} loops back to a file that includes it`,
              });
              continue;
            }
            await visit(included, depth + 1, [...stack, realSelf], false);
          }
        }
      }
    }
  };

  await visit(configFile, 0, [], true);
  return snapshot;
}

/** Host-line indexes of blocks `removeSshHost` may delete: one alias, no Include inside. */
export function editableHostLines(doc: ConfigDocument): Set<number> {
  const out = new Set<number>();
  for (const b of doc.blocks) {
    if (b.patterns.length === 1 && isConcretePattern(b.patterns[0]) && !b.hasInclude) {
      out.add(b.index);
    }
  }
  return out;
}

/**
 * Reads a config file without ever blocking and without reading without bound
 * (readRegularFile.ts): a FIFO matched by an Include glob is refused (ENOTREG), a directory
 * gives EISDIR as a read would, a file past MAX_CONFIG_FILE_BYTES gives EFBIG.
 */
export async function readConfigText(file: string): Promise<string> {
  return (await readRegularFile(file, MAX_CONFIG_FILE_BYTES)).toString('utf8');
}

/** `~/.ssh/config` of this home, which ssh checks for safe permissions when it reads it by default. */
export function isDefaultUserConfig(file: string, home: string): boolean {
  return path.resolve(file) === path.resolve(home, '.ssh', 'config');
}

/**
 * ssh's check for files it reads with SSHCONF_CHECKPERM (included files and the default user
 * config): owned by root or the user, and not writable by others. Returns why not, or undefined
 * when the file is acceptable. Upstream OpenSSH also refuses group-writable files; Debian's
 * OpenSSH accepts them when the group is the owner's private group (user-group-modes patch), so
 * that case is only reported with `strict` (the config listing warns; the resolver does not
 * refuse what the local ssh may accept). Windows has no such modes.
 */
export async function unsafePermissions(file: string, strict: boolean): Promise<string | undefined> {
  if (process.platform === 'win32') {
    return undefined;
  }
  try {
    const st = await fs.stat(file);
    const uid = process.getuid?.() ?? 0;
    if (st.uid !== 0 && st.uid !== uid) {
      return 'Bad owner or permissions (owned by another user)';
    }
    if ((st.mode & (strict ? 0o022 : 0o002)) !== 0) {
      return `Bad owner or permissions (mode ${(st.mode & 0o777).toString(8)} is writable by ${st.mode & 0o002 ? 'others' : 'the group'})`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

async function realpathOr(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch {
    return path.resolve(file);
  }
}
