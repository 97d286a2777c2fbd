/**
 * The few pieces of the `vscode` API that the status bar's and the Docker Contexts view's
 * Markdown builders touch (MarkdownString, l10n.t, env.language, ThemeColor), so those
 * builders can run under plain Node and their Markdown be read by a real CommonMark parser.
 * Only what renders text is given; anything else the modules reach at load time is inert.
 * Install before the first `require` of a `src/ui` module.
 */
import Module from 'node:module';

class MarkdownString {
  value: string;
  isTrusted: boolean | { enabledCommands: readonly string[] } | undefined;
  supportHtml = false;
  constructor(
    value = '',
    public supportThemeIcons = false,
  ) {
    this.value = value;
  }
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
}

class ThemeColor {
  constructor(public readonly id: string) {}
}

/** VS Code's EventEmitter, for UI classes that only fire events (e.g. a Pseudoterminal's output). */
class EventEmitter<T> {
  private listeners: ((e: T) => unknown)[] = [];
  readonly event = (listener: (e: T) => unknown): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      l(e);
    }
  }
  dispose(): void {
    this.listeners = [];
  }
}

/** `l10n.t` as VS Code does it for a bundle-less language: `{n}` replaced by the n-th argument. */
function t(message: string, ...args: unknown[]): string {
  return message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
}

const inert: unknown = new Proxy(function () {}, { get: () => inert, apply: () => inert, construct: () => ({}) });

const standIn = new Proxy(
  { MarkdownString, ThemeColor, EventEmitter, l10n: { t }, env: { language: 'en' } },
  { get: (target, key: string) => (key in target ? (target as Record<string, unknown>)[key] : inert) },
);

let installed = false;

export function installVscodeStandIn(): void {
  if (installed) {
    return;
  }
  installed = true;
  const m = Module as unknown as {
    _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  };
  const load = m._load;
  m._load = function (request: string, parent: unknown, isMain: boolean): unknown {
    return request === 'vscode' ? standIn : load.call(this, request, parent, isMain);
  };
}
