import { isSectionStart, parseLine, splitLines, type ParsedLine, type RawLine } from './sshConfigSyntax';

/**
 * One ssh_config file as lines, with the block structure an editor needs: where each `Host`
 * block ends, which comments belong to which block, how blocks are separated. Everything is
 * computed from the original text so that edits can splice lines in and out and leave every
 * other byte as it was.
 */
export interface HostBlock {
  /** Index (0-based) of the `Host` line in `lines`. */
  index: number;
  patterns: string[];
  /** Index of the last line that belongs to the block (a directive or an indented comment). */
  lastIndex: number;
  /** Index of the next `Host`/`Match` line, or lines.length. */
  nextSectionIndex: number;
  /** An `Include` inside the block would be lost with it, so such blocks are not removed. */
  hasInclude: boolean;
}

export interface ConfigDocument {
  text: string;
  lines: RawLine[];
  parsed: ParsedLine[];
  blocks: HostBlock[];
  /** Index of the first `Host`/`Match` line, or lines.length when there is none. */
  firstSectionIndex: number;
  /** Lines ssh would refuse (unbalanced quotes, keyword without argument). */
  errors: { line: number; error: string; keyword: string }[];
  /** The terminator new lines should use: the file's own, `\n` for a new file. */
  eol: string;
}

export function parseDocument(text: string): ConfigDocument {
  const lines = splitLines(text);
  const parsed = lines.map((l) => parseLine(l.text));
  const errors: ConfigDocument['errors'] = [];
  parsed.forEach((p, i) => {
    if (p.kind === 'error') {
      errors.push({ line: lines[i].number, error: p.error, keyword: p.keyword });
    }
  });
  const sectionIdx: number[] = [];
  parsed.forEach((p, i) => {
    if (isSectionStart(p)) {
      sectionIdx.push(i);
    }
  });
  const blocks: HostBlock[] = [];
  sectionIdx.forEach((idx, n) => {
    const p = parsed[idx];
    if (p.kind !== 'directive' || p.key !== 'host') {
      return;
    }
    const next = n + 1 < sectionIdx.length ? sectionIdx[n + 1] : lines.length;
    let last = idx;
    let hasInclude = false;
    for (let i = idx + 1; i < next; i++) {
      const q = parsed[i];
      if (q.kind === 'directive' || q.kind === 'error') {
        last = i;
        if (q.key === 'include') {
          hasInclude = true;
        }
      }
    }
    // Indented comments right after the last directive read as part of this block; an
    // unindented comment or a blank line starts what belongs to the next one.
    while (last + 1 < next && isIndentedComment(parsed[last + 1])) {
      last++;
    }
    blocks.push({ index: idx, patterns: p.args, lastIndex: last, nextSectionIndex: next, hasInclude });
  });
  const crlf = lines.filter((l) => l.eol === '\r\n').length;
  const lf = lines.filter((l) => l.eol === '\n').length;
  return {
    text,
    lines,
    parsed,
    blocks,
    firstSectionIndex: sectionIdx.length ? sectionIdx[0] : lines.length,
    errors,
    eol: crlf > lf ? '\r\n' : '\n',
  };
}

function isIndentedComment(p: ParsedLine): boolean {
  return p.kind === 'comment' && p.indented;
}

export function isBlank(p: ParsedLine): boolean {
  return p.kind === 'blank';
}

/**
 * The line range [from, to) removing a block deletes: the block itself plus the blank lines
 * that separated it from what follows (or, at the end of the file, from what precedes), which
 * is exactly what insertion added. Comments above the `Host` line stay: they may describe
 * something else, and keeping a comment loses nothing.
 */
export function removalRange(doc: ConfigDocument, block: HostBlock): { from: number; to: number } {
  let to = block.lastIndex + 1;
  while (to < doc.lines.length && isBlank(doc.parsed[to])) {
    to++;
  }
  let from = block.index;
  if (to >= doc.lines.length) {
    while (from > 0 && isBlank(doc.parsed[from - 1])) {
      from--;
    }
  }
  return { from, to };
}

/**
 * The index a new block goes before: the unindented comments directly above `sectionIndex`
 * describe that section, so the new block goes above them.
 */
export function attachedCommentStart(doc: ConfigDocument, sectionIndex: number): number {
  let i = sectionIndex;
  while (i > 0) {
    const p = doc.parsed[i - 1];
    if (p.kind !== 'comment' || p.indented) {
      break;
    }
    i--;
  }
  return i;
}

/** Number of blank lines directly above line index `i`. */
export function blankRunAbove(doc: ConfigDocument, i: number): number {
  let n = 0;
  while (i - n - 1 >= 0 && isBlank(doc.parsed[i - n - 1])) {
    n++;
  }
  return n;
}

/** True when only blank lines come before index `i`. */
export function onlyBlankBefore(doc: ConfigDocument, i: number): boolean {
  for (let j = 0; j < i; j++) {
    if (!isBlank(doc.parsed[j])) {
      return false;
    }
  }
  return true;
}

/**
 * How many blank lines this file puts between blocks: the most common run above a section
 * (or above the comments attached to it), 1 when the file shows no habit.
 */
export function usualSeparation(doc: ConfigDocument): number {
  const counts = new Map<number, number>();
  doc.parsed.forEach((p, i) => {
    if (!isSectionStart(p)) {
      return;
    }
    const top = attachedCommentStart(doc, i);
    if (onlyBlankBefore(doc, top)) {
      return;
    }
    const run = blankRunAbove(doc, top);
    counts.set(run, (counts.get(run) ?? 0) + 1);
  });
  let best = 1;
  let bestCount = 0;
  for (const [run, count] of counts) {
    if (count > bestCount || (count === bestCount && run < best)) {
      best = run;
      bestCount = count;
    }
  }
  return best;
}
