import * as vscode from 'vscode';
import type { PortsSnapshot } from '../../core/ports/portsTypes';
import { PortValueBase, portItemValue } from '../base/contextValues';
import { codeSpan, escapeMarkdown } from '../base/presentation';
import { ViewIds } from '../base/ids';
import { portTreeNodes, type PortContainerNode, type PortForwardNode, type PortsTreeNode } from './portNodes';
import {
  forwardCount,
  forwardsLine,
  isListening,
  rowDescription,
  rowLabel,
  rowSpoken,
  rowTooltip,
  viewMessage,
} from './portPresentation';
import type { PortsService } from './portsService';

function stateIcon(node: PortForwardNode): vscode.ThemeIcon {
  switch (node.row.state.kind) {
    case 'forwarding':
      return new vscode.ThemeIcon('radio-tower', new vscode.ThemeColor('charts.green'));
    case 'moved':
      return new vscode.ThemeIcon('arrow-swap', new vscode.ThemeColor('charts.blue'));
    case 'stopped':
      return new vscode.ThemeIcon('debug-stop');
    case 'forbidden':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    case 'localTaken':
    case 'remoteRefused':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  }
}

function containerItem(node: PortContainerNode): vscode.TreeItem {
  const c = node.container;
  const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = node.id;
  item.description = c.image;
  item.contextValue = PortValueBase.portContainer;
  item.iconPath = new vscode.ThemeIcon('package');
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(c.name)}**\n\n`);
  md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Image:'))} ${codeSpan(c.image)}  \n`);
  md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Container ID:'))} ${codeSpan(c.id.slice(0, 12))}\n`);
  item.tooltip = md;
  item.accessibilityInformation = { label: vscode.l10n.t('Container {0}, image {1}', c.name, c.image) };
  return item;
}

function forwardItem(node: PortForwardNode): vscode.TreeItem {
  const row = node.row;
  const item = new vscode.TreeItem(rowLabel(row), vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.description = rowDescription(row);
  item.contextValue = portItemValue({
    manual: row.origin === 'manual',
    listening: isListening(row),
    stopped: row.state.kind === 'stopped',
  });
  item.iconPath = stateIcon(node);
  item.tooltip = rowTooltip(row);
  item.accessibilityInformation = { label: rowSpoken(row) };
  return item;
}

/** Rows come from the forwarder's snapshot; getChildren never does I/O. */
class PortsTreeProvider implements vscode.TreeDataProvider<PortsTreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<PortsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly ports: PortsService) {}

  changed(): void {
    this.emitter.fire(undefined);
  }

  getChildren(element?: PortsTreeNode): PortsTreeNode[] {
    if (!element) {
      return this.ports.context === undefined ? [] : portTreeNodes(this.ports.snapshot());
    }
    return element.kind === 'portContainer' ? [...element.rows] : [];
  }

  getTreeItem(node: PortsTreeNode): vscode.TreeItem {
    return node.kind === 'portContainer' ? containerItem(node) : forwardItem(node);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/**
 * The Ports view: container → remote address → local address with its state; the welcome
 * content (package.json) explains an empty view; the line above the tree says when the events
 * stream is down or auto-forward is off, and that UDP is not forwarded; the badge counts forwards.
 */
export class PortsView implements vscode.Disposable {
  private readonly provider: PortsTreeProvider;
  readonly treeView: vscode.TreeView<PortsTreeNode>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private scheduled: NodeJS.Timeout | undefined;

  constructor(private readonly ports: PortsService) {
    this.provider = new PortsTreeProvider(ports);
    this.treeView = vscode.window.createTreeView(ViewIds.ports, {
      treeDataProvider: this.provider,
      showCollapseAll: true,
    });
    this.subscriptions.push(
      this.provider,
      this.treeView,
      ports.onDidChange(() => this.schedule()),
    );
    this.update(ports.snapshot());
  }

  /** A burst of changes (a compose project starting) paints once. */
  private schedule(): void {
    this.scheduled ??= setTimeout(() => {
      this.scheduled = undefined;
      this.update(this.ports.snapshot());
    }, 50);
  }

  private update(snap: PortsSnapshot): void {
    this.provider.changed();
    this.treeView.message = viewMessage(snap);
    const n = forwardCount(snap);
    this.treeView.badge = n > 0 ? { value: n, tooltip: forwardsLine(n) } : undefined;
  }

  dispose(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled);
    }
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
