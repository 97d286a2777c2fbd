/**
 * The quick input widget of the workbench: the command palette, quick picks and input boxes
 * (password boxes too), as `wb.quickPick` and `wb.inputBox` offer them.
 */
import type { Locator, Page } from 'playwright-core';
import { exactly, type PageElement } from './pageDom';

export interface QuickPickRow {
  label: string;
  description: string;
  detail: string;
  ariaLabel: string;
}

/** The widget itself (one per workbench). */
export function quickInputWidget(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

export class QuickPick {
  private readonly widget: Locator;

  constructor(private readonly page: Page) {
    this.widget = quickInputWidget(page);
  }

  /** Waits until a quick pick / input box is visible. */
  async waitOpen(): Promise<void> {
    await this.widget.locator('input').waitFor({ state: 'visible' });
  }

  isOpen(): Promise<boolean> {
    return this.widget.isVisible();
  }

  /** Replaces the filter text. */
  async type(text: string): Promise<void> {
    await this.widget.locator('input').fill(text);
  }

  /** Visible rows. */
  async rows(): Promise<QuickPickRow[]> {
    await this.waitOpen();
    return this.widget.locator('.monaco-list-row').evaluateAll((els: PageElement[]) =>
      els.map((el) => ({
        label:
          el
            .querySelector('.quick-input-list-label .label-name, .monaco-icon-label .label-name')
            ?.textContent?.trim() ?? '',
        description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
        detail: el.querySelector('.quick-input-list-label-meta')?.textContent?.trim() ?? '',
        ariaLabel: el.getAttribute('aria-label') ?? '',
      })),
    );
  }

  /** Clicks the row whose label is exactly `label` (or matches the regex). */
  async pick(label: string | RegExp): Promise<void> {
    await this.waitOpen();
    const row = this.widget
      .locator('.monaco-list-row')
      .filter({
        has: this.page.locator('.label-name', { hasText: typeof label === 'string' ? exactly(label) : label }),
      })
      .first();
    await row.waitFor({ state: 'visible' });
    await row.click();
  }

  /** Enter. */
  async accept(): Promise<void> {
    await this.widget.locator('input').press('Enter');
  }

  /** Escape. */
  async cancel(): Promise<void> {
    await this.widget.locator('input').press('Escape');
  }

  /** The widget's title (e.g. a step of a multi-step flow). */
  async title(): Promise<string> {
    return (await this.widget.locator('.quick-input-title').textContent())?.trim() ?? '';
  }

  /** Label of the focused (active) row, '' when none. */
  async activeLabel(): Promise<string> {
    const row = this.widget.locator('.monaco-list-row.focused .label-name').first();
    return (await row.count()) > 0 ? ((await row.textContent())?.trim() ?? '') : '';
  }

  async waitClosed(): Promise<void> {
    await this.widget.waitFor({ state: 'hidden' });
  }
}

export class InputBox {
  private readonly input: Locator;
  private readonly messageLine: Locator;

  constructor(page: Page) {
    const widget = quickInputWidget(page);
    this.input = widget.locator('input');
    this.messageLine = widget.locator('.quick-input-message');
  }

  /** Waits for an input box, types `text` (password boxes too) and presses Enter unless `submit: false`. */
  async fill(text: string, o: { submit?: boolean } = {}): Promise<void> {
    await this.input.waitFor({ state: 'visible' });
    await this.input.fill(text);
    if (o.submit !== false) {
      await this.input.press('Enter');
    }
  }

  /** True when the visible input hides what is typed. */
  async isPassword(): Promise<boolean> {
    return (await this.input.getAttribute('type')) === 'password';
  }

  /** The prompt or validation message under the input. */
  async message(): Promise<string> {
    return (await this.messageLine.textContent())?.trim() ?? '';
  }

  /** True when the message under the input is shown (e.g. a validation message). */
  messageVisible(): Promise<boolean> {
    return this.messageLine.isVisible();
  }

  async placeholder(): Promise<string> {
    return (await this.input.getAttribute('placeholder')) ?? '';
  }

  value(): Promise<string> {
    return this.input.inputValue();
  }
}
