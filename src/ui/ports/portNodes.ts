import { naturalCompare } from '../../core/common/naturalCompare';
import type { ContainerRef, ForwardRow, PortsSnapshot } from '../../core/ports/portsTypes';

/** A container with its forwarded ports. */
export interface PortContainerNode {
  readonly kind: 'portContainer';
  readonly id: string;
  readonly container: ContainerRef;
  readonly rows: readonly PortForwardNode[];
}

/** One forwarded port; this object is what the view's menus pass to command handlers. */
export interface PortForwardNode {
  readonly kind: 'portForward';
  readonly id: string;
  readonly row: ForwardRow;
}

export type PortsTreeNode = PortContainerNode | PortForwardNode;

/** Containers by name, each with its ports by remote port then address; tree ids stable across refreshes. */
export function portTreeNodes(snap: PortsSnapshot): PortContainerNode[] {
  const byContainer = new Map<string, { container: ContainerRef; rows: ForwardRow[] }>();
  for (const row of snap.rows) {
    const entry = byContainer.get(row.container.id) ?? { container: row.container, rows: [] };
    entry.rows.push(row);
    byContainer.set(row.container.id, entry);
  }
  return [...byContainer.values()]
    .sort((a, b) => naturalCompare(a.container.name, b.container.name))
    .map(({ container, rows }) => ({
      kind: 'portContainer' as const,
      id: `remoteDocker.portContainer:${container.id}`,
      container,
      rows: rows
        .sort((a, b) => a.remote.port - b.remote.port || naturalCompare(a.remote.host, b.remote.host))
        .map((row) => ({ kind: 'portForward' as const, id: `remoteDocker.portForward:${row.id}`, row })),
    }));
}

/** Command arguments arrive untyped (menus, keybindings, other extensions): check before use. */
export function asPortForwardNode(arg: unknown): PortForwardNode | undefined {
  if (
    typeof arg === 'object' &&
    arg !== null &&
    (arg as { kind?: unknown }).kind === 'portForward' &&
    typeof (arg as { row?: { id?: unknown } }).row?.id === 'string'
  ) {
    return arg as PortForwardNode;
  }
  return undefined;
}
