/**
 * What the page-side callbacks of the workbench helpers (`evaluate`, `evaluateAll`) may touch.
 * This project compiles without the DOM library (the extension never runs in a browser), so the
 * few members those callbacks use are declared here and the callbacks' parameters typed with them.
 */

/** The members of a DOM element that the callbacks read. */
export interface PageElement {
  readonly textContent: string | null;
  /** Rendered text; present on HTML elements (not on SVG ones). */
  readonly innerText?: string;
  readonly style: { readonly top: string };
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  getBoundingClientRect(): PageRect;
}

export interface PageRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The page's globals that the callbacks use. */
export interface PageGlobals {
  MutationObserver: new (callback: () => void) => {
    observe(node: PageElement, options: Record<string, boolean>): void;
    disconnect(): void;
  };
  navigator: { clipboard: { readText(): Promise<string> } };
}

/** A regular expression that matches `text` exactly, give or take surrounding white space. */
export function exactly(text: string, flags?: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, flags);
}

/** `s` quoted for a CSS attribute selector value in double quotes. */
export function escapeAttr(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
