/**
 * OpenSSH's pattern matching (match.c): `*` is any run of characters, `?` exactly one, every
 * other character literal. Used for `Host` lines (case-sensitive, one pattern per argument)
 * and `Match` criteria (comma-separated lists, optionally lower-cased, `!` negation).
 */

const cache = new Map<string, RegExp>();

/** `match_pattern()`: the whole string must match; case-sensitive. */
export function matchPattern(s: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    let src = '';
    for (const ch of pattern) {
      if (ch === '*') {
        src += '[\\s\\S]*';
      } else if (ch === '?') {
        src += '[\\s\\S]';
      } else {
        src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
      }
    }
    re = new RegExp(`^${src}$`, 'u');
    if (cache.size > 500) {
      cache.clear();
    }
    cache.set(pattern, re);
  }
  return re.test(s);
}

/**
 * `match_pattern_list()`: 1 when some positive pattern of the comma-separated list matches and
 * no negated one does, -1 as soon as a negated pattern matches, 0 otherwise. With `lower` the
 * patterns are lower-cased (the caller lower-cases the string), as for host names.
 */
export function matchPatternList(s: string, list: string, lower: boolean): -1 | 0 | 1 {
  let positive = false;
  for (const raw of list.split(',')) {
    let p = raw;
    const negated = p.startsWith('!');
    if (negated) {
      p = p.slice(1);
    }
    if (lower) {
      p = p.toLowerCase();
    }
    if (matchPattern(s, p)) {
      if (negated) {
        return -1;
      }
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** `match_hostname()`: host names compare case-insensitively. */
export function matchHostname(host: string, list: string): -1 | 0 | 1 {
  return matchPatternList(host.toLowerCase(), list, true);
}

/** True when a `Host` pattern names one host literally (no wildcard, no negation). */
export function isConcretePattern(p: string): boolean {
  return p.length > 0 && !p.startsWith('!') && !p.includes('*') && !p.includes('?');
}
