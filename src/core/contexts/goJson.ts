/**
 * The bytes Go's `encoding/json` writes and the way its decoder matches keys, for the documents
 * that jsonDocument.ts parses: a meta.json written here is byte-identical to the CLI's.
 */
import type { JsonMember, JsonNode } from './jsonDocument';

/** Go's `json.Marshal` of a string: HTML-safe, U+2028/U+2029 escaped, broken UTF-16 as \ufffd. */
export function goQuote(s: string): string {
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      switch (c) {
        case 0x08:
          rep = '\\b';
          break;
        case 0x0c:
          rep = '\\f';
          break;
        case 0x0a:
          rep = '\\n';
          break;
        case 0x0d:
          rep = '\\r';
          break;
        case 0x09:
          rep = '\\t';
          break;
        default:
          rep = '\\u00' + (c < 0x10 ? '0' : '') + c.toString(16);
      }
    } else if (c === 0x22) {
      rep = '\\"';
    } else if (c === 0x5c) {
      rep = '\\\\';
    } else if (c === 0x3c) {
      rep = '\\u003c';
    } else if (c === 0x3e) {
      rep = '\\u003e';
    } else if (c === 0x26) {
      rep = '\\u0026';
    } else if (c === 0x2028 || c === 0x2029) {
      rep = '\\u' + c.toString(16);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid surrogate pair is written as is
        continue;
      }
      // A lone surrogate cannot be UTF-8; Go writes what it decodes such bytes to.
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(chunk, i) + rep;
      chunk = i + 1;
    }
  }
  return out + s.slice(chunk) + '"';
}

/** Orders keys as Go sorts map keys: by their UTF-8 bytes, i.e. by code point. */
export function compareGoKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) {
      return x < y ? -1 : 1;
    }
    if (x > 0xffff) {
      i++;
    }
  }
  return a.length - b.length;
}

/**
 * Members as a Go `map[string]any` sees them: the last of duplicate keys wins, keys sorted.
 * Used for every object whose keys the CLI would store in a map.
 */
export function goMapMembers(members: readonly JsonMember[]): JsonMember[] {
  const last = new Map<string, JsonMember>();
  for (const m of members) {
    last.delete(m.key);
    last.set(m.key, m);
  }
  return [...last.values()].sort((x, y) => compareGoKeys(x.key, y.key));
}

/** Compact encoding the way Go re-marshals a decoded `any`, except numbers keep their source text. */
export function encodeGo(node: JsonNode): string {
  switch (node.type) {
    case 'object':
      return (
        '{' +
        goMapMembers(node.members)
          .map((m) => goQuote(m.key) + ':' + encodeGo(m.value))
          .join(',') +
        '}'
      );
    case 'array':
      return '[' + node.items.map(encodeGo).join(',') + ']';
    case 'string':
      return goQuote(node.value);
    case 'number':
      return node.raw;
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return 'null';
  }
}

/** ASCII case folding, which is how Go's decoder matches struct field names to keys. */
export function foldEquals(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}
