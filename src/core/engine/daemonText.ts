/**
 * Text a daemon (or anyone on a plain tcp:// link) sends is data, never markup. Every string of
 * /info and /version that is shown goes through `daemonText` once, in core, before any view
 * sees it: one line, no control or invisible characters, a bounded length. The views then
 * escape it for where it goes (Markdown, the status bar's `$(icon)` syntax, a JSON document).
 */

/** Longer than any real OperatingSystem, KernelVersion or host name; enough to recognise a value. */
export const DAEMON_TEXT_MAX = 200;

/**
 * Characters that end or bend a line, or that cannot be seen: C0/C1 controls (newlines
 * included), the line and paragraph separators, and the format characters (zero-width
 * spaces and joiners, the bidirectional embeddings, overrides and isolates, the BOM, soft
 * hyphen, tag characters), plus lone surrogates, which are not text.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu;
const SPACES = /\s+/g;

/**
 * One line of plain text from a daemon's value: control and invisible characters become
 * spaces, runs of white space one space, at most `max` characters (an ellipsis marks a cut).
 * Anything that is not a string or a finite number reads as empty.
 */
export function daemonText(value: unknown, max = DAEMON_TEXT_MAX): string {
  const raw =
    typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
  // Only the head can be shown: a 1 MB string is cut before the expressions look at it.
  const head = raw.length > max * 4 + 16 ? raw.slice(0, max * 4 + 16) : raw;
  const clean = head.replace(UNSAFE, ' ').replace(SPACES, ' ').trim();
  const chars = [...clean];
  if (chars.length <= max && head.length === raw.length) {
    return clean;
  }
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}

/** The text on one line: control and invisible characters become spaces (nothing cut, nothing trimmed). */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, ' ');
}

/**
 * `$(name)` in a status bar text or a label with icons is an icon; `\$(name)` is the text.
 * For daemon text placed where VS Code renders icons.
 */
export function escapeThemeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/**
 * A JSON document of a daemon's answer (Show Remote Engine Info): JSON.stringify leaves line
 * separators, bidirectional controls and other invisible characters raw inside strings, where
 * they can make the editor show something other than what is there. They are written as
 * `\uXXXX` escapes, which are the same JSON.
 */
export function visibleJson(value: unknown, indent = 4): string {
  return JSON.stringify(value, null, indent).replace(/[\p{Cf}\p{Zl}\p{Zp}\u007f-\u009f]/gu, (c) =>
    [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
