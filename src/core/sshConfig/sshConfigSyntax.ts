/**
 * Line-level syntax of ssh_config files, following OpenSSH's readconf.c rather than a generic
 * parser: the keyword is split off with `strdelim` (whitespace or one `=`), the arguments with
 * `argv_split` (single and double quotes, backslash escapes, `#` at the start of a token ends the
 * line). Both the reader, the resolver and the editor use this, so they agree with `ssh` on what
 * a line means and on which lines `ssh` would reject.
 */

/** One physical line of a file, with its terminator, so an editor can rebuild the file byte for byte. */
export interface RawLine {
  /** 1-based line number. */
  number: number;
  /** Offset of the first character of the line in the file text. */
  start: number;
  /** The line without its terminator. */
  text: string;
  /** `\n`, `\r\n` or `` for a last line without a terminator. */
  eol: string;
}

export type LineError = 'invalidQuotes' | 'noArgument';

export type ParsedLine =
  | { kind: 'blank' }
  | { kind: 'comment'; indented: boolean }
  | {
      kind: 'directive';
      /** Keyword as written. */
      keyword: string;
      /** Keyword lower-cased: OpenSSH keywords are case-insensitive. */
      key: string;
      /** Arguments after argv_split (quotes removed, escapes resolved, trailing comment dropped). */
      args: string[];
      /** The text after the keyword and its separator, as `Match` evaluates it. */
      rest: string;
      indented: boolean;
    }
  | { kind: 'error'; keyword: string; key: string; error: LineError; indented: boolean };

const WHITESPACE = ' \t\r\n';

/** Splits text into lines the way getline() does (on `\n`), remembering each terminator. */
export function splitLines(text: string): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  let number = 1;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      lines.push({ number, start, text: text.slice(start), eol: '' });
      break;
    }
    const hasCr = nl > start && text[nl - 1] === '\r';
    lines.push({ number, start, text: text.slice(start, hasCr ? nl - 1 : nl), eol: hasCr ? '\r\n' : '\n' });
    start = nl + 1;
    number++;
  }
  return lines;
}

/**
 * OpenSSH's `strdelim()`: returns the next token and the remaining text (null when none is
 * left), or undefined for an unmatched double quote. Splits on whitespace or one `=`.
 */
export function strdelim(s: string | null): { token: string; rest: string | null } | undefined | null {
  if (s === null) {
    return null;
  }
  let i = 0;
  while (i < s.length && !(WHITESPACE + '"=').includes(s[i])) {
    i++;
  }
  if (i >= s.length) {
    return { token: s, rest: null };
  }
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close < 0) {
      return undefined;
    }
    const token = s.slice(0, i) + s.slice(i + 1, close);
    return { token, rest: skipWhitespace(s, close + 1) };
  }
  const sawEquals = s[i] === '=';
  const token = s.slice(0, i);
  let rest = skipWhitespace(s, i + 1);
  if (!sawEquals && rest.startsWith('=')) {
    rest = skipWhitespace(rest, 1);
  }
  return { token, rest };
}

function skipWhitespace(s: string, from: number): string {
  let i = from;
  while (i < s.length && WHITESPACE.includes(s[i])) {
    i++;
  }
  return s.slice(i);
}

/**
 * OpenSSH's `argv_split(s, …, terminate_on_comment=1)`. Returns undefined for unbalanced quotes.
 */
export function argvSplit(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      break;
    }
    let quote = '';
    let arg = '';
    for (; i < s.length; i++) {
      const ch = s[i];
      if (ch === '\\') {
        const next = s[i + 1];
        if (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' ')) {
          i++;
          arg += next;
        } else {
          arg += ch;
        }
      } else if (quote === '' && (ch === ' ' || ch === '\t')) {
        break;
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (quote !== '' && ch === quote) {
        quote = '';
      } else {
        arg += ch;
      }
    }
    if (quote !== '') {
      return undefined;
    }
    out.push(arg);
  }
  return out;
}

/** Classifies one line as `process_config_line_depth` would, without applying it. */
export function parseLine(line: string): ParsedLine {
  // Trailing whitespace (and form feeds) go first; the first character is never stripped,
  // exactly like the C loop that stops at index 0.
  let end = line.length;
  while (end > 1 && (WHITESPACE + '\f').includes(line[end - 1])) {
    end--;
  }
  const text = line.slice(0, end);
  const indented = text.length > 0 && (text[0] === ' ' || text[0] === '\t');
  let first = strdelim(text);
  if (first === undefined) {
    // An unmatched quote inside the keyword itself: ssh rejects the line.
    return { kind: 'error', keyword: text.trim(), key: text.trim().toLowerCase(), error: 'invalidQuotes', indented };
  }
  if (first !== null && first.token === '') {
    first = strdelim(first.rest);
    if (first === undefined) {
      return { kind: 'error', keyword: text.trim(), key: text.trim().toLowerCase(), error: 'invalidQuotes', indented };
    }
  }
  if (first === null || first.token === '' || first.token.startsWith('\n')) {
    return { kind: 'blank' };
  }
  if (first.token.startsWith('#')) {
    return { kind: 'comment', indented };
  }
  const keyword = first.token;
  const key = keyword.toLowerCase();
  const rest = first.rest === null ? '' : skipWhitespace(first.rest, 0);
  if (rest === '') {
    return { kind: 'error', keyword, key, error: 'noArgument', indented };
  }
  const args = argvSplit(rest);
  if (args === undefined) {
    return { kind: 'error', keyword, key, error: 'invalidQuotes', indented };
  }
  // `User #x` or `User ""` leaves nothing: ssh says "Missing argument" for every keyword except
  // `Host`, which it accepts empty.
  if ((args.length === 0 || args[0] === '') && key !== 'host') {
    return { kind: 'error', keyword, key, error: 'noArgument', indented };
  }
  return { kind: 'directive', keyword, key, args, rest, indented };
}

/** True for `Host`/`Match` lines, which end the previous block and start a new one. */
export function isSectionStart(p: ParsedLine): boolean {
  return (p.kind === 'directive' || p.kind === 'error') && (p.key === 'host' || p.key === 'match');
}
