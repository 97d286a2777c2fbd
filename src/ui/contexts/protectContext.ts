import * as vscode from 'vscode';
import { PROTECTION_COLORS, type ProtectionColor } from '../../core/contexts/contextProtection';
import { pickOne } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import type { Services } from '../services';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import { contextForCommand } from '../engine/pickEngineContext';
import { pickContext } from './pickContext';
import { colorLabel, protectedIcon } from './protectionPresentation';

/** "Protect Docker Context…": a colour, then the mark in the context's meta.json. */
export async function protectContext(s: Services, arg?: unknown): Promise<void> {
  const summary = await chooseContext(s, arg, {
    title: vscode.l10n.t('Protect Docker Context'),
    placeholder: vscode.l10n.t('Select the context to protect'),
    filter: (c) => !c.protection,
  });
  const items = PROTECTION_COLORS.map((color) => ({
    label: colorLabel(color),
    iconPath: protectedIcon({ color }),
    color,
  }));
  const chosen = await pickOne<vscode.QuickPickItem & { color: ProtectionColor }>({
    title: vscode.l10n.t('Protect Docker Context "{0}"', summary.name),
    placeholder: vscode.l10n.t('Colour of its mark (switching to it globally will ask first)'),
    items,
    active: items.find((i) => i.color === (summary.protection?.color ?? 'red')),
  });
  await s.contexts.protect(summary.name, { color: chosen.color });
}

/** "Remove Protection": the mark leaves meta.json; everything else in it stays. */
export async function unprotectContext(s: Services, arg?: unknown): Promise<void> {
  const summary = await chooseContext(s, arg, {
    title: vscode.l10n.t('Remove Protection'),
    placeholder: vscode.l10n.t('Select the context to unprotect'),
    filter: (c) => !!c.protection,
  });
  await s.contexts.protect(summary.name, undefined);
}

/** A tree row or a name as given; else a picker of the stored, loadable contexts that `filter` keeps. */
async function chooseContext(
  s: Services,
  arg: unknown,
  o: { title: string; placeholder: string; filter: (c: DockerContextSummary) => boolean },
): Promise<DockerContextSummary> {
  if (arg !== undefined) {
    return contextForCommand(s, arg, o);
  }
  const chosen = await pickContext(await s.contexts.snapshot, {
    ...o,
    filter: (c) => !c.isDefault && !c.error && o.filter(c),
  });
  if (chosen === 'create') {
    throw new UserCancelledError();
  }
  return chosen;
}
