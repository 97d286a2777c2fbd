import { CoreError } from '../common/errors';
import { writeFileAtomic } from '../common/fsutil';
import { isExactUtf8File, loadMeta, locateMeta } from './contextFiles';
import { type ContextMeta, encodeContextMeta, metaProtection } from './contextMeta';
import { type ContextProtection, METADATA_KEY } from './contextProtection';
import { goMapMembers } from './goJson';
import type { JsonMember, JsonNode } from './jsonDocument';
import { DEFAULT_CONTEXT_NAME, contextId } from './contextSummary';

/**
 * Marks a stored context protected (with a colour) or not, in its meta.json, atomically. Every
 * other key of the file keeps its meaning (the file is re-encoded as the CLI writes it, unknown
 * keys included); a file that cannot be loaded, names another context or holds bytes that are not
 * UTF-8 is refused, as `update` refuses it. Writes nothing when nothing changes.
 */
export async function setContextProtection(
  metaDir: string,
  name: string,
  protection: ContextProtection | undefined,
): Promise<void> {
  if (name === DEFAULT_CONTEXT_NAME) {
    throw new CoreError('defaultContextImmutable', 'default context cannot be created nor updated', { name });
  }
  const found = locateMeta(metaDir, name, contextId(name), false);
  if (!found) {
    throw new CoreError('contextNotFound', `context "${name}": context not found`, { name });
  }
  const loaded = loadMeta(found);
  if (!loaded.ok) {
    throw new CoreError(loaded.reason, loaded.message, { name, file: found.file });
  }
  if (loaded.meta.name !== name || !isExactUtf8File(found.file, found.text)) {
    throw new CoreError('contextMetaCorrupt', `${found.file} cannot be rewritten as context "${name}"`, {
      name,
      file: found.file,
    });
  }
  const before = metaProtection(loaded.meta);
  if (before?.color === protection?.color && !before === !protection) {
    return; // a file in another layout than the CLI's is not rewritten for nothing
  }
  const next = encodeContextMeta(withProtection(loaded.meta, protection));
  try {
    await writeFileAtomic(found.file, next, { mode: 0o644 });
  } catch (e) {
    throw new CoreError(
      'fileUnwritable',
      `${found.file} cannot be written: ${(e as Error).message}`,
      { file: found.file },
      { cause: e },
    );
  }
}

function member(key: string, value: JsonNode): JsonMember {
  return { key, keyStart: -1, keyEnd: -1, value };
}

/**
 * The same meta.json with the protection set (or removed when `p` is undefined). Only
 * `protected` and `color` of this extension's key change; an object left empty is removed, and
 * a context that had no `Metadata` gets one only when it becomes protected.
 */
export function withProtection(meta: ContextMeta, p: ContextProtection | undefined): ContextMeta {
  const md = meta.metadata;
  const extras = md?.extras ?? [];
  // Go decodes a map: the last of repeated keys is the one the CLI sees.
  const existing = goMapMembers(extras).find((m) => m.key === METADATA_KEY);
  const kept =
    existing?.value.type === 'object'
      ? goMapMembers(existing.value.members).filter((m) => m.key !== 'protected' && m.key !== 'color')
      : [];
  const ours: JsonMember[] = [...kept];
  if (p) {
    ours.push(member('protected', { type: 'boolean', value: true, start: -1, end: -1 }));
    if (p.color) {
      ours.push(member('color', { type: 'string', value: p.color, start: -1, end: -1 }));
    }
  }
  const others = extras.filter((m) => m.key !== METADATA_KEY);
  if (ours.length > 0) {
    others.push(member(METADATA_KEY, { type: 'object', members: ours, start: -1, end: -1 }));
  }
  if (!md && others.length === 0) {
    return meta;
  }
  return { ...meta, metadata: { description: md?.description ?? '', extras: others } };
}
