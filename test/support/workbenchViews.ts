/**
 * The side bar of the workbench: view containers, tree views (rows, clicks, context menus) and
 * the sash, as `Workbench` offers them (it extends this class; the split keeps each file short).
 */
import type { Locator, Page } from 'playwright-core';
import { exactly, escapeAttr, type PageElement, type PageGlobals } from './pageDom';

export const UI_TIMEOUT = 30_000;

export interface TreeRow {
  label: string;
  description: string;
  ariaLabel: string;
  /** The raw innerText of the row (label, description and inline action titles are absent). */
  text: string;
}

export class WorkbenchViews {
  constructor(readonly page: Page) {}

  /** Shows the activity-bar container with this title (does not toggle it closed when already shown). */
  async openViewContainer(title: string): Promise<void> {
    const item = this.page.locator(`.part.activitybar .action-label[aria-label^="${escapeAttr(title)}"]`).first();
    await item.waitFor({ state: 'visible' });
    const active = await this.page
      .locator(`.part.activitybar .action-item.checked .action-label[aria-label^="${escapeAttr(title)}"]`)
      .count();
    if (active === 0) {
      await item.click();
    }
    await this.page.locator('.part.sidebar').waitFor({ state: 'visible' });
  }

  /** Drags the sash between the side bar and the editor so the side bar is about `width` px wide. */
  async setSidebarWidth(width: number): Promise<void> {
    const bar = await this.page.locator('.part.sidebar').boundingBox();
    if (!bar) {
      throw new Error('the side bar is not shown');
    }
    const edge = bar.x + bar.width;
    const sashes = await this.page
      .locator('.monaco-sash.vertical:not(.disabled)')
      .evaluateAll((els: PageElement[]) => els.map((el) => el.getBoundingClientRect()));
    const sash = sashes.find((r) => Math.abs(r.x + r.width / 2 - edge) < 6 && r.height > bar.height / 2);
    if (!sash) {
      throw new Error(`no sash at the side bar's edge (x=${edge})`);
    }
    const y = sash.y + sash.height / 2;
    await this.page.mouse.move(sash.x + sash.width / 2, y);
    await this.page.mouse.down();
    await this.page.mouse.move(bar.x + width, y, { steps: 10 });
    await this.page.mouse.up();
  }

  /** True when the activity bar has an entry for this container title. */
  async hasViewContainer(title: string): Promise<boolean> {
    return (await this.page.locator(`.part.activitybar .action-label[aria-label^="${escapeAttr(title)}"]`).count()) > 0;
  }

  private pane(viewTitle?: string): Locator {
    const sidebar = this.page.locator('.part.sidebar');
    if (!viewTitle) {
      return sidebar;
    }
    return sidebar.locator('.pane').filter({
      has: this.page.locator('.pane-header .title', { hasText: exactly(viewTitle, 'i') }),
    });
  }

  /** Rows of the tree in the side bar (or in the view with this title). */
  async treeRows(viewTitle?: string): Promise<TreeRow[]> {
    return this.pane(viewTitle)
      .locator('.pane-body .monaco-list-row')
      .evaluateAll((els: PageElement[]) =>
        els.map((el) => ({
          label: el.querySelector('.label-name')?.textContent?.trim() ?? '',
          description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
          ariaLabel: el.getAttribute('aria-label') ?? '',
          text: (el.innerText ?? el.textContent ?? '').trim(),
        })),
      );
  }

  /** The tree row whose label is exactly `label`. */
  treeRow(label: string, viewTitle?: string): Locator {
    return this.pane(viewTitle)
      .locator('.pane-body .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exactly(label) }) })
      .first();
  }

  /**
   * Resolves once the tree of the view (or the whole side bar) has not changed its DOM for
   * `quietMs`. A tree re-renders every row when its provider fires a refresh, and while that
   * refresh is in flight VS Code has already dropped the commands of the old rows: a click then
   * fails with "Actual command not found". Tests that mean to check what a click does (not that
   * race) wait for quiet first.
   */
  async waitTreeQuiet(viewTitle?: string, quietMs = 700, timeoutMs = 15_000): Promise<void> {
    const body = this.pane(viewTitle).locator('.pane-body').first();
    await body.evaluate(
      (el: PageElement, o: { quietMs: number; timeoutMs: number }) =>
        new Promise<void>((resolve, reject) => {
          const g = globalThis as unknown as PageGlobals;
          let quiet: ReturnType<typeof setTimeout>;
          const observer = new g.MutationObserver(() => {
            clearTimeout(quiet);
            quiet = setTimeout(done, o.quietMs);
          });
          const deadline = setTimeout(() => {
            observer.disconnect();
            clearTimeout(quiet);
            reject(new Error(`the tree kept changing for ${o.timeoutMs} ms`));
          }, o.timeoutMs);
          function done(): void {
            observer.disconnect();
            clearTimeout(deadline);
            resolve();
          }
          quiet = setTimeout(done, o.quietMs);
          observer.observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
        }),
      { quietMs, timeoutMs },
    );
  }

  /** Clicks the row's label once the tree is quiet (see `waitTreeQuiet`). */
  async clickTreeRow(label: string, viewTitle?: string): Promise<void> {
    await this.waitTreeQuiet(viewTitle);
    await this.treeRow(label, viewTitle).locator('.label-name').click();
  }

  /** Waits until the tree shows a row with this label. */
  async waitForTreeRow(label: string, viewTitle?: string, timeoutMs = UI_TIMEOUT): Promise<void> {
    await this.treeRow(label, viewTitle).waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Right-clicks the tree row and runs the context-menu entry with exactly this title. */
  async treeRowContextMenu(label: string, item: string, viewTitle?: string): Promise<void> {
    // A menu command gets the row's element only while the tree is not being refreshed.
    await this.waitTreeQuiet(viewTitle);
    await this.treeRow(label, viewTitle).click({ button: 'right' });
    const entry = this.contextMenuItem(item);
    await entry.waitFor({ state: 'visible' });
    // A click that lands while the menu is still settling is dropped by the workbench (seen on
    // this machine: the entry highlights, nothing runs, the menu stays). Click again, bounded,
    // while the menu is still open; a click that ran closes the menu.
    const menu = this.page.locator('.context-view .monaco-menu').first();
    for (let attempt = 1; ; attempt++) {
      await entry.click();
      try {
        await menu.waitFor({ state: 'hidden', timeout: 1_000 });
        return;
      } catch (e) {
        if (attempt >= 5) {
          throw new Error(`context menu entry "${item}" of "${label}" did not run after ${attempt} clicks`, {
            cause: e,
          });
        }
      }
    }
  }

  /** An entry of the open context menu, by its exact title. */
  contextMenuItem(item: string): Locator {
    return this.page
      .locator('.monaco-menu .action-item')
      .filter({ has: this.page.locator('.action-label', { hasText: exactly(item) }) })
      .first();
  }
}
