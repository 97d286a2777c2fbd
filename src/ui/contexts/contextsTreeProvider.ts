import * as vscode from 'vscode';
import type { ContextsSnapshot } from './contextsModel';
import type { ContextsService } from './contextsService';
import { engineKey, keyId } from '../../core/engine/engineKey';
import type { EngineService } from '../engine/engineService';
import type { WorkspaceContextService } from '../workspace/workspaceContextService';
import type { ContextNode, ContextsTreeNode } from './contextNodes';
import { contextsTreeNodes, treeItemFor } from './contextTreeItems';

/**
 * Rows come from the shared ContextsService snapshot: getChildren never reads files itself, never
 * shows pop-ups, and turns failures into rows (or, when nothing could be listed, into the empty
 * state that the view's welcome content explains).
 *
 * Each context's daemon is probed lazily when its row is produced: getChildren only queues the
 * probe (the row shows "…" or the last answer) and the row alone is redrawn when the answer
 * arrives, so the tree never waits for the network.
 */
export class ContextsTreeProvider implements vscode.TreeDataProvider<ContextsTreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ContextsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];
  /** The snapshot the current rows were built from, for getTreeItem. */
  private shown: ContextsSnapshot | undefined;
  /** The row objects last returned, by daemon key: VS Code redraws a row only when given the same object. */
  private rows = new Map<string, ContextNode[]>();

  constructor(
    private readonly model: ContextsService,
    private readonly engine?: EngineService,
    private readonly workspace?: WorkspaceContextService,
  ) {
    this.subscriptions = [model.onDidChange(() => this.emitter.fire(undefined))];
    if (workspace) {
      this.subscriptions.push(workspace.onDidChange(() => this.emitter.fire(undefined)));
    }
    if (engine) {
      this.subscriptions.push(
        engine.onDidChangeState((key) => {
          for (const node of this.rows.get(keyId(key)) ?? []) {
            this.emitter.fire(node);
          }
        }),
        // Everything stale: the whole list is produced again, which queues the probes again.
        engine.onDidInvalidate(() => this.emitter.fire(undefined)),
      );
    }
  }

  async getChildren(element?: ContextsTreeNode): Promise<ContextsTreeNode[]> {
    if (element) {
      return [];
    }
    const snap = await this.model.snapshot;
    this.shown = snap;
    const nodes = contextsTreeNodes(snap, this.workspace?.name);
    const rows = new Map<string, ContextNode[]>();
    for (const node of nodes) {
      if (node.kind === 'context' && !node.summary.error && node.summary.endpoint) {
        const id = keyId(engineKey(node.summary));
        rows.set(id, [...(rows.get(id) ?? []), node]);
        this.engine?.request(node.summary);
      }
    }
    this.rows = rows;
    return nodes;
  }

  getTreeItem(node: ContextsTreeNode): vscode.TreeItem {
    // getChildren always runs first, so `shown` is set; the fallback only guards odd call orders.
    const snap = this.shown ?? this.model.peek();
    if (!snap) {
      return new vscode.TreeItem(node.kind === 'context' ? node.summary.name : node.label);
    }
    const engine =
      node.kind === 'context' && !node.summary.error && node.summary.endpoint && this.engine
        ? { state: this.engine.state(node.summary), localPlatform: this.engine.localPlatform }
        : undefined;
    return treeItemFor(node, snap, engine);
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
    this.emitter.dispose();
  }
}
