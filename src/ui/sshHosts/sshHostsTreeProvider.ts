import * as vscode from 'vscode';
import type { ContextsService } from '../contexts/contextsService';
import type { SshService } from './sshService';
import type { SshHostsTreeNode } from './sshHostNodes';
import { sshHostsTreeNodes, sshTreeItemFor } from './sshHostTreeItems';

/**
 * Rows come from the SshService snapshot (and the contexts snapshot, for the "used by" marker):
 * getChildren never reads files itself and turns configuration problems into rows.
 */
export class SshHostsTreeProvider implements vscode.TreeDataProvider<SshHostsTreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<SshHostsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly ssh: SshService,
    private readonly contexts: ContextsService,
  ) {
    this.subscriptions = [
      ssh.onDidChange(() => this.emitter.fire(undefined)),
      contexts.onDidChange(() => this.emitter.fire(undefined)),
    ];
  }

  async getChildren(element?: SshHostsTreeNode): Promise<SshHostsTreeNode[]> {
    if (element) {
      return [];
    }
    const snap = await this.ssh.snapshot;
    return sshHostsTreeNodes(snap, this.contexts.peek());
  }

  getTreeItem(node: SshHostsTreeNode): vscode.TreeItem {
    return sshTreeItemFor(node);
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
    this.emitter.dispose();
  }
}
