/** `Match` lines and HostName canonicalisation for the built-in evaluator (no DNS, nothing executed). */
import { configError, type Pass } from './builtinState';
import { strdelim } from './sshConfigSyntax';
import { matchHostname, matchPatternList } from './sshPattern';

/** `match_cfg_line` for the criteria that need no execution, DNS or network. */
export function matchCfgLine(pass: Pass, condition: string, file: string, line: number): boolean {
  // Follows match_cfg_line's single token loop step by step, so it can be read against ssh's source.
  const o = pass.opts;
  const { alias, options } = pass;
  const ruser = o.user ?? options.localUser;
  const host = pass.finalPass
    ? (o.hostname as string)
    : o.hostname !== undefined
      ? expandHostnameTokens(o.hostname, alias)
      : alias;
  let result = true;
  let attributes = 0;
  let cp: string | null = condition;
  for (;;) {
    const t = strdelim(cp);
    if (t === undefined) {
      throw configError(file, line, 'invalid quotes in Match');
    }
    if (t === null || t.token === '') {
      break;
    }
    cp = t.rest;
    let attrib = t.token;
    if (attrib.startsWith('#')) {
      break;
    }
    const negate = attrib.startsWith('!');
    if (negate) {
      attrib = attrib.slice(1);
    }
    const name = attrib.toLowerCase();
    if (name === 'all') {
      const nextTok = strdelim(cp);
      if (attributes > 1 || (nextTok && nextTok.token !== '' && !nextTok.token.startsWith('#'))) {
        throw configError(file, line, `'all' cannot be combined with other Match attributes`);
      }
      if (result) {
        result = !negate;
      }
      return result;
    }
    attributes++;
    if (name === 'canonical' || name === 'final') {
      if (name === 'final' && !pass.finalPass) {
        pass.wantFinal = true;
      }
      if (pass.finalPass === negate) {
        result = false;
      }
      continue;
    }
    const argTok = strdelim(cp);
    if (argTok === undefined || argTok === null || argTok.token === '' || argTok.token.startsWith('#')) {
      throw configError(file, line, `Missing Match criteria for ${attrib}`);
    }
    cp = argTok.rest;
    const arg = argTok.token;
    let r: boolean;
    switch (name) {
      case 'host':
        r = matchHostname(host, arg) === 1;
        break;
      case 'originalhost':
        r = matchHostname(alias, arg) === 1;
        break;
      case 'user':
        r = matchPatternList(ruser, arg, false) === 1;
        break;
      case 'localuser':
        r = matchPatternList(options.localUser, arg, false) === 1;
        break;
      default:
        // exec, localnetwork, tagged, version, sessiontype, command, …: never evaluated here
        // (nothing is executed); the line simply does not apply.
        result = false;
        continue;
    }
    if (r === negate) {
      result = false;
    }
  }
  if (attributes === 0) {
    throw configError(file, line, 'One or more attributes required for Match');
  }
  return result;
}

/** HostName understands only `%h` (the alias) and `%%`. */
export function expandHostnameTokens(v: string, alias: string): string {
  return v.replace(/%([%h])/g, (_m, c: string) => (c === '%' ? '%' : alias));
}

/**
 * ssh does not lower-case IP literals, and rewrites them into their canonical text form when
 * that differs other than in case; other names are lower-cased. Returns undefined for names.
 */
export function canonicalAddress(host: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    return host;
  }
  if (host.includes(':') && !host.includes('%')) {
    try {
      const canon = new URL(`http://[${host}]/`).hostname.slice(1, -1);
      return canon.toLowerCase() === host.toLowerCase() ? host : canon;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
