import * as vscode from 'vscode';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import type { ContextsSnapshot } from './contextsModel';
import { reasonText } from '../base/errorMessages';
import { brokenDescription, envMarker } from '../base/presentation';
import { pickOne } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import { protectedIcon } from './protectionPresentation';

export interface ContextPickItem extends vscode.QuickPickItem {
  summary?: DockerContextSummary;
  /** Set on the trailing "Create Docker Context…" entry. */
  create?: true;
  /** Set on the trailing "Stop Using … in This Workspace" entry. */
  stopWorkspace?: true;
}

export interface PickContextOptions {
  title: string;
  placeholder: string;
  /** Which contexts may be offered at all (e.g. not `default` for Remove). */
  filter?: (c: DockerContextSummary, isCurrent: boolean) => boolean;
  /** Adds a "Create Docker Context…" entry at the end. */
  offerCreate?: boolean;
  /** Marks the workspace's context (undefined: none set). */
  workspace?: string;
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
    const inWorkspace = o.workspace === c.name ? ` · ${vscode.l10n.t('this workspace')}` : '';
    items.push({
      label: c.name,
      iconPath: c.protection ? protectedIcon(c.protection) : new vscode.ThemeIcon(isCurrent ? 'check' : 'blank'),
      description:
        (isCurrent
          ? marker
            ? vscode.l10n.t('current ({0})', marker)
            : vscode.l10n.t('current')
          : c.description || '') + inWorkspace || undefined,
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

/** What the switcher resolved with. */
export type SwitchChoice =
  | { kind: 'global'; summary: DockerContextSummary }
  | { kind: 'workspace'; summary: DockerContextSummary }
  | { kind: 'create' }
  | { kind: 'stopWorkspace' };

/**
 * The switcher (Use Docker Context…, the status bar): a row switches globally; its button uses
 * the context in this workspace only; a last row stops using the workspace's context.
 */
export function pickSwitch(
  snap: ContextsSnapshot,
  o: PickContextOptions & { workspaceAvailable: boolean },
): Promise<SwitchChoice> {
  const items = contextPickItems(snap, o);
  const hereButton: vscode.QuickInputButton = {
    iconPath: new vscode.ThemeIcon('root-folder'),
    tooltip: vscode.l10n.t('Use in This Workspace'),
  };
  if (o.workspaceAvailable) {
    for (const i of items) {
      if (i.summary && !i.summary.error) {
        i.buttons = [hereButton];
      }
    }
  }
  if (o.workspace !== undefined) {
    items.push({
      label: vscode.l10n.t('Stop Using "{0}" in This Workspace', o.workspace),
      iconPath: new vscode.ThemeIcon('close'),
      stopWorkspace: true,
      alwaysShow: true,
    });
  }
  const pick = vscode.window.createQuickPick<ContextPickItem>();
  pick.title = o.title;
  pick.placeholder = o.placeholder;
  pick.items = items;
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.ignoreFocusOut = true;
  const active = items.find((i) => i.summary && i.summary.name === snap.current?.name);
  if (active) {
    pick.activeItems = [active];
  }
  const disposables: vscode.Disposable[] = [];
  return new Promise<SwitchChoice>((resolve, reject) => {
    disposables.push(
      pick.onDidTriggerItemButton((e) => {
        if (e.item.summary) {
          resolve({ kind: 'workspace', summary: e.item.summary });
          pick.hide();
        }
      }),
      pick.onDidAccept(() => {
        const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
        if (chosen?.create) {
          resolve({ kind: 'create' });
        } else if (chosen?.stopWorkspace) {
          resolve({ kind: 'stopWorkspace' });
        } else if (chosen?.summary) {
          resolve({ kind: 'global', summary: chosen.summary });
        } else {
          return;
        }
        pick.hide();
      }),
      pick.onDidHide(() => reject(new UserCancelledError(o.title))),
    );
    pick.show();
  }).finally(() => {
    for (const d of disposables) {
      d.dispose();
    }
    pick.dispose();
  });
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
