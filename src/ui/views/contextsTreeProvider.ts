import * as vscode from 'vscode';
import type { ContextsModel, ContextsSnapshot } from '../contextsModel';
import type { ContextsTreeNode } from './contextNodes';
import { contextsTreeNodes, treeItemFor } from './contextTreeItems';

/**
 * Rows come from the shared ContextsModel snapshot: getChildren never reads files itself, never
 * shows pop-ups, and turns failures into rows (or, when nothing could be listed, into the empty
 * state that the view's welcome content explains).
 */
export class ContextsTreeProvider implements vscode.TreeDataProvider<ContextsTreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ContextsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  /** The snapshot the current rows were built from, for getTreeItem. */
  private shown: ContextsSnapshot | undefined;

  constructor(private readonly model: ContextsModel) {
    this.subscription = model.onDidChange(() => this.emitter.fire(undefined));
  }

  async getChildren(element?: ContextsTreeNode): Promise<ContextsTreeNode[]> {
    if (element) {
      return [];
    }
    const snap = await this.model.snapshot;
    this.shown = snap;
    return contextsTreeNodes(snap);
  }

  getTreeItem(node: ContextsTreeNode): vscode.TreeItem {
    // getChildren always runs first, so `shown` is set; the fallback only guards odd call orders.
    const snap = this.shown ?? this.model.peek();
    if (!snap) {
      return new vscode.TreeItem(node.kind === 'context' ? node.summary.name : node.label);
    }
    return treeItemFor(node, snap);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
