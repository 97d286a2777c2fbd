import * as vscode from 'vscode';
import type { ContextsSnapshot } from './contextsModel';
import type { ContextsService } from './contextsService';
import type { EngineService } from '../engine/engineService';
import type { WorkspaceContextService } from '../workspace/workspaceContextService';
import { errorSentence } from '../base/errorMessages';
import { ViewIds, WhenKeys } from '../base/ids';
import { envOverrideWarnings } from '../base/presentation';
import type { ContextsTreeNode } from './contextNodes';
import { ContextsTreeProvider } from './contextsTreeProvider';

/** Context key read by the view's welcome content (package.json `viewsWelcome`). */

/**
 * The Docker Contexts view: the tree plus a message line above it for states that concern the
 * whole list — an environment override that makes switching ineffective for terminals, or a
 * store that could not be read at all.
 */
export class ContextsView implements vscode.Disposable {
  private readonly provider: ContextsTreeProvider;
  readonly treeView: vscode.TreeView<ContextsTreeNode>;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(model: ContextsService, engine?: EngineService, workspace?: WorkspaceContextService) {
    this.provider = new ContextsTreeProvider(model, engine, workspace);
    this.treeView = vscode.window.createTreeView(ViewIds.contexts, {
      treeDataProvider: this.provider,
      showCollapseAll: false,
    });
    this.subscriptions.push(
      this.provider,
      this.treeView,
      model.onDidChange((s) => this.update(s)),
    );
    const first = model.peek();
    if (first) {
      this.update(first);
    }
  }

  private update(snap: ContextsSnapshot): void {
    const failed = snap.listError !== undefined;
    void vscode.commands.executeCommand('setContext', WhenKeys.contextsLoadFailed, failed);
    const lines = failed
      ? [vscode.l10n.t('Docker contexts in {0} cannot be listed: {1}', snap.configDir, errorSentence(snap.listError))]
      : [];
    lines.push(...envOverrideWarnings(snap.env));
    this.treeView.message = lines.length > 0 ? lines.join(' ') : undefined;
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
