/**
 * What the Docker Contexts view and the Remote Docker status item show, read from the workbench
 * the way a user reads them: row label, description and accessibility label; the status text.
 */
import type { Workbench } from './workbench';

export const CONTAINER_TITLE = 'Remote Docker';
export const CONTEXTS_VIEW_TITLE = 'Docker Contexts';
/** The id given to createStatusBarItem; the element id ends with it. */
export const STATUS_ITEM_ID = 'remoteDocker.status';

export interface ContextRow {
  name: string;
  /** The endpoint, plus "· current" (and the overriding variable) on the current one. */
  description: string;
  ariaLabel: string;
  /** The accessibility label says "current context". */
  current: boolean;
}

export async function contextRows(wb: Workbench): Promise<ContextRow[]> {
  return (await wb.treeRows(CONTEXTS_VIEW_TITLE)).map((r) => ({
    name: r.label,
    description: r.description,
    ariaLabel: r.ariaLabel,
    current: r.ariaLabel.endsWith(', current context'),
  }));
}

/** Names of the rows marked current (exactly one when all is well). */
export async function currentContextRows(wb: Workbench): Promise<string[]> {
  return (await contextRows(wb)).filter((r) => r.current).map((r) => r.name);
}

export async function statusText(wb: Workbench): Promise<string> {
  return wb.statusBarItem(STATUS_ITEM_ID).text();
}

/** True when the status text shows this name as a word of its own ("prod" is not "prod-eu"). */
export function showsName(text: string, name: string): boolean {
  return text.split(/\s+/).includes(name);
}

/** The message line the view shows above its rows ('' when none). */
export async function contextsViewMessage(wb: Workbench): Promise<string> {
  const pane = wb.page.locator('.part.sidebar .pane').filter({
    has: wb.page.locator('.pane-header .title', { hasText: new RegExp(`^\\s*${CONTEXTS_VIEW_TITLE}\\s*$`, 'i') }),
  });
  const message = pane.locator('.pane-body .message').first();
  return (await message.count()) > 0 && (await message.isVisible()) ? (await message.innerText()).trim() : '';
}
