import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * `Include` as OpenSSH resolves it (readconf.c): a relative path lives in `~/.ssh` for a user
 * configuration and in the system directory (`/etc/ssh`) for the system one; `~` is only allowed
 * in user configurations; the result is a glob(3) pattern with tilde expansion, matched files in
 * sorted order, no match being silently nothing.
 */
export interface IncludeContext {
  home: string;
  /** True for the user's config and the files it includes. */
  userConf: boolean;
  /** Directory for relative includes of the system configuration. */
  systemDir: string;
}

/** The anchored pattern for one `Include` argument, or undefined when ssh refuses it (`~` in a system file). */
export function anchorInclude(arg: string, ctx: IncludeContext): string | undefined {
  if (arg.startsWith('~') && !ctx.userConf) {
    return undefined;
  }
  let p = arg;
  if (!isAbsolutePath(p) && !p.startsWith('~')) {
    p = ctx.userConf ? `~/.ssh/${p}` : `${ctx.systemDir}/${p}`;
  }
  if (p === '~' || p.startsWith('~/')) {
    p = ctx.home + p.slice(1);
  }
  return p;
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || (process.platform === 'win32' && path.win32.isAbsolute(p));
}

const MAGIC = /[*?[]/;

/** glob(3) without GLOB_NOCHECK/GLOB_PERIOD: sorted byte-wise, hidden names need a literal dot. */
export async function globFiles(pattern: string): Promise<string[]> {
  if (!isAbsolutePath(pattern)) {
    // Only `~user/…` (another user's home, which glob would look up in passwd) is left relative
    // after anchoring; it must never be read relative to this process's working directory.
    return [];
  }
  if (process.platform === 'win32') {
    return globWindows(pattern);
  }
  if (!MAGIC.test(pattern)) {
    try {
      await fs.lstat(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let current: string[] = [absolute ? '/' : ''];
  if (absolute) {
    segments.shift();
  }
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const base of current) {
      if (!MAGIC.test(seg)) {
        const candidate = joinPath(base, unescapeGlob(seg));
        if (last) {
          try {
            await fs.lstat(candidate);
            next.push(candidate);
          } catch {
            // no such entry: no match
          }
        } else {
          next.push(candidate);
        }
        continue;
      }
      let names: string[];
      try {
        names = await fs.readdir(base === '' ? '.' : base);
      } catch {
        continue;
      }
      const re = globSegmentRegExp(seg);
      for (const name of names) {
        if (name.startsWith('.') && !seg.startsWith('.')) {
          continue;
        }
        if (re.test(name)) {
          next.push(joinPath(base, name));
        }
      }
    }
    current = next;
    if (current.length === 0) {
      return [];
    }
  }
  return current.sort(byteOrder);
}

/** Windows paths: forward and back slashes both separate, a drive root, no backslash escapes. */
async function globWindows(pattern: string): Promise<string[]> {
  const norm = pattern.replace(/\\/g, '/');
  const root = /^[A-Za-z]:\//.exec(norm)?.[0] ?? (norm.startsWith('//') ? '//' : '/');
  let current = [root];
  const segments = norm
    .slice(root.length)
    .split('/')
    .filter((s) => s !== '');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const next: string[] = [];
    for (const base of current) {
      if (!MAGIC.test(seg)) {
        const candidate = joinPath(base, seg);
        if (
          i < segments.length - 1 ||
          (await fs.lstat(candidate).then(
            () => true,
            () => false,
          ))
        ) {
          next.push(candidate);
        }
        continue;
      }
      const names = await fs.readdir(base).catch(() => [] as string[]);
      const re = globSegmentRegExp(seg);
      for (const name of names) {
        if (!(name.startsWith('.') && !seg.startsWith('.')) && re.test(name)) {
          next.push(joinPath(base, name));
        }
      }
    }
    current = next;
  }
  return current.sort(byteOrder);
}

function joinPath(base: string, name: string): string {
  if (base === '') {
    return name;
  }
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}

function byteOrder(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ba, bb);
}

function unescapeGlob(seg: string): string {
  return seg.replace(/\\(.)/g, '$1');
}

function globSegmentRegExp(seg: string): RegExp {
  let src = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '\\' && i + 1 < seg.length) {
      src += escapeRe(seg[++i]);
    } else if (c === '*') {
      src += '.*';
    } else if (c === '?') {
      src += '.';
    } else if (c === '[') {
      const close = findClassEnd(seg, i);
      if (close < 0) {
        src += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      src += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m, off: number) => (m === ']' && off === 0 ? '\\]' : `\\${m}`))}]`;
      i = close;
    } else {
      src += escapeRe(c);
    }
  }
  return new RegExp(`^${src}$`, 's');
}

function findClassEnd(seg: string, open: number): number {
  let j = open + 1;
  if (seg[j] === '!' || seg[j] === '^') {
    j++;
  }
  if (seg[j] === ']') {
    j++;
  }
  const close = seg.indexOf(']', j);
  return close;
}

function escapeRe(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
