/** ssh's `%` tokens, `${ENV}` and `~` in path-valued options, shared by both resolvers. */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolveOptions } from './effectiveHost';

export interface TokenContext {
  home: string;
  env: NodeJS.ProcessEnv;
  values: Record<string, string>;
}

export function tokenContext(
  options: ResolveOptions,
  alias: string,
  hostname: string,
  user: string,
  port: number,
  hostKeyAlias: string | undefined,
): TokenContext {
  const thisHost = os.hostname();
  const shortHost = thisHost.split('.')[0];
  const portStr = String(port);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (process.platform !== 'win32') {
    env.HOME = options.home;
  }
  return {
    home: options.home,
    env,
    values: {
      '%': '%',
      C: createHash('sha1')
        .update(thisHost + hostname + portStr + user)
        .digest('hex'),
      L: shortHost,
      i: String(process.getuid?.() ?? 0),
      k: hostKeyAlias ?? alias,
      l: thisHost,
      n: alias,
      p: portStr,
      d: options.home,
      h: hostname,
      r: user,
      u: options.localUser,
    },
  };
}

export function expandTilde(p: string, home: string): string {
  if (p === '~') {
    return home;
  }
  if (p.startsWith('~/') || (process.platform === 'win32' && p.startsWith('~\\'))) {
    // Plain concatenation like tilde_expand_filename(): no normalisation of `..` or slashes.
    return (home.endsWith('/') || home.endsWith(path.sep) ? home : home + p[1]) + p.slice(2);
  }
  return p;
}

/** tilde_expand_filename, then percent and `${ENV}` expansion, as ssh does for paths. Unknown tokens stay. */
export function expandPath(p: string, t: TokenContext): string {
  const tilde = expandTilde(p, t.home);
  let out = '';
  for (let i = 0; i < tilde.length; i++) {
    const c = tilde[i];
    if (c === '%' && i + 1 < tilde.length && t.values[tilde[i + 1]] !== undefined) {
      out += t.values[tilde[++i]];
    } else if (c === '$' && tilde[i + 1] === '{') {
      const close = tilde.indexOf('}', i + 2);
      const name = close > 0 ? tilde.slice(i + 2, close) : '';
      const val = name !== '' ? t.env[name] : undefined;
      if (val === undefined) {
        out += c;
      } else {
        out += val;
        i = close;
      }
    } else {
      out += c;
    }
  }
  return out;
}
