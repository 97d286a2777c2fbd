/**
 * "Use a named volume instead": the edits that turn one host-path mount into a named volume —
 * the source text replaced by the volume's name (and `type: bind` by `type: volume` in the long
 * syntax), and the name added under the top-level `volumes:` (made when missing). Every other
 * byte of the file stays as it was: the edits are offsets into the text, found with `yaml`'s
 * node ranges, not a re-serialised document.
 */
import * as path from 'node:path';
import type { Pair, YAMLMap } from 'yaml';
import type { HostMount, Span } from './composeMounts';
import { loadYaml } from './loadYaml';

export interface TextEdit extends Span {
  text: string;
}

export interface NamedVolumeFix {
  name: string;
  /** Non-overlapping, in document order. */
  edits: TextEdit[];
}

/** A volume name made from the path's last segment, not taken by a top-level volume yet. */
export function volumeNameFor(source: string, taken: readonly string[]): string {
  const base = path.posix.basename(source.replace(/\\/g, '/').replace(/\/+$/, ''));
  let name = base
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '');
  if (name === '') {
    name = 'data';
  }
  let candidate = name;
  for (let i = 2; taken.includes(candidate); i++) {
    candidate = `${name}-${i}`;
  }
  return candidate;
}

export function namedVolumeFix(text: string, mount: HostMount, taken: readonly string[]): NamedVolumeFix {
  const name = volumeNameFor(mount.source, taken);
  const edits: TextEdit[] = [sourceEdit(mount, name)];
  if (mount.typeSpan) {
    edits.push({ ...mount.typeSpan, text: 'volume' });
  }
  edits.push(volumesEntryEdit(text, name));
  edits.sort((a, b) => a.start - b.start);
  return { name, edits };
}

function sourceEdit(mount: HostMount, name: string): TextEdit {
  if (!mount.wholeScalar) {
    return { ...mount.span, text: name };
  }
  const value = mount.kind === 'short' && mount.scalar ? name + mount.scalar.rest : name;
  return { ...mount.span, text: JSON.stringify(value) };
}

/** Applies edits (non-overlapping) to the text. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function lineBreakOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** The insertion that declares `name` under the top-level `volumes:`. */
function volumesEntryEdit(text: string, name: string): TextEdit {
  const Y = loadYaml();
  const doc = Y.parseDocument(text, { uniqueKeys: false });
  const nl = lineBreakOf(text);
  const root = doc.contents;
  const pairs: Pair[] = Y.isMap(root) ? (root as YAMLMap).items : [];
  const volumes = pairs.find((p) => Y.isScalar(p.key) && p.key.value === 'volumes');
  const indent = ' '.repeat(childIndent(text, pairs) ?? 2);
  if (!volumes) {
    const sep = text === '' || text.endsWith('\n') ? '' : nl;
    return { start: text.length, end: text.length, text: `${sep}volumes:${nl}${indent}${name}:${nl}` };
  }
  const value = volumes.value;
  if (Y.isMap(value) && value.flow) {
    if (value.items.length === 0) {
      return { start: value.range?.[0] ?? 0, end: value.range?.[1] ?? 0, text: `{ ${name}: {} }` };
    }
    const last = value.items[value.items.length - 1];
    const lastNode = (last.value ?? last.key) as { range?: [number, number, number] };
    const after = lastNode.range?.[1] ?? 0;
    return { start: after, end: after, text: `, ${name}: {}` };
  }
  if (Y.isMap(value) && value.items.length > 0) {
    const first = value.items[0].key as { range?: [number, number, number] };
    const own = ' '.repeat(columnOf(text, first.range?.[0] ?? 0));
    const end = lastValueEnd(value) ?? text.length;
    const eol = text.indexOf('\n', end);
    return eol < 0
      ? { start: text.length, end: text.length, text: `${nl}${own}${name}:` }
      : { start: eol + 1, end: eol + 1, text: `${own}${name}:${nl}` };
  }
  // `volumes:` with nothing (or a null) after it: the entry goes on the next line.
  const keyEnd = (volumes.key as { range?: [number, number, number] }).range?.[1] ?? 0;
  const eol = text.indexOf('\n', keyEnd);
  const at = eol < 0 ? text.length : eol;
  const lineEnd = text[at - 1] === '\r' ? at - 1 : at;
  return { start: lineEnd, end: lineEnd, text: `${nl}${indent}${name}:` };
}

/** How far the file indents the entries of a top-level map (from `services:`), if it says. */
function childIndent(text: string, pairs: readonly Pair[]): number | undefined {
  const Y = loadYaml();
  for (const p of pairs) {
    if (Y.isMap(p.value) && !p.value.flow && p.value.items.length > 0) {
      const k = p.value.items[0].key as { range?: [number, number, number] };
      if (k.range) {
        return columnOf(text, k.range[0]);
      }
    }
  }
  return undefined;
}

/**
 * Where the last value written inside a block collection ends: the deepest last scalar's end (a
 * collection's own range runs on over the comment lines after it, which must stay below).
 */
function lastValueEnd(node: unknown): number | undefined {
  const Y = loadYaml();
  let n = node;
  for (;;) {
    if (Y.isMap(n) && n.items.length > 0) {
      const last = n.items[n.items.length - 1];
      n = last.value ?? last.key;
    } else if (Y.isSeq(n) && n.items.length > 0) {
      n = n.items[n.items.length - 1];
    } else {
      return (n as { range?: [number, number, number] } | null)?.range?.[1];
    }
  }
}
