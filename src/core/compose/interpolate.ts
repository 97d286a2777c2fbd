/**
 * Compose's variable interpolation (compose-spec "Interpolation"): `$VAR`, `${VAR}`,
 * `${VAR:-default}` / `${VAR-default}`, `${VAR:?err}` / `${VAR?err}`, `${VAR:+alt}` / `${VAR+alt}`
 * and `$$` for a literal dollar. Defaults may themselves hold variables. A variable that is not
 * set becomes the empty string, as Compose does (after a warning), and is reported.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export interface Interpolated {
  value: string;
  /** Variables used without a value and without a default. */
  unset: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, env: Environment): Interpolated {
  const unset: string[] = [];
  const value = expand(text, env, unset);
  return { value, unset };
}

function expand(text: string, env: Environment, unset: string[]): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const close = matchingBrace(text, i + 1);
      if (close < 0) {
        // Compose refuses this ("invalid interpolation format"); keep the text as written.
        out += text.slice(i);
        break;
      }
      out += braced(text.slice(i + 2, close), env, unset);
      i = close + 1;
    } else {
      const m = NAME.exec(text.slice(i + 1));
      if (!m) {
        out += '$';
        i++;
        continue;
      }
      out += lookup(m[0], env, unset);
      i += 1 + m[0].length;
    }
  }
  return out;
}

/** The `}` closing the `{` at `open`, skipping nested `${…}` of a default. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') {
      depth++;
    } else if (text[i] === '}') {
      depth--;
      if (depth === 0) {
        return i;
      }
    }
  }
  return -1;
}

function braced(body: string, env: Environment, unset: string[]): string {
  const m = NAME.exec(body);
  if (!m) {
    return '${' + body + '}';
  }
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') {
    return lookup(name, env, unset);
  }
  const op = /^(:?[-?+])/.exec(rest);
  if (!op) {
    return '${' + body + '}';
  }
  const word = rest.slice(op[1].length);
  const v = env[name];
  const colon = op[1].startsWith(':');
  const present = colon ? v !== undefined && v !== '' : v !== undefined;
  switch (op[1].slice(-1)) {
    case '-':
      return present ? (v ?? '') : expand(word, env, unset);
    case '+':
      return present ? expand(word, env, unset) : '';
    default:
      // `?`: Compose stops with the message; the path is then unknowable, so it reads as unset.
      if (!present) {
        unset.push(name);
      }
      return v ?? '';
  }
}

function lookup(name: string, env: Environment, unset: string[]): string {
  const v = env[name];
  if (v === undefined) {
    unset.push(name);
    return '';
  }
  return v;
}

/**
 * A Compose `.env` file: `KEY=VALUE` lines, `#` comments, optional `export `, single-quoted values
 * literal, double-quoted values with `\n`-style escapes, unquoted values with a trailing ` #comment`
 * removed. Values refer to earlier keys and the environment (`${VAR}`), as Compose's dotenv does.
 */
export function parseDotEnv(text: string, env: Environment = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      continue;
    }
    const [, key, rawValue] = m;
    out[key] = dotEnvValue(rawValue, { ...env, ...out });
  }
  return out;
}

function dotEnvValue(v: string, env: Environment): string {
  if (v.startsWith("'")) {
    const end = v.indexOf("'", 1);
    return end > 0 ? v.slice(1, end) : v.slice(1);
  }
  if (v.startsWith('"')) {
    let s = '';
    for (let i = 1; i < v.length; i++) {
      if (v[i] === '\\' && i + 1 < v.length) {
        const e = v[++i];
        s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      } else if (v[i] === '"') {
        break;
      } else {
        s += v[i];
      }
    }
    return interpolate(s, env).value;
  }
  const comment = /\s#/.exec(v);
  return interpolate((comment ? v.slice(0, comment.index) : v).trim(), env).value;
}
