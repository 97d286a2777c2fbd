import type { DockerContextSummary } from '../../core/contexts/contextStore';
import { CoreError } from '../../core/common/errors';
import type { Services } from '../services';
import { UserCancelledError } from '../base/userCancelledError';
import { asContextNode } from '../contexts/contextNodes';
import { pickContext } from '../contexts/pickContext';

/**
 * The context an engine command is about: a tree row, a context name (status bar tooltip links
 * pass one), or the person's choice in a picker (the current context preselected). Broken
 * contexts have no daemon to talk to and are not offered.
 */
export async function contextForCommand(
  s: Services,
  arg: unknown,
  o: { title: string; placeholder: string },
): Promise<DockerContextSummary> {
  const snap = await s.contexts.snapshot;
  const node = asContextNode(arg);
  const name = node?.summary.name ?? (typeof arg === 'string' && arg !== '' ? arg : undefined);
  if (name !== undefined) {
    // The row may be older than the store: use what the store says now.
    const found = snap.contexts.find((c) => c.name === name);
    if (!found) {
      throw new CoreError('contextNotFound', `There is no Docker context named "${name}".`, { name });
    }
    if (found.error) {
      throw new CoreError(found.error.reason, found.error.message, {
        name,
        file: found.metaPath,
        endpoint: found.endpoint,
      });
    }
    return found;
  }
  const chosen = await pickContext(snap, { ...o, filter: (c) => !c.error && c.endpoint !== '' });
  if (chosen === 'create') {
    throw new UserCancelledError();
  }
  return chosen;
}
