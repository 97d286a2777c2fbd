/**
 * A small JSON reader for the docker CLI's files (goJson.ts writes them the way Go does).
 *
 * Why not JSON.parse/JSON.stringify: rewriting a user's file must be lossless. The reader keeps
 * every member in document order (duplicates included, which decide what Go's decoder sees),
 * remembers where each value sits in the text so config.json can be edited in place, and keeps
 * numbers as their source text so big integers survive. The writer produces the bytes Go's
 * `json.Marshal` produces (map keys sorted, `<>&` and U+2028/U+2029 escaped), so a meta.json we
 * write is byte-identical to the one `docker context create` writes.
 */

export interface JsonSpan {
  /** Offset of the value's first character in the parsed text. */
  start: number;
  /** Offset just past the value's last character. */
  end: number;
}
export interface JsonObject extends JsonSpan {
  type: 'object';
  members: JsonMember[];
}
export interface JsonMember {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: JsonNode;
}
export interface JsonArray extends JsonSpan {
  type: 'array';
  items: JsonNode[];
}
export interface JsonString extends JsonSpan {
  type: 'string';
  value: string;
}
export interface JsonNumber extends JsonSpan {
  type: 'number';
  /** The number exactly as written, so re-encoding never rounds it. */
  raw: string;
}
export interface JsonBoolean extends JsonSpan {
  type: 'boolean';
  value: boolean;
}
export interface JsonNull extends JsonSpan {
  type: 'null';
}
export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonBoolean | JsonNull;

export class JsonSyntaxError extends Error {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  constructor(message: string, text: string, offset: number) {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'JsonSyntaxError';
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

export interface ParsedJsonDocument {
  /** Undefined when the text holds only whitespace. */
  value: JsonNode | undefined;
  /** Offset of the first non-whitespace character after the value, or text.length. */
  trailingAt: number;
}

/** Go's decoder gives up beyond this depth too (10000); we stop earlier to stay off the stack limit. */
const MAX_DEPTH = 1000;

/**
 * Parses one JSON value (RFC 8259, as strict as Go's decoder) and reports where any text after
 * it begins; whether trailing text is an error is the caller's decision (Go's `json.Unmarshal`
 * rejects it, the `json.Decoder` the CLI uses for config.json ignores it).
 */
export function parseJsonDocument(text: string): ParsedJsonDocument {
  const p = new Parser(text);
  p.skipWs();
  if (p.pos >= text.length) {
    return { value: undefined, trailingAt: text.length };
  }
  const value = p.value(0);
  p.skipWs();
  return { value, trailingAt: p.pos };
}

/** Parses a complete document: exactly one value and nothing but whitespace after it. */
export function parseJsonStrict(text: string): JsonNode {
  const doc = parseJsonDocument(text);
  if (doc.value === undefined) {
    throw new JsonSyntaxError('unexpected end of JSON input', text, text.length);
  }
  if (doc.trailingAt < text.length) {
    throw new JsonSyntaxError('unexpected text after the top-level value', text, doc.trailingAt);
  }
  return doc.value;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string, at = this.pos): never {
    throw new JsonSyntaxError(message, this.text, at);
  }

  skipWs(): void {
    const t = this.text;
    let i = this.pos;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
      } else {
        break;
      }
    }
    this.pos = i;
  }

  value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) {
      this.fail('JSON nested too deeply');
    }
    const t = this.text;
    const start = this.pos;
    const c = t.charCodeAt(start);
    switch (c) {
      case 0x7b /* { */:
        return this.object(depth);
      case 0x5b /* [ */:
        return this.array(depth);
      case 0x22 /* " */: {
        const value = this.string();
        return { type: 'string', value, start, end: this.pos };
      }
      case 0x74 /* t */:
        this.literal('true');
        return { type: 'boolean', value: true, start, end: this.pos };
      case 0x66 /* f */:
        this.literal('false');
        return { type: 'boolean', value: false, start, end: this.pos };
      case 0x6e /* n */:
        this.literal('null');
        return { type: 'null', start, end: this.pos };
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          return this.number();
        }
        if (Number.isNaN(c)) {
          this.fail('unexpected end of JSON input');
        }
        this.fail(`invalid character ${JSON.stringify(t[start])} looking for beginning of value`);
    }
  }

  literal(word: string): void {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return;
    }
    this.fail(`invalid literal, expected ${word}`);
  }

  number(): JsonNumber {
    const t = this.text;
    const start = this.pos;
    let i = start;
    if (t.charCodeAt(i) === 0x2d) {
      i++;
    }
    const digitsFrom = (from: number): number => {
      let j = from;
      while (j < t.length && t.charCodeAt(j) >= 0x30 && t.charCodeAt(j) <= 0x39) {
        j++;
      }
      return j;
    };
    if (t.charCodeAt(i) === 0x30) {
      i++;
    } else {
      const j = digitsFrom(i);
      if (j === i) {
        this.fail('invalid number', i);
      }
      i = j;
    }
    if (t.charCodeAt(i) === 0x2e) {
      const j = digitsFrom(i + 1);
      if (j === i + 1) {
        this.fail('invalid number: digit expected after the decimal point', j);
      }
      i = j;
    }
    const e = t.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = t.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) {
        i++;
      }
      const j = digitsFrom(i);
      if (j === i) {
        this.fail('invalid number: digit expected in the exponent', j);
      }
      i = j;
    }
    this.pos = i;
    return { type: 'number', raw: t.slice(start, i), start, end: i };
  }

  string(): string {
    const t = this.text;
    let i = this.pos + 1;
    let out = '';
    let chunk = i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        out += t.slice(chunk, i);
        this.pos = i + 1;
        return out;
      }
      if (c === 0x5c) {
        out += t.slice(chunk, i);
        const esc = t[i + 1];
        switch (esc) {
          case '"':
          case '\\':
          case '/':
            out += esc;
            i += 2;
            break;
          case 'b':
            out += '\b';
            i += 2;
            break;
          case 'f':
            out += '\f';
            i += 2;
            break;
          case 'n':
            out += '\n';
            i += 2;
            break;
          case 'r':
            out += '\r';
            i += 2;
            break;
          case 't':
            out += '\t';
            i += 2;
            break;
          case 'u': {
            const hex = t.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.fail('invalid \\u escape in string', i);
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 6;
            break;
          }
          default:
            this.fail('invalid escape in string', i);
        }
        chunk = i;
        continue;
      }
      if (Number.isNaN(c)) {
        this.fail('unexpected end of JSON input in string', i);
      }
      if (c < 0x20) {
        this.fail('invalid control character in string', i);
      }
      i++;
    }
  }

  object(depth: number): JsonObject {
    const start = this.pos;
    this.pos++;
    const members: JsonMember[] = [];
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return { type: 'object', members, start, end: this.pos };
    }
    for (;;) {
      this.skipWs();
      if (this.text.charCodeAt(this.pos) !== 0x22) {
        this.fail('object key string expected');
      }
      const keyStart = this.pos;
      const key = this.string();
      const keyEnd = this.pos;
      this.skipWs();
      if (this.text.charCodeAt(this.pos) !== 0x3a) {
        this.fail("':' expected after object key");
      }
      this.pos++;
      this.skipWs();
      const value = this.value(depth + 1);
      members.push({ key, keyStart, keyEnd, value });
      this.skipWs();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return { type: 'object', members, start, end: this.pos };
      }
      this.fail("',' or '}' expected in object");
    }
  }

  array(depth: number): JsonArray {
    const start = this.pos;
    this.pos++;
    const items: JsonNode[] = [];
    this.skipWs();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return { type: 'array', items, start, end: this.pos };
    }
    for (;;) {
      this.skipWs();
      items.push(this.value(depth + 1));
      this.skipWs();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return { type: 'array', items, start, end: this.pos };
      }
      this.fail("',' or ']' expected in array");
    }
  }
}

/** The plain JavaScript value of a node, as JSON.parse would give it (last duplicate key wins). */
export function toPlain(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const m of node.members) {
        out[m.key] = toPlain(m.value);
      }
      return out;
    }
    case 'array':
      return node.items.map(toPlain);
    case 'string':
    case 'boolean':
      return node.value;
    case 'number':
      return Number(node.raw);
    case 'null':
      return null;
  }
}
