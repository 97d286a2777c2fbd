import * as vscode from 'vscode';
import type { Logger } from '../../core/common/log';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import { type WindowContext, windowContext } from '../../core/contexts/workspaceContext';
import type { ContextsSnapshot } from '../contexts/contextsModel';
import { DOCKER_CONTEXT_VARIABLE, WorkspaceStateKeys } from './workspaceIds';

/**
 * The context this workspace uses instead of the global one. Kept in workspaceState, not in the
 * workspace's settings: a context name belongs to one person's ~/.docker (the same name may be
 * production on a colleague's laptop), while .vscode/settings.json is often committed and shared;
 * and nothing here needs to be edited by hand. It reaches this workspace's terminals and tasks
 * through the extension's environment variable collection (persisted per workspace by VS Code,
 * with a description so VS Code explains the change and offers to relaunch open terminals), and
 * this window follows it through `windowOf` (status bar, tree marker, engine probes).
 */
export class WorkspaceContextService implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<string | undefined>();
  /** The workspace's context changed (set, another one, or stopped). */
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly ext: vscode.ExtensionContext,
    private readonly logger: Logger,
  ) {
    // The collection persists on its own; applying again keeps it equal to the state after an
    // update of the extension or a hand-cleared collection.
    this.applyEnvironment(this.name);
  }

  /** Whether a folder or workspace is open (an empty window has no workspace to scope to). */
  get available(): boolean {
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 0 || vscode.workspace.workspaceFile !== undefined;
  }

  /** The workspace's context, or undefined when it uses the global one. */
  get name(): string | undefined {
    const v = this.ext.workspaceState.get<unknown>(WorkspaceStateKeys.context);
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  async set(name: string | undefined): Promise<void> {
    if (name === this.name) {
      return;
    }
    this.logger.info(
      name === undefined
        ? 'This workspace uses the global Docker context again'
        : `This workspace uses Docker context ${name}`,
    );
    await this.ext.workspaceState.update(WorkspaceStateKeys.context, name);
    this.applyEnvironment(name);
    this.emitter.fire(name);
  }

  /** The context this window uses for a snapshot of the store. */
  windowOf(snap: ContextsSnapshot): WindowContext | undefined {
    return snap.current ? windowContext(snap.current, snap.env, this.name) : undefined;
  }

  /** The context summary this window uses, if listed. */
  windowSummary(snap: ContextsSnapshot): DockerContextSummary | undefined {
    const name = this.windowOf(snap)?.name;
    return name === undefined ? undefined : snap.contexts.find((c) => c.name === name);
  }

  /** The workspace's context is set but the store no longer has it (removed in a terminal or here). */
  missingIn(snap: ContextsSnapshot): string | undefined {
    const name = this.name;
    if (name === undefined || snap.listError !== undefined) {
      return undefined;
    }
    return snap.contexts.some((c) => c.name === name && c.error?.reason !== 'contextNotFound') ? undefined : name;
  }

  private applyEnvironment(name: string | undefined): void {
    const env = this.ext.environmentVariableCollection;
    env.persistent = true;
    if (name === undefined) {
      env.delete(DOCKER_CONTEXT_VARIABLE);
      env.description = undefined;
      return;
    }
    // Plain text: no Markdown to escape.
    env.description = vscode.l10n.t(
      'Sets DOCKER_CONTEXT={0}: docker in this workspace uses the Docker context "{0}".',
      name,
    );
    env.replace(DOCKER_CONTEXT_VARIABLE, name);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
