/**
 * Adding and removing a Host block in the main SSH config file, the way a person would: the new
 * block placed where no earlier section can override it, checked with both parsers before it is
 * written, and a removal that takes the block's own comment and spacing with it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import SSHConfig, { LineType } from 'ssh-config';
import { CoreError } from '../common/errors';
import { errnoCode, isNotFound } from '../common/fsutil';
import { readSshConfig } from './sshConfig';
import { parseForEdit, readForEdit, refuseBrokenConfig, writeIfUnchanged } from './sshConfigEditFile';
import { checkHostName, checkPort, checkUser, validateAlias } from './sshDestination';
import {
  attachedCommentStart,
  blankRunAbove,
  isBlank,
  onlyBlankBefore,
  parseDocument,
  removalRange,
  usualSeparation,
  type ConfigDocument,
} from './sshConfigDocument';
import { strdelim } from './sshConfigSyntax';
import { matchHostname, matchPattern } from './sshPattern';

export { parseSshDestination, suggestAlias, validateAlias, type SshDestination } from './sshDestination';

export interface NewSshHost {
  alias: string;
  hostName: string;
  user?: string;
  port?: number;
  identityFile?: string;
}

/** How often an edit is recomputed when the file changes between reading and writing it. */
const EDIT_ATTEMPTS = 3;

// ---------------------------------------------------------------------------------------------
// Adding a host

/** A value as ssh_config needs it: `%` doubled where ssh expands tokens, quoted when it holds blanks. */
function formatValue(v: string, opts: { tokens: boolean }): string {
  const s = opts.tokens ? v.replace(/%/g, '%%') : v;
  if (/^[^\s"'#][^\s"']*$/.test(s) && !/\\(["'\\ ]|$)/.test(s)) {
    return s;
  }
  if (s.includes('"') || /\\(["\\]|$)/.test(s)) {
    throw new CoreError('keyInvalid', `Cannot write "${v}" into an ssh config line`, { value: v });
  }
  return `"${s}"`;
}

function blockLines(host: NewSshHost): { lines: string[]; expected: [string, string][] } {
  const expected: [string, string][] = [['hostname', host.hostName]];
  const lines = [`Host ${host.alias}`, `  HostName ${formatValue(host.hostName, { tokens: true })}`];
  if (host.user !== undefined) {
    lines.push(`  User ${formatValue(host.user, { tokens: false })}`);
    expected.push(['user', host.user]);
  }
  if (host.port !== undefined) {
    lines.push(`  Port ${host.port}`);
    expected.push(['port', String(host.port)]);
  }
  if (host.identityFile !== undefined) {
    lines.push(`  IdentityFile ${formatValue(host.identityFile, { tokens: true })}`, '  IdentitiesOnly yes');
    expected.push(['identityfile', host.identityFile], ['identitiesonly', 'yes']);
  }
  return { lines, expected };
}

function validateNewHost(host: NewSshHost): void {
  validateAlias(host.alias);
  checkHostName(host.hostName);
  if (host.user !== undefined) {
    checkUser(host.user);
  }
  if (host.port !== undefined) {
    checkPort(host.port);
  }
  // eslint-disable-next-line no-control-regex -- a path with control characters cannot be written to ssh_config
  if (host.identityFile !== undefined && (host.identityFile === '' || /[\x00-\x1f\x7f]/.test(host.identityFile))) {
    throw new CoreError('keyInvalid', `Invalid identity file path "${host.identityFile}"`, {
      value: host.identityFile,
    });
  }
}

/**
 * Could a section starting at line `i` apply to the new alias? A `Host` line does when one of its
 * patterns matches the alias and no negated one does; a `Match` line is assumed to unless it
 * only tests host names that the new host does not have.
 */
function sectionMayApply(doc: ConfigDocument, i: number, host: NewSshHost): boolean {
  const p = doc.parsed[i];
  if (p.kind !== 'directive') {
    return true;
  }
  if (p.key === 'host') {
    let positive = false;
    for (const a of p.args) {
      if (a.startsWith('!')) {
        if (matchPattern(host.alias, a.slice(1))) {
          return false;
        }
      } else if (matchPattern(host.alias, a)) {
        positive = true;
      }
    }
    return positive;
  }
  let cp: string | null = p.rest;
  for (;;) {
    const t = strdelim(cp);
    if (!t || t.token === '' || t.token.startsWith('#')) {
      return true; // every criterion holds (or none could be read): assume it applies
    }
    cp = t.rest;
    const negate = t.token.startsWith('!');
    const attr = (negate ? t.token.slice(1) : t.token).toLowerCase();
    if (attr !== 'host' && attr !== 'originalhost') {
      return true;
    }
    const arg = strdelim(cp);
    if (!arg || arg.token === '') {
      return true;
    }
    cp = arg.rest;
    const subject = attr === 'host' ? host.hostName : host.alias;
    const r = matchHostname(subject, arg.token) === 1;
    if (r === negate) {
      return false;
    }
  }
}

function computeAddition(
  text: string,
  doc: ConfigDocument,
  host: NewSshHost,
): { next: string; line: number; offset: number; inserted: string } {
  const eol = doc.eol;
  const { lines: block } = blockLines(host);
  let target = -1;
  for (let i = doc.firstSectionIndex; i < doc.lines.length; i++) {
    const p = doc.parsed[i];
    if (
      (p.kind === 'directive' || p.kind === 'error') &&
      (p.key === 'host' || p.key === 'match') &&
      sectionMayApply(doc, i, host)
    ) {
      target = attachedCommentStart(doc, i);
      break;
    }
  }
  if (target >= 0) {
    // Before the first block that could also apply: ssh keeps the first value it obtains.
    const after = onlyBlankBefore(doc, target) ? usualSeparation(doc) : blankRunAbove(doc, target);
    const inserted = block.join(eol) + eol + eol.repeat(after);
    const offset = doc.lines[target].start;
    return {
      next: text.slice(0, offset) + inserted + text.slice(offset),
      line: doc.lines[target].number,
      offset,
      inserted,
    };
  }
  // At the end: after a newline for an unterminated last line, then the file's usual gap.
  let prefix = '';
  if (text !== '' && !text.endsWith('\n')) {
    prefix = eol;
  }
  const hasContent = doc.parsed.some((p) => !isBlank(p));
  let trailingBlanks = 0;
  for (let i = doc.parsed.length - 1; i >= 0 && isBlank(doc.parsed[i]); i--) {
    trailingBlanks++;
  }
  const gap = hasContent ? Math.max(0, usualSeparation(doc) - trailingBlanks) : 0;
  const inserted = prefix + eol.repeat(gap) + block.join(eol) + eol;
  const linesBefore = doc.lines.length + gap;
  return { next: text + inserted, line: linesBefore + 1, offset: text.length, inserted };
}

/** Checks the new text with both parsers before anything is written. */
function verifyAddition(
  configFile: string,
  original: string,
  next: string,
  result: { line: number; offset: number; inserted: string },
  host: NewSshHost,
): void {
  const fail = (why: string): never => {
    throw new CoreError('internal', `Refusing to write ${configFile}: ${why}`, { file: configFile });
  };
  if (
    next.slice(0, result.offset) !== original.slice(0, result.offset) ||
    next.slice(result.offset + result.inserted.length) !== original.slice(result.offset)
  ) {
    fail('the rest of the file would change');
  }
  const doc = parseDocument(next);
  if (doc.errors.length) {
    fail('the result would not parse');
  }
  const block = doc.blocks.find((b) => doc.lines[b.index].number === result.line);
  if (!block || block.patterns.length !== 1 || block.patterns[0] !== host.alias) {
    fail('the new Host line is not where it was put');
    return;
  }
  const { expected } = blockLines(host);
  const seen: [string, string][] = [];
  for (let i = block.index + 1; i <= block.lastIndex; i++) {
    const p = doc.parsed[i];
    if (p.kind === 'directive') {
      seen.push([p.key, p.args.join(' ').replace(/%%/g, '%')]);
    }
  }
  if (JSON.stringify(seen) !== JSON.stringify(expected)) {
    fail('the new block does not read back as written');
  }
  let lib: SSHConfig;
  try {
    lib = SSHConfig.parse(next);
  } catch {
    return fail('the result would not parse');
  }
  const section = lib.find(
    (l) => l.type === LineType.DIRECTIVE && l.param.toLowerCase() === 'host' && l.value === host.alias,
  );
  const hostNameLine =
    section && 'config' in section
      ? section.config.find((l) => l.type === LineType.DIRECTIVE && l.param.toLowerCase() === 'hostname')
      : undefined;
  if (
    !hostNameLine ||
    hostNameLine.type !== LineType.DIRECTIVE ||
    directiveText(hostNameLine.value).replace(/%%/g, '%') !== host.hostName
  ) {
    fail('the ssh-config parser does not find the new block');
  }
}

/**
 * Inserts a block before the first `Host *` / `Match all` (first-match-wins), 2-space indented,
 * blank line separation consistent with the file; `IdentitiesOnly yes` when identityFile given;
 * every other byte unchanged; refuses an alias that already exists anywhere in the config incl.
 * Includes (sshAliasExists) or an invalid alias (sshAliasInvalid: whitespace, wildcards, `!`,
 * `#`, quotes, empty, leading '-'); creates `~/.ssh` 0700 and the file 0600 when missing; keeps
 * an existing file's mode; refuses to rewrite a file it cannot parse (sshConfigUnparsable).
 * Atomic write. Returns the 1-based line of the new Host keyword.
 *
 * More precisely, the block goes before the first section of the main file that could apply
 * to the new alias (a `Host` pattern matching it, or a `Match`), which includes `Host *` and
 * `Match all`; with none, at the end. A `Host *` inside a file included before the first
 * section cannot be overtaken this way: any line put before that `Include` would pull the
 * `Include` into the new block.
 */
export async function addSshHost(
  configFile: string,
  host: NewSshHost,
  options: { home: string },
): Promise<{ line: number }> {
  validateNewHost(host);
  for (let attempt = 1; ; attempt++) {
    const original = await readForEdit(configFile);
    const text = original ?? '';
    const doc = parseForEdit(configFile, text);
    const snapshot = await readSshConfig({ configFile, home: options.home });
    refuseBrokenConfig(snapshot);
    const clash = snapshot.hosts.find((h) => h.alias.toLowerCase() === host.alias.toLowerCase());
    if (clash) {
      throw new CoreError(
        'sshAliasExists',
        `Host "${clash.alias}" is already defined in ${clash.file} line ${clash.line}`,
        {
          alias: clash.alias,
          file: clash.file,
          line: clash.line,
        },
      );
    }
    const result = computeAddition(text, doc, host);
    verifyAddition(configFile, text, result.next, result, host);
    if (original === undefined) {
      await ensureSshDir(path.dirname(configFile));
    }
    if (await writeIfUnchanged(configFile, original, result.next)) {
      return { line: result.line };
    }
    if (attempt >= EDIT_ATTEMPTS) {
      throw new CoreError('fileUnwritable', `${configFile} kept changing while it was being edited`, {
        file: configFile,
      });
    }
  }
}

/** Creates the directory (and missing parents) with mode 0700, as ssh wants for `~/.ssh`. */
async function ensureSshDir(dir: string): Promise<void> {
  try {
    await fs.stat(dir);
    return;
  } catch (e) {
    if (!isNotFound(e)) {
      throw new CoreError(
        'fileUnwritable',
        `Cannot use ${dir}: ${errnoCode(e) ?? String(e)}`,
        { file: dir },
        { cause: e },
      );
    }
  }
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chmod(dir, 0o700); // the umask may have narrowed or widened nothing, but be sure
  } catch (e) {
    throw new CoreError(
      'fileUnwritable',
      `Cannot create ${dir}: ${errnoCode(e) ?? String(e)}`,
      { file: dir },
      { cause: e },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Removing a host

/**
 * Removes the block only if it is editable (single alias, in configFile, parsed exactly); else
 * sshHostNotEditable; unknown alias sshHostNotFound. Nothing else changes.
 *
 * The block runs from its `Host` line to its last directive (plus indented comments right after
 * it); the blank lines that separated it from the next block go with it (or, at the end of the
 * file, those before it), which undoes exactly what addSshHost inserted. Comments above the
 * `Host` line are kept.
 */
export async function removeSshHost(configFile: string, alias: string, options: { home: string }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const original = await readForEdit(configFile);
    const snapshot = await readSshConfig({ configFile, home: options.home });
    refuseBrokenConfig(snapshot);
    const entry = snapshot.hosts.find((h) => h.alias === alias);
    if (!entry) {
      throw new CoreError('sshHostNotFound', `No Host "${alias}" in the SSH configuration`, { alias });
    }
    if (original === undefined || path.resolve(entry.file) !== path.resolve(configFile)) {
      throw new CoreError('sshHostNotEditable', `Host "${alias}" is defined in ${entry.file}, not in ${configFile}`, {
        alias,
        file: entry.file,
        line: entry.line,
      });
    }
    const doc = parseForEdit(configFile, original);
    const block = doc.blocks.find((b) => doc.lines[b.index].number === entry.line);
    if (!entry.editable || !block) {
      throw new CoreError(
        'sshHostNotEditable',
        `Host "${alias}" at ${configFile} line ${entry.line} shares its block with other patterns or holds an Include`,
        {
          alias,
          file: configFile,
          line: entry.line,
        },
      );
    }
    const { from, to } = removalRange(doc, block);
    const start = doc.lines[from].start;
    const end = to < doc.lines.length ? doc.lines[to].start : original.length;
    const next = original.slice(0, start) + original.slice(end);
    const after = parseDocument(next);
    if (after.errors.length || after.blocks.length !== doc.blocks.length - 1) {
      throw new CoreError('internal', `Refusing to write ${configFile}: removing the block would change other blocks`, {
        file: configFile,
      });
    }
    if (await writeIfUnchanged(configFile, original, next)) {
      return;
    }
    if (attempt >= EDIT_ATTEMPTS) {
      throw new CoreError('fileUnwritable', `${configFile} kept changing while it was being edited`, {
        file: configFile,
      });
    }
  }
}

/** A directive's value as one string, whether the library kept it whole or as quoted parts. */
function directiveText(value: string | { val: string }[]): string {
  return typeof value === 'string' ? value : value.map((v) => v.val).join(' ');
}
