import type * as vscode from 'vscode';
import type { CurrentSource, DockerContextSummary } from '../../core/contexts/contextStore';

/** A Docker context row; this object is what menus pass to command handlers. */
export interface ContextNode {
  readonly kind: 'context';
  /** Tree item id; unique even if two meta.json files claim the same name. */
  readonly id: string;
  readonly summary: DockerContextSummary;
  readonly current: boolean;
  /** Why it is current (only for the current one). */
  readonly source?: CurrentSource;
  /** This workspace uses it instead of the global context. */
  readonly workspace?: boolean;
}

/** A row that reports a state rather than a context (an unparsable config.json, for example). */
export interface MessageNode {
  readonly kind: 'message';
  readonly id: string;
  readonly label: string;
  readonly description?: string;
  readonly tooltip: string;
  readonly severity: 'info' | 'warning' | 'error';
  readonly command?: vscode.Command;
}

export type ContextsTreeNode = ContextNode | MessageNode;

/** Command arguments arrive untyped (menus, keybindings, other extensions): check before use. */
export function asContextNode(arg: unknown): ContextNode | undefined {
  if (
    typeof arg === 'object' &&
    arg !== null &&
    (arg as { kind?: unknown }).kind === 'context' &&
    typeof (arg as ContextNode).summary?.name === 'string'
  ) {
    return arg as ContextNode;
  }
  return undefined;
}
