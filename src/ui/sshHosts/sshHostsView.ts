import * as vscode from 'vscode';
import type { ContextsService } from '../contexts/contextsService';
import { errorSentence } from '../base/errorMessages';
import { ViewIds } from '../base/ids';
import type { SshHostsSnapshot, SshService } from './sshService';
import type { SshHostsTreeNode } from './sshHostNodes';
import { SshHostsTreeProvider } from './sshHostsTreeProvider';

/** The SSH Hosts view: the tree, plus a message line when the configuration cannot be read at all. */
export class SshHostsView implements vscode.Disposable {
  private readonly provider: SshHostsTreeProvider;
  readonly treeView: vscode.TreeView<SshHostsTreeNode>;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(ssh: SshService, contexts: ContextsService) {
    this.provider = new SshHostsTreeProvider(ssh, contexts);
    this.treeView = vscode.window.createTreeView(ViewIds.sshHosts, {
      treeDataProvider: this.provider,
      showCollapseAll: false,
    });
    this.subscriptions.push(
      this.provider,
      this.treeView,
      ssh.onDidChange((s) => this.update(s)),
    );
    const first = ssh.peek();
    if (first) {
      this.update(first);
    }
  }

  private update(snap: SshHostsSnapshot): void {
    this.treeView.message =
      snap.error !== undefined
        ? vscode.l10n.t('The SSH configuration {0} cannot be read: {1}', snap.configFile, errorSentence(snap.error))
        : undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
