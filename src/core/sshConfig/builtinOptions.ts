/** The keywords the built-in evaluator reads, with OpenSSH's first-value-wins rule and its errors for bad values. */
import { configError, type Collected, type Pass } from './builtinState';
import { MAX_IDENTITY_FILES, type StrictHostKeyChecking } from './effectiveHost';

const ALGORITHM_FIELDS = {
  hostkeyalgorithms: 'hostKeyAlgorithms',
  pubkeyacceptedalgorithms: 'pubkeyAcceptedAlgorithms',
  pubkeyacceptedkeytypes: 'pubkeyAcceptedAlgorithms',
  kexalgorithms: 'kexAlgorithms',
  ciphers: 'ciphers',
  macs: 'macs',
} as const;

function single(args: string[], file: string, line: number, key: string): string {
  if (args.length === 0 || args[0] === '') {
    throw configError(file, line, `missing argument for ${key}`);
  }
  if (args.length > 1) {
    throw configError(file, line, `keyword ${key} extra arguments at end of line`);
  }
  return args[0];
}

function parseFlag(v: string, file: string, line: number, key: string): boolean {
  switch (v.toLowerCase()) {
    case 'yes':
    case 'true':
      return true;
    case 'no':
    case 'false':
      return false;
    default:
      throw configError(file, line, `unsupported option "${v}" for ${key}`);
  }
}

export function applyOption(
  pass: Pass,
  key: string,
  args: string[],
  rest: string,
  active: boolean,
  file: string,
  line: number,
): void {
  // One short arm per keyword, as in readconf.c's process_config_line; split up, the
  // first-value-wins rule would be scattered over many functions.
  const o = pass.opts;
  switch (key) {
    case 'hostname': {
      const v = single(args, file, line, key);
      if (active && o.hostname === undefined) {
        o.hostname = v;
      }
      break;
    }
    case 'user': {
      const v = single(args, file, line, key);
      if (active && o.user === undefined) {
        o.user = v;
      }
      break;
    }
    case 'port': {
      const v = single(args, file, line, key);
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n > 0 && n <= 65535)) {
        throw configError(file, line, `Badly formatted port number ${v}`);
      }
      if (active && o.port === undefined) {
        o.port = n;
      }
      break;
    }
    case 'identityfile': {
      const v = single(args, file, line, key);
      if (active && !o.identityFiles.includes(v)) {
        if (o.identityFiles.length >= MAX_IDENTITY_FILES) {
          throw configError(file, line, 'too many identity files specified');
        }
        o.identityFiles.push(v);
      }
      break;
    }
    case 'identitiesonly': {
      const v = parseFlag(single(args, file, line, key), file, line, key);
      if (active && o.identitiesOnly === undefined) {
        o.identitiesOnly = v;
      }
      break;
    }
    case 'identityagent': {
      const v = single(args, file, line, key);
      if (active && o.identityAgent === undefined) {
        o.identityAgent = v;
      }
      break;
    }
    case 'hostkeyalgorithms':
    case 'pubkeyacceptedalgorithms':
    case 'pubkeyacceptedkeytypes':
    case 'kexalgorithms':
    case 'ciphers':
    case 'macs': {
      const v = single(args, file, line, key);
      const field = ALGORITHM_FIELDS[key];
      if (active && o[field] === undefined) {
        o[field] = v;
      }
      break;
    }
    case 'hostkeyalias': {
      const v = single(args, file, line, key);
      if (active && o.hostKeyAlias === undefined) {
        o.hostKeyAlias = v;
      }
      break;
    }
    case 'proxyjump': {
      const v = single(args, file, line, key);
      applyProxyJump(o, v, active, file, line);
      break;
    }
    case 'proxycommand': {
      // ssh takes the rest of the line verbatim, comments included. A real ProxyJump has set
      // it to `none` already; `ProxyJump none` does not block it (checked against ssh -G).
      if (active && o.proxyCommand === undefined) {
        o.proxyCommand = rest;
      }
      break;
    }
    case 'userknownhostsfile':
    case 'globalknownhostsfile': {
      if (args.some((a) => a === '')) {
        throw configError(file, line, `keyword ${key} empty argument`);
      }
      if (args.some((a) => a.toLowerCase() === 'none') && args.length > 1) {
        throw configError(file, line, `keyword ${key} "none" argument must appear alone`);
      }
      const field = key === 'userknownhostsfile' ? 'userKnownHostsFiles' : 'globalKnownHostsFiles';
      if (active && o[field] === undefined) {
        o[field] = [...args];
      }
      break;
    }
    case 'stricthostkeychecking': {
      const v = single(args, file, line, key).toLowerCase();
      const map: Record<string, StrictHostKeyChecking> = {
        yes: 'yes',
        true: 'yes',
        no: 'no',
        false: 'no',
        off: 'no',
        ask: 'ask',
        'accept-new': 'accept-new',
      };
      if (!(v in map)) {
        throw configError(file, line, `unsupported option "${v}" for ${key}`);
      }
      if (active && o.strictHostKeyChecking === undefined) {
        o.strictHostKeyChecking = map[v];
      }
      break;
    }
    case 'hashknownhosts': {
      const v = parseFlag(single(args, file, line, key), file, line, key);
      if (active && o.hashKnownHosts === undefined) {
        o.hashKnownHosts = v;
      }
      break;
    }
    case 'connecttimeout':
    case 'serveraliveinterval': {
      const v = single(args, file, line, key);
      const t = v === 'none' ? -1 : convtime(v);
      if (t === undefined) {
        throw configError(file, line, `invalid time value ${v}`);
      }
      const field = key === 'connecttimeout' ? 'connectTimeout' : 'serverAliveInterval';
      // `none` (-1) leaves the option unset, so a later line can still set it.
      if (active && o[field] === undefined && t !== -1) {
        o[field] = t;
      }
      break;
    }
    case 'serveralivecountmax': {
      const v = single(args, file, line, key);
      if (!/^-?\d+$/.test(v)) {
        throw configError(file, line, `invalid integer ${v}`);
      }
      if (active && o.serverAliveCountMax === undefined) {
        o.serverAliveCountMax = Number(v);
      }
      break;
    }
    case 'canonicalizehostname': {
      const v = single(args, file, line, key).toLowerCase();
      if (!['yes', 'no', 'true', 'false', 'always'].includes(v)) {
        throw configError(file, line, `unsupported option "${v}" for ${key}`);
      }
      if (active && o.canonicalizeHostname === undefined) {
        o.canonicalizeHostname = v !== 'no' && v !== 'false';
      }
      break;
    }
    default:
      break;
  }
}

/** OpenSSH's `convtime`: `90`, `1m30s`, `2h`, … in seconds; undefined when malformed. */
export function convtime(s: string): number | undefined {
  if (s === '') {
    return undefined;
  }
  let total = 0;
  const re = /(\d+)([sSmMhHdDwW]?)/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) {
      return undefined;
    }
    const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2].toLowerCase()] ?? 1;
    total += Number(m[1]) * mult;
    i = re.lastIndex;
  }
  return total > 2 ** 31 - 1 ? undefined : total;
}

/** `parse_jump`: the first ProxyJump wins; ssh prints the last hop re-assembled after the others. */
function applyProxyJump(o: Collected, v: string, active: boolean, file: string, line: number): void {
  const hops = v.split(',');
  if (v.toLowerCase() !== 'none') {
    for (const hop of hops) {
      if (parseHop(hop) === undefined) {
        throw configError(file, line, `Invalid ProxyJump "${v}"`);
      }
    }
  }
  if (!active || o.proxyCommand !== undefined || o.jumpHost !== undefined) {
    return;
  }
  if (v.toLowerCase() === 'none') {
    o.jumpHost = 'none';
    return;
  }
  const last = parseHop(hops[hops.length - 1]) as { user?: string; host: string; port?: number };
  const extra = hops.length > 1 ? v.slice(0, v.lastIndexOf(',')) + ',' : '';
  const host = last.host.includes(':') ? `[${last.host}]` : last.host;
  o.jumpHost = last.host;
  o.jumpFormatted = `${extra}${last.user !== undefined ? last.user + '@' : ''}${host}${last.port !== undefined ? ':' + last.port : ''}`;
  o.proxyCommand = 'none';
}

function parseHop(hop: string): { user?: string; host: string; port?: number } | undefined {
  let s = hop;
  if (/^ssh:\/\//i.test(s)) {
    s = s.slice(6).replace(/\/$/, '');
    if (s.includes('[')) {
      return undefined; // OpenSSH 9.2 rejects bracketed addresses in ProxyJump URIs
    }
  }
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    if (user === '') {
      return undefined;
    }
    s = s.slice(at + 1);
  }
  let host: string;
  let portStr: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) {
      return undefined;
    }
    host = s.slice(1, close);
    const after = s.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) {
      return undefined;
    }
    portStr = after === '' ? undefined : after.slice(1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    portStr = colon < 0 ? undefined : s.slice(colon + 1);
  }
  if (host === '') {
    return undefined;
  }
  let port: number | undefined;
  if (portStr !== undefined && portStr !== '') {
    port = /^\d+$/.test(portStr) ? Number(portStr) : NaN;
    if (!(port > 0 && port <= 65535)) {
      return undefined;
    }
  }
  return { user, host, port };
}
