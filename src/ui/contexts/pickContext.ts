import * as vscode from 'vscode';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import type { ContextsSnapshot } from './contextsModel';
import { reasonText } from '../base/errorMessages';
import { brokenDescription, envMarker } from '../base/presentation';
import { pickOne } from '../base/prompts';

export interface ContextPickItem extends vscode.QuickPickItem {
  summary?: DockerContextSummary;
  /** Set on the trailing "Create Docker Context…" entry. */
  create?: true;
}

export interface PickContextOptions {
  title: string;
  placeholder: string;
  /** Which contexts may be offered at all (e.g. not `default` for Remove). */
  filter?: (c: DockerContextSummary, isCurrent: boolean) => boolean;
  /** Adds a "Create Docker Context…" entry at the end. */
  offerCreate?: boolean;
}

/** Quick-pick rows for contexts: the current one checked, endpoint as detail, broken ones flagged. */
export function contextPickItems(snap: ContextsSnapshot, o: PickContextOptions): ContextPickItem[] {
  const items: ContextPickItem[] = [];
  for (const c of snap.contexts) {
    const isCurrent = snap.current?.name === c.name;
    if (o.filter && !o.filter(c, isCurrent)) {
      continue;
    }
    if (c.error) {
      items.push({
        label: c.name,
        iconPath: new vscode.ThemeIcon('warning'),
        description: brokenDescription(
          c.error.reason,
          reasonText(c.error.reason, { name: c.name, file: c.metaPath }).message,
        ),
        summary: c,
      });
      continue;
    }
    const marker = isCurrent ? envMarker(snap.current) : undefined;
    items.push({
      label: c.name,
      iconPath: new vscode.ThemeIcon(isCurrent ? 'check' : 'blank'),
      description: isCurrent
        ? marker
          ? vscode.l10n.t('current ({0})', marker)
          : vscode.l10n.t('current')
        : c.description || undefined,
      detail: isCurrent && c.description ? `${c.endpoint} — ${c.description}` : c.endpoint,
      summary: c,
    });
  }
  if (o.offerCreate) {
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    items.push({
      label: vscode.l10n.t('Create Docker Context…'),
      iconPath: new vscode.ThemeIcon('add'),
      create: true,
      alwaysShow: true,
    });
  }
  return items;
}

/** Shows the picker; resolves with the chosen context, or `'create'` for the create entry. */
export async function pickContext(
  snap: ContextsSnapshot,
  o: PickContextOptions,
): Promise<DockerContextSummary | 'create'> {
  const items = contextPickItems(snap, o);
  const active = items.find((i) => i.summary && i.summary.name === snap.current?.name);
  const chosen = await pickOne({ title: o.title, placeholder: o.placeholder, items, active });
  if (chosen.create) {
    return 'create';
  }
  if (!chosen.summary) {
    throw new Error('picker returned a row without a context');
  }
  return chosen.summary;
}
