import { CoreError } from '../common/errors';
import { writeFileAtomic } from '../common/fsutil';
import { encodeContextMeta } from './contextMeta';
import { isExactUtf8File, loadMeta, locateMeta } from './contextFiles';
import { type ContextProtection, metaProtection, withProtection } from './contextProtection';
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
