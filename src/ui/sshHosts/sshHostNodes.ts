import type { SshConfigProblem } from '../../core/sshConfig/sshConfig';
import type { SshHostEntry } from './sshService';

/** A host row; this object is what the view's menus pass to command handlers. */
export interface SshHostNode {
  readonly kind: 'sshHost';
  readonly id: string;
  readonly entry: SshHostEntry;
  /** Names of the Docker contexts whose endpoint goes through this alias. */
  readonly contexts: readonly string[];
}

/** A problem of the configuration (unreadable file, Include loop, unsafe permissions, parse error). */
export interface SshProblemNode {
  readonly kind: 'sshProblem';
  readonly id: string;
  readonly problem: SshConfigProblem;
}

export type SshHostsTreeNode = SshHostNode | SshProblemNode;

/** Command arguments arrive untyped (menus, keybindings, other extensions): check before use. */
export function asSshHostNode(arg: unknown): SshHostNode | undefined {
  if (
    typeof arg === 'object' &&
    arg !== null &&
    (arg as { kind?: unknown }).kind === 'sshHost' &&
    typeof (arg as SshHostNode).entry?.host?.alias === 'string'
  ) {
    return arg as SshHostNode;
  }
  return undefined;
}

/** The alias named by a command argument: an SSH host row, `{ alias }`, or a plain string. */
export function aliasFromArg(arg: unknown): string | undefined {
  const node = asSshHostNode(arg);
  if (node) {
    return node.entry.host.alias;
  }
  if (typeof arg === 'string' && arg !== '') {
    return arg;
  }
  if (typeof arg === 'object' && arg !== null && typeof (arg as { alias?: unknown }).alias === 'string') {
    return (arg as { alias: string }).alias;
  }
  return undefined;
}
