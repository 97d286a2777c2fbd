import * as vscode from 'vscode';
import { confirmModal } from '../base/prompts';
import type { Services } from '../services';
import { UserCancelledError } from '../base/userCancelledError';
import { asContextNode } from './contextNodes';
import { pickContext } from './pickContext';

/** "Remove Docker Context…": always asks first, naming the context and its endpoint. */
export async function removeContext(s: Services, arg?: unknown): Promise<void> {
  const snap = await s.contexts.snapshot;
  let name = asContextNode(arg)?.summary.name;
  if (!name) {
    const chosen = await pickContext(snap, {
      title: vscode.l10n.t('Remove Docker Context'),
      placeholder: vscode.l10n.t('Select the context to remove'),
      filter: (c) => !c.isDefault && c.error?.reason !== 'contextNotFound',
    });
    if (chosen === 'create') {
      throw new UserCancelledError();
    }
    name = chosen.name;
  }
  const summary = snap.contexts.find((c) => c.name === name);
  const isCurrent = snap.current?.name === name;
  const endpoint = summary?.endpoint || '?';
  const defaultEndpoint = snap.contexts.find((c) => c.isDefault)?.endpoint;

  const message = isCurrent
    ? vscode.l10n.t('Remove the current Docker context "{0}" ({1})?', name, endpoint)
    : vscode.l10n.t('Remove Docker context "{0}" ({1})?', name, endpoint);
  const detail = [
    isCurrent
      ? vscode.l10n.t(
          'It is the context docker uses now. After removing it, docker falls back to "default" ({0}), like "docker context rm -f".',
          defaultEndpoint ?? '?',
        )
      : undefined,
    vscode.l10n.t('Its metadata and TLS files are deleted from {0}. This cannot be undone.', snap.configDir),
  ]
    .filter((x): x is string => x !== undefined)
    .join('\n\n');
  if (!(await confirmModal(message, detail, vscode.l10n.t('Remove')))) {
    throw new UserCancelledError();
  }
  await s.contexts.remove(name, { force: isCurrent });
}
