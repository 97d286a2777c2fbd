/**
 * Drives the code-server workbench with playwright-core and Debian's Chromium (Playwright cannot
 * download its own browser here). Selectors are those of Code 1.100.3; the code-server version
 * is pinned in test/e2e/package.json.
 *
 * Every step can be photographed: `screenshot(step)` writes
 * `test-results/screenshots/<test>/<NN>-<step>.png` (git-ignored), which is how anyone sees what
 * the user saw. `step(name, fn)` does that after `fn`, and on failure also writes a FAILED shot
 * and prints the browser console and the code-server log.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { register, registerProcess } from './cleanup';
import { REPO_ROOT } from './codeServer';
import { escapeAttr, type PageElement } from './pageDom';
import { procTable, removeTreeSync } from './processes';
import { InputBox, QuickPick, quickInputWidget } from './quickInput';
import { waitFor } from './waitFor';
import { UI_TIMEOUT, WorkbenchViews } from './workbenchViews';

export { waitFor, waitUntil } from './waitFor';
export type { QuickPickRow } from './quickInput';
export type { TreeRow } from './workbenchViews';

export const CHROMIUM = '/usr/bin/chromium';

export interface WorkbenchOptions {
  /** Where numbered PNGs go; see `screenshotsDirFor`. Old PNGs in it are removed. */
  screenshotsDir: string;
  /** Printed with the browser console when a `step` fails (e.g. `() => server.logs()`). */
  serverLogs?: () => string;
  viewport?: { width: number; height: number };
}

/** `test-results/screenshots/<name>` in the repository. */
export function screenshotsDirFor(testName: string): string {
  return path.join(REPO_ROOT, 'test-results', 'screenshots', slug(testName));
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 80) || 'step'
  );
}

export class Workbench extends WorkbenchViews {
  private shots = 0;
  private dumps = 0;
  private readonly consoleLines: string[] = [];

  private constructor(
    readonly browser: Browser,
    page: Page,
    private readonly options: WorkbenchOptions,
    private readonly disposeHome: () => void,
  ) {
    super(page);
    page.on('console', (m) => this.consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => this.consoleLines.push(`[pageerror] ${e.message}`));
    this.quickPick = new QuickPick(page);
    this.inputBox = new InputBox(page);
  }

  static async open(url: string, options: WorkbenchOptions): Promise<Workbench> {
    fs.mkdirSync(options.screenshotsDir, { recursive: true });
    for (const f of fs.readdirSync(options.screenshotsDir)) {
      if (f.endsWith('.png')) {
        fs.rmSync(path.join(options.screenshotsDir, f));
      }
    }
    const before = new Set(procTable().map((p) => p.pid));
    // Chromium writes crash reports and caches under $HOME/.config and $HOME/.cache: keep them out of the real home.
    const browserHome = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-browser-'));
    const releaseHome = register({ kind: 'dir', path: browserHome });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      env: {
        ...process.env,
        HOME: browserHome,
        XDG_CONFIG_HOME: path.join(browserHome, '.config'),
        XDG_CACHE_HOME: path.join(browserHome, '.cache'),
      },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    // Playwright starts Chromium as a process-group leader; register it so a killed test does not leave it.
    for (const p of procTable()) {
      if (!before.has(p.pid) && p.ppid === process.pid && p.pid === p.pgrp) {
        registerProcess(p.pid, 'chromium', true);
      }
    }
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const wb = new Workbench(browser, page, options, () => {
      removeTreeSync(browserHome);
      releaseHome();
    });
    await page.goto(url);
    return wb;
  }

  /** How many failures were dumped so far (a test's hooks use it to dump a failure only once). */
  get failuresDumped(): number {
    return this.dumps;
  }

  /** Browser console lines so far. */
  consoleLog(): string[] {
    return [...this.consoleLines];
  }

  /** Waits for the workbench and its status bar (code-server's first load takes several seconds). */
  async waitReady(timeoutMs = 120_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Saves `<NN>-<step>.png` and returns its path. */
  async screenshot(step: string): Promise<string> {
    this.shots++;
    const file = path.join(this.options.screenshotsDir, `${String(this.shots).padStart(2, '0')}-${slug(step)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Runs `fn`, then takes a screenshot named `name`; on failure dumps a FAILED shot and the logs. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      await this.screenshot(name);
      return result;
    } catch (e) {
      await this.dumpFailure(name);
      throw e;
    }
  }

  /** Writes a FAILED screenshot and prints the browser console and server log to stderr. */
  async dumpFailure(name: string): Promise<void> {
    this.dumps++;
    try {
      await this.screenshot(`FAILED-${name}`);
    } catch {
      // the page may be gone
    }
    process.stderr.write(`\n--- browser console (${name}) ---\n${this.consoleLines.join('\n')}\n`);
    if (this.options.serverLogs) {
      process.stderr.write(
        `--- code-server log ---\n${this.options.serverLogs().split('\n').slice(-200).join('\n')}\n`,
      );
    }
  }

  // ---- command palette and quick input ----

  private get quickInput(): Locator {
    return quickInputWidget(this.page);
  }

  /** F1, type the command title, pick the row with exactly that label, Enter. */
  async runCommand(title: string): Promise<void> {
    await this.page
      .locator('.monaco-workbench')
      .click({ position: { x: 5, y: 5 }, force: true })
      .catch(() => undefined);
    await this.page.keyboard.press('F1');
    const input = this.quickInput.locator('input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = this.quickInput
      .locator('.monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: title }) })
      .first();
    await row.waitFor({ state: 'visible' });
    await row.click();
    await this.parkMouse();
  }

  /**
   * Moves the mouse to the bottom of the editor area, where nothing has a hover, so a hover left
   * by the last click (e.g. over the next input box) does not cover the screenshot.
   */
  async parkMouse(): Promise<void> {
    const editor = await this.page.locator('.part.editor').boundingBox();
    await this.page.mouse.move(
      editor ? editor.x + editor.width / 2 : 700,
      editor ? editor.y + editor.height - 20 : 700,
    );
  }

  /** The quick pick of the palette and of the extension's flows. */
  readonly quickPick: QuickPick;
  /** The input box (and password box) of the same widget. */
  readonly inputBox: InputBox;

  /** Opens a workspace file by name through Go to File and waits for its tab. */
  async openFile(name: string): Promise<void> {
    await this.runCommand('Go to File');
    await this.quickPick.type(name);
    await this.quickInput.locator('.monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible' });
    await this.quickPick.accept();
    await this.page
      .locator('.editor-group-container.active .tab.active', { hasText: name })
      .waitFor({ state: 'visible' });
  }

  // ---- hovers, dialogs, editors ----

  /** Hovers `target` and returns the text of the hover (tooltip) it opens; the hover stays open until the mouse moves. */
  async hoverText(target: Locator, timeoutMs = UI_TIMEOUT): Promise<string> {
    const hover = this.page.locator('.workbench-hover:not(.hidden)').filter({ hasText: /\S/ }).last();
    // Start where nothing has a hover so no earlier hover is read.
    await this.parkMouse();
    await hover.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    await target.hover();
    await hover.waitFor({ state: 'visible', timeout: timeoutMs });
    return (await hover.innerText()).trim();
  }

  /** Waits for a modal dialog (e.g. a `showWarningMessage` with `modal: true`). */
  async modalDialog(timeoutMs = UI_TIMEOUT): Promise<{
    locator: Locator;
    text: string;
    detail: string;
    clickButton(label: string): Promise<void>;
    waitClosed(): Promise<void>;
  }> {
    const locator = this.page.locator('.monaco-dialog-box').first();
    await locator.waitFor({ state: 'visible', timeout: timeoutMs });
    const part = async (selector: string): Promise<string> => {
      const l = locator.locator(selector).first();
      return (await l.count()) > 0 ? (await l.innerText()).trim() : '';
    };
    const message = await part('.dialog-message-text');
    return {
      locator,
      text: message || (await locator.innerText()).trim(),
      detail: await part('.dialog-message-detail'),
      clickButton: async (label: string) =>
        locator.locator('.dialog-buttons .monaco-button', { hasText: label }).first().click(),
      waitClosed: async () => locator.waitFor({ state: 'hidden', timeout: timeoutMs }),
    };
  }

  /** The title of the active editor tab ('' when no editor is open). */
  async activeEditorTitle(): Promise<string> {
    const tab = this.page.locator('.editor-group-container.active .tab.active .label-name').first();
    return (await tab.count()) > 0 ? ((await tab.textContent())?.trim() ?? '') : '';
  }

  /**
   * The text of the active editor as rendered, in line order. Monaco renders only the lines in
   * view, so this is the whole document only for documents that fit the editor.
   */
  async editorText(): Promise<string> {
    const lines = await this.page
      .locator('.editor-group-container.active .monaco-editor .view-lines .view-line')
      .evaluateAll((els: PageElement[]) =>
        els.map((el) => ({ top: parseFloat(el.style.top) || 0, text: el.textContent ?? '' })),
      );
    return lines
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text.replace(/\u00a0/g, ' '))
      .join('\n');
  }

  /**
   * Types into the active editor and fails unless Monaco answers with "Cannot edit in read-only
   * editor" and the text stays as it was: the document is read-only.
   */
  async assertEditorReadOnly(): Promise<void> {
    const before = await this.editorText();
    await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await this.page.keyboard.type('xyz');
    await this.page
      .locator('.monaco-editor-overlaymessage', { hasText: 'Cannot edit in read-only editor' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await this.editorText(), before, 'the read-only document is unchanged');
  }

  /** Closes what a failed step may have left open (context menu, quick input, hover, dialog) with Escape. */
  async dismissTransient(): Promise<void> {
    const open = this.page.locator(
      '.context-view .monaco-menu:visible, .quick-input-widget:visible, .monaco-dialog-box:visible, .workbench-hover:not(.hidden):visible',
    );
    for (let i = 0, count = await open.count(); i < 4 && count > 0; i++) {
      await this.page.keyboard.press('Escape');
      // Each Escape closes the topmost one; wait for that (bounded: an Escape may close nothing).
      const before = count;
      count = await waitFor(
        'an Escape to close something',
        () => open.count(),
        (n) => n < before,
        2_000,
      ).catch(() => open.count());
    }
  }

  /**
   * A fixed pause, for a screenshot only. Never use it to prove that nothing happened (a slow
   * machine makes such a test pass for the wrong reason): wait for a marker instead, something
   * the extension does after the thing that must not happen would have happened.
   */
  async settle(ms = 300): Promise<void> {
    await this.page.waitForTimeout(ms);
  }

  // ---- status bar and notifications ----

  /** A status bar item by the id given to `createStatusBarItem` (matched as the element id or its suffix). */
  statusBarItem(id: string): {
    locator: Locator;
    text(): Promise<string>;
    ariaLabel(): Promise<string>;
    click(): Promise<void>;
  } {
    const locator = this.page
      .locator(
        `.part.statusbar .statusbar-item[id="${escapeAttr(id)}"], .part.statusbar .statusbar-item[id$=".${escapeAttr(id)}"]`,
      )
      .first();
    return {
      locator,
      text: async () => (await locator.innerText()).trim(),
      ariaLabel: async () =>
        (await locator.locator('a, .statusbar-item-label').first().getAttribute('aria-label')) ?? '',
      click: async () => locator.locator('a, .statusbar-item-label').first().click(),
    };
  }

  /** Waits for a notification whose text matches; returns its text and helpers. */
  async notification(
    text: RegExp,
    timeoutMs = UI_TIMEOUT,
  ): Promise<{ locator: Locator; text: string; clickButton(label: string): Promise<void> }> {
    const locator = this.page
      .locator('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item')
      .filter({ hasText: text })
      .first();
    await locator.waitFor({ state: 'visible', timeout: timeoutMs });
    // A toast slides in; the workbench marks it when the transition has ended (for the screenshot).
    await this.page
      .locator('.notification-toast.notification-fade-in-done .notification-list-item')
      .filter({ hasText: text })
      .first()
      .waitFor({ state: 'visible', timeout: 2_000 })
      .catch(() => undefined); // in the notification center, or no transition to end
    return {
      locator,
      text: (await locator.innerText()).trim(),
      clickButton: async (label: string) => locator.locator('.monaco-button', { hasText: label }).first().click(),
    };
  }

  /** Texts of the error notifications shown as toasts right now. */
  async errorNotifications(): Promise<string[]> {
    return this.page
      .locator('.notifications-toasts .notification-list-item')
      .filter({ has: this.page.locator('.codicon-error') })
      .evaluateAll((els: PageElement[]) => els.map((el) => (el.innerText ?? el.textContent ?? '').trim()));
  }

  async close(): Promise<void> {
    await this.browser.close();
    this.disposeHome();
  }
}

/** Opens the workbench at `url` in headless Chromium. */
export function openWorkbench(url: string, options: WorkbenchOptions): Promise<Workbench> {
  return Workbench.open(url, options);
}
