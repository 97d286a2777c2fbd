/**
 * What a person types or pastes as an SSH destination (`user@host:port`, an `ssh://` URL, a
 * whole `ssh -p 2222 user@host` command line) read into its parts, the rules for aliases, host
 * names, users and ports, and the alias suggested for a new host.
 */
import { isIP } from 'node:net';
import { CoreError } from '../common/errors';

export interface SshDestination {
  user?: string;
  host: string;
  port?: number;
}

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * An alias must be usable as `ssh ALIAS` and inside `ssh://ALIAS` for the docker CLI, and must be
 * one literal Host pattern: so letters, digits, `.`, `_`, `-`, not starting with `-` or `.`.
 * That rules out whitespace, wildcards (`*`, `?`), negation (`!`), comments (`#`), quotes, and
 * the shell metacharacters ssh refuses in a host name.
 */
export function validateAlias(alias: string): void {
  // A code the UI can word (empty, tooLong, leadingDash, whitespace, wildcard, negation, comment,
  // quote, character); its own message already states the whole rule.
  let problem: string | undefined;
  if (alias === '') {
    problem = 'empty';
  } else if (alias.length > 255) {
    problem = 'tooLong';
  } else if (alias.startsWith('-')) {
    problem = 'leadingDash';
  } else if (/\s/.test(alias)) {
    problem = 'whitespace';
  } else if (/[*?]/.test(alias)) {
    problem = 'wildcard';
  } else if (alias.includes('!')) {
    problem = 'negation';
  } else if (alias.includes('#')) {
    problem = 'comment';
  } else if (/["'`]/.test(alias)) {
    problem = 'quote';
  } else if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(alias)) {
    problem = 'character';
  }
  if (problem) {
    throw new CoreError('sshAliasInvalid', `Invalid SSH host alias "${alias}": ${problem}`, { alias, problem });
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what ssh refuses in a name
const HOST_FORBIDDEN = /['`"$\\;&<>|(){},@/[\]\s\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what ssh refuses in a user name
const USER_FORBIDDEN = /['`";&<>|(){}\s\x00-\x1f\x7f]/;

export function checkHostName(host: string): void {
  if (host === '' || host.startsWith('-') || HOST_FORBIDDEN.test(host)) {
    throw new CoreError('sshDestinationInvalid', `Invalid host name "${host}"`, { field: 'host', value: host });
  }
}

export function checkUser(user: string): void {
  if (user === '' || user.startsWith('-') || USER_FORBIDDEN.test(user) || user.endsWith('\\')) {
    throw new CoreError('sshDestinationInvalid', `Invalid user name "${user}"`, { field: 'user', value: user });
  }
}

export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CoreError('sshDestinationInvalid', `Invalid port ${port}`, { field: 'port', value: String(port) });
  }
}

export function parsePort(s: string): number {
  if (!/^\d{1,5}$/.test(s)) {
    throw new CoreError('sshDestinationInvalid', `Invalid port "${s}"`, { field: 'port', value: s });
  }
  const n = Number(s);
  checkPort(n);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Destinations

/** `why` is a code for the UI and the log (urlPath, unbalancedQuotes, twoUsers, …), never a sentence. */
function invalidDestination(input: string, why: string, option?: string): CoreError {
  return new CoreError(
    'sshDestinationInvalid',
    `Not an SSH destination (${why}${option ? ` ${option}` : ''}): ${input}`,
    {
      input,
      why,
      ...(option ? { option } : {}),
    },
  );
}

/** Splits a pasted command line on blanks, honouring simple quotes; nothing is expanded. */
function splitWords(input: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote = '';
  for (const ch of input) {
    if (quote) {
      if (ch === quote) {
        quote = '';
      } else {
        cur += ch;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) {
        words.push(cur);
        cur = '';
        inWord = false;
      }
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) {
    return undefined;
  }
  if (inWord) {
    words.push(cur);
  }
  return words;
}

/** `[user@]host[:port]`, `[user@][v6]:port`, a bare IPv6 address, or an `ssh://` URL. */
function parseDestinationWord(word: string, input: string): SshDestination {
  let s = word;
  let isUri = false;
  if (/^ssh:\/\//i.test(s)) {
    isUri = true;
    s = s.slice(6);
    if (s.endsWith('/')) {
      s = s.slice(0, -1);
    }
    if (s.includes('/') || s.includes('?') || s.includes('#')) {
      throw invalidDestination(input, 'urlPath');
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    throw invalidDestination(input, 'notSshUrl');
  }
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    if (isUri) {
      if (user.includes(':')) {
        throw invalidDestination(input, 'urlPassword');
      }
      try {
        user = decodeURIComponent(user);
      } catch {
        throw invalidDestination(input, 'userEscape');
      }
    }
    s = s.slice(at + 1);
  }
  let host: string;
  let port: number | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) {
      throw invalidDestination(input, 'unclosedBracket');
    }
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) {
        throw invalidDestination(input, 'textAfterBracket');
      }
      port = parsePort(rest.slice(1));
    }
  } else if ((s.match(/:/g) ?? []).length >= 2) {
    host = s; // a bare IPv6 address carries no port
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    if (colon >= 0) {
      port = parsePort(s.slice(colon + 1));
    }
  }
  if (user !== undefined) {
    checkUser(user);
  }
  checkHostName(host);
  return { ...(user !== undefined ? { user } : {}), host, ...(port !== undefined ? { port } : {}) };
}

/**
 * Accepts what a user pastes, like Remote-SSH: `host`, `user@host`, `user@host:2222`,
 * `[::1]:2222`, `ssh://user@host:2222`, `ssh -p 2222 user@host`, `ssh user@host -p 2222`,
 * `ssh -l user host`. Rejects anything else with sshDestinationInvalid.
 */
export function parseSshDestination(input: string): SshDestination {
  const words = splitWords(input.trim());
  if (words === undefined) {
    throw invalidDestination(input, 'unbalancedQuotes');
  }
  if (words.length === 0) {
    throw invalidDestination(input, 'empty');
  }
  if (words[0] !== 'ssh') {
    if (words.length !== 1) {
      throw invalidDestination(input, 'severalWords');
    }
    return parseDestinationWord(words[0], input);
  }
  let port: number | undefined;
  let user: string | undefined;
  let dest: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    const takeValue = (flag: string): string => {
      if (w.length > 2) {
        return w.slice(2);
      }
      const v = words[++i];
      if (v === undefined) {
        throw invalidDestination(input, 'optionWithoutValue', flag);
      }
      return v;
    };
    if (w.startsWith('-p')) {
      if (port !== undefined) {
        throw invalidDestination(input, 'portTwice');
      }
      port = parsePort(takeValue('-p'));
    } else if (w.startsWith('-l')) {
      if (user !== undefined) {
        throw invalidDestination(input, 'userTwice');
      }
      user = takeValue('-l');
      checkUser(user);
    } else if (w.startsWith('-')) {
      throw invalidDestination(input, 'unsupportedOption', w);
    } else if (dest === undefined) {
      dest = w;
    } else {
      throw invalidDestination(input, 'remoteCommand');
    }
  }
  if (dest === undefined) {
    throw invalidDestination(input, 'noHost');
  }
  const parsed = parseDestinationWord(dest, input);
  if (port !== undefined && parsed.port !== undefined && port !== parsed.port) {
    throw invalidDestination(input, 'twoPorts');
  }
  if (user !== undefined && parsed.user !== undefined && user !== parsed.user) {
    throw invalidDestination(input, 'twoUsers');
  }
  const u = parsed.user ?? user;
  const p = parsed.port ?? port;
  return { ...(u !== undefined ? { user: u } : {}), host: parsed.host, ...(p !== undefined ? { port: p } : {}) };
}

/**
 * A short alias for a destination: the first label of a host name (`build` for
 * `build.example.com`), an IP address with its separators made safe. `existing` aliases
 * (compared case-insensitively) get a `-2`, `-3`, … suffix avoided.
 */
export function suggestAlias(dest: SshDestination, existing: readonly string[] = []): string {
  let base: string;
  const ipVersion = isIP(dest.host.split('%')[0]);
  if (ipVersion === 6) {
    base = 'ipv6-' + dest.host.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+/, '');
  } else if (ipVersion === 4) {
    base = dest.host;
  } else {
    const first = dest.host.split('.')[0];
    base = (first !== '' && !/^\d+$/.test(first) ? first : dest.host).replace(/[^A-Za-z0-9._-]+/g, '-');
  }
  base = base.replace(/^[-.]+/, '').replace(/[-.]+$/, '');
  if (base === '') {
    base = 'host';
  }
  const taken = new Set(existing.map((a) => a.toLowerCase()));
  let candidate = base;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) {
    candidate = `${base}-${n}`;
  }
  return candidate;
}
