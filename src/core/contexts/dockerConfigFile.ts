import { CoreError } from '../common/errors';
import { isNotFound, writeFileAtomic } from '../common/fsutil';
import { foldEquals, goQuote } from './goJson';
import { type JsonObject, JsonSyntaxError, parseJsonDocument } from './jsonDocument';
import { readSmallTextFileSync } from '../common/readSmallTextFileSync';
import { isExactUtf8File } from './contextFiles';

export type DockerConfigProblemReason = 'dockerConfigUnparsable' | 'fileUnreadable';

export interface DockerConfigProblem {
  reason: DockerConfigProblemReason;
  message: string;
}

/** config.json as read for the context store: only `currentContext` matters, the rest is kept. */
export interface DockerConfigSnapshot {
  file: string;
  /** The file's text; undefined when it does not exist. */
  text: string | undefined;
  /** The top-level object, when the file holds one (absent for a missing, empty or `null` file). */
  root: JsonObject | undefined;
  /** `currentContext` as the CLI reads it ('' and absence both mean `default`). */
  currentContext: string | undefined;
  /** Something the CLI would warn about ("WARNING: Error parsing config file"). */
  problem?: DockerConfigProblem;
  /** Set when rewriting the file could lose or corrupt content: we then never write it. */
  refuseWrite?: DockerConfigProblem;
}

/**
 * Reads config.json the way the CLI's `json.Decoder` does (first JSON value, keys matched to
 * `currentContext` case-insensitively, last one wins, a value of the wrong type ignored with a
 * warning) without ever throwing for bad content: a broken file is reported, not fatal, exactly
 * as the CLI carries on with `default` after its warning.
 */
export function readDockerConfig(file: string): DockerConfigSnapshot {
  const snap: DockerConfigSnapshot = { file, text: undefined, root: undefined, currentContext: undefined };
  try {
    snap.text = readSmallTextFileSync(file);
  } catch (e) {
    if (isNotFound(e)) {
      return snap;
    }
    const problem: DockerConfigProblem = {
      reason: 'fileUnreadable',
      message: `${file} cannot be read: ${(e as Error).message}`,
    };
    snap.problem = problem;
    snap.refuseWrite = problem;
    return snap;
  }
  if (!isExactUtf8File(file, snap.text)) {
    // Go reads such bytes as U+FFFD (the CLI accepts the file); rewriting would corrupt them.
    snap.refuseWrite = {
      reason: 'dockerConfigUnparsable',
      message: `${file} holds bytes that are not UTF-8; it is read but never rewritten`,
    };
  }
  let doc;
  try {
    doc = parseJsonDocument(snap.text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      const problem: DockerConfigProblem = {
        reason: 'dockerConfigUnparsable',
        message: `${file} is not valid JSON: ${e.message}`,
      };
      snap.problem = problem;
      snap.refuseWrite = problem;
      return snap;
    }
    throw e;
  }
  if (doc.value === undefined || doc.value.type === 'null') {
    return snap; // Go decodes an empty or `null` document into an empty config
  }
  if (doc.value.type !== 'object') {
    const problem: DockerConfigProblem = {
      reason: 'dockerConfigUnparsable',
      message: `${file} holds a JSON ${doc.value.type}, not an object`,
    };
    snap.problem = problem;
    snap.refuseWrite = problem;
    return snap;
  }
  snap.root = doc.value;
  if (doc.trailingAt < snap.text.length) {
    // The CLI's decoder stops after the first value and ignores the rest; an edit could not.
    const at = new JsonSyntaxError('unexpected text after the JSON object', snap.text, doc.trailingAt);
    const problem: DockerConfigProblem = {
      reason: 'dockerConfigUnparsable',
      message: `${file} is not valid JSON: ${at.message}`,
    };
    snap.problem = problem;
    snap.refuseWrite = problem;
  }
  for (const m of doc.value.members) {
    if (!foldEquals(m.key, 'currentContext')) {
      continue;
    }
    if (m.value.type === 'string') {
      snap.currentContext = m.value.value;
    } else if (m.value.type !== 'null') {
      snap.problem ??= {
        reason: 'dockerConfigUnparsable',
        message: `${file}: "${m.key}" is a JSON ${m.value.type}, not a string`,
      };
    }
  }
  return snap;
}

class ChangedMeanwhile extends Error {}

/**
 * Writes `text` over config.json atomically, but only if the file still holds what `snap` read:
 * it is read again with the new content already in the temporary file, right before the rename.
 * False when it changed (nothing written; the caller recomputes its edit on the new text).
 * `beforeCompare` is a seam for tests that change the file in that window.
 */
export async function writeDockerConfigIfUnchanged(
  snap: DockerConfigSnapshot,
  text: string,
  beforeCompare?: () => Promise<void> | void,
): Promise<boolean> {
  const stillTheSame = async (): Promise<void> => {
    await beforeCompare?.();
    let now: string | undefined;
    try {
      now = readSmallTextFileSync(snap.file);
    } catch (e) {
      if (!isNotFound(e)) {
        throw e;
      }
    }
    if (now !== snap.text || !isExactUtf8File(snap.file, now)) {
      throw new ChangedMeanwhile();
    }
  };
  try {
    // A new config.json gets 0600 like the CLI's; an existing one keeps its mode (and symlink).
    await writeFileAtomic(snap.file, text, { mode: 0o600, beforeRename: stillTheSame });
    return true;
  } catch (e) {
    if (e instanceof ChangedMeanwhile) {
      return false;
    }
    throw e;
  }
}

/** What `docker context use` writes into a config.json that did not exist (mode 0600 there). */
function freshConfigText(name: string): string {
  return `{\n\t"auths": {},\n\t"currentContext": ${goQuote(name)}\n}`;
}

/**
 * The new text of config.json with `currentContext` set to `name` (or removed for `undefined`,
 * which is how the CLI stores `default`), or undefined when the CLI would not write either
 * because nothing changes. Only the bytes of the `currentContext` member change: every other key,
 * its order, the indentation and the final newline stay as they were. Throws the snapshot's
 * `refuseWrite` problem rather than touching a file it could not fully parse.
 */
export function withCurrentContext(snap: DockerConfigSnapshot, name: string | undefined): string | undefined {
  if (snap.refuseWrite) {
    throw new CoreError(snap.refuseWrite.reason, snap.refuseWrite.message, { file: snap.file });
  }
  const target = name ?? '';
  if ((snap.currentContext ?? '') === target) {
    return undefined;
  }
  if (!snap.root) {
    // Missing, empty or `null`: there is nothing to keep.
    return target === '' ? undefined : freshConfigText(target);
  }
  let text = snap.text as string;
  let root: JsonObject = snap.root;
  const reparse = (): JsonObject => parseJsonDocument(text).value as JsonObject;
  const matches = (): number[] => root.members.flatMap((m, i) => (foldEquals(m.key, 'currentContext') ? [i] : []));
  // Drop every variant but the one we will set (all of them for `default`).
  for (let idx = matches(); idx.length > (target === '' ? 0 : 1); idx = matches()) {
    const victim = target === '' ? idx[idx.length - 1] : idx[0];
    text = removeMember(text, root, victim);
    root = reparse();
  }
  if (target === '') {
    return text;
  }
  const [only] = matches();
  if (only !== undefined) {
    const v = root.members[only].value;
    return text.slice(0, v.start) + goQuote(target) + text.slice(v.end);
  }
  return appendMember(text, root, 'currentContext', goQuote(target));
}

function removeMember(text: string, obj: JsonObject, index: number): string {
  const members = obj.members;
  const m = members[index];
  if (members.length === 1) {
    // Keep the braces; the whitespace inside them goes with the member.
    return text.slice(0, obj.start + 1) + text.slice(obj.end - 1);
  }
  if (index < members.length - 1) {
    // From this key up to the next key: the member, its comma and the next member's indent.
    return text.slice(0, m.keyStart) + text.slice(members[index + 1].keyStart);
  }
  // The last member: from the end of the previous value, so its comma goes too.
  return text.slice(0, members[index - 1].value.end) + text.slice(m.value.end);
}

function appendMember(text: string, obj: JsonObject, key: string, valueText: string): string {
  const members = obj.members;
  if (members.length === 0) {
    return text.slice(0, obj.start) + `{\n\t${goQuote(key)}: ${valueText}\n}` + text.slice(obj.end);
  }
  const last = members[members.length - 1];
  let wsStart = last.keyStart;
  while (wsStart > 0 && /[ \t\r\n]/.test(text[wsStart - 1])) {
    wsStart--;
  }
  const indent = text.slice(wsStart, last.keyStart);
  const colon = text.slice(last.keyEnd, last.value.start);
  return text.slice(0, last.value.end) + ',' + indent + goQuote(key) + colon + valueText + text.slice(last.value.end);
}
