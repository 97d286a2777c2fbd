import type * as vscode from 'vscode';
import { registerCommands } from './ui/registerCommands';
import { ContextsService } from './ui/contexts/contextsService';
import { EndpointSuggestions } from './ui/contexts/endpointSuggestions';
import { EngineInfoDocuments } from './ui/engine/engineInfoDocuments';
import { EngineService } from './ui/engine/engineService';
import { InspectDocumentProvider } from './ui/contexts/inspectDocumentProvider';
import { OutputChannelLogger } from './ui/base/logging';
import { PreviousContext } from './ui/contexts/previousContext';
import { RefreshManager } from './ui/base/refreshManager';
import type { Services } from './ui/services';
import { SettingsService } from './ui/base/settings';
import { SshEndpointProvider } from './ui/sshHosts/sshEndpointProvider';
import { SshService } from './ui/sshHosts/sshService';
import { StatusBar } from './ui/engine/statusBar';
import { ContextsView } from './ui/contexts/contextsView';
import { SshHostsView } from './ui/sshHosts/sshHostsView';
import { registerPorts } from './ui/ports/registerPorts';
import { NeighbourSettings } from './ui/workspace/neighbours';
import { registerWorkspaceContext } from './ui/workspace/registerWorkspaceContext';
import { WorkspaceContextService } from './ui/workspace/workspaceContextService';
import { RemoteProjectService } from './ui/sync/remoteProjectService';
import { registerCompose } from './ui/compose/registerCompose';
import { registerBuildContext } from './ui/buildContext/registerBuildContext';

/**
 * Builds the services and the UI. Reads local files only: activation does no network I/O (the
 * first engine probe starts from the refresh manager's run, after activate has returned).
 */
export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const logger = new OutputChannelLogger();
  const settings = new SettingsService();
  const refresh = new RefreshManager(logger);
  const contexts = new ContextsService(settings, refresh, logger);
  const ssh = new SshService(settings, refresh, logger);
  const workspace = new WorkspaceContextService(context, logger);
  const engine = new EngineService({ logger, settings, ssh, contexts, memory: context.globalState, workspace });
  const statusBar = new StatusBar(contexts, engine, settings, workspace);
  const services: Services = {
    extensionContext: context,
    logger,
    settings,
    refresh,
    contexts,
    previous: new PreviousContext(context.globalState, contexts),
    endpointSuggestions: new EndpointSuggestions(logger),
    statusBar,
    ssh,
    engine,
    engineInfo: new EngineInfoDocuments(),
    workspace,
    neighbours: new NeighbourSettings(context.workspaceState, logger),
    remoteProject: new RemoteProjectService(engine, context.workspaceState, logger),
  };

  context.subscriptions.push(
    // First, so it is disposed first: its SSH connections close while the log and the status bar still exist.
    engine,
    services.engineInfo,
    logger,
    settings,
    refresh,
    contexts,
    statusBar,
    services.previous,
    services.remoteProject,
    new InspectDocumentProvider(contexts),
    new ContextsView(contexts, engine, workspace),
    ssh,
    new SshHostsView(ssh, contexts),
    refresh.register('sshHosts', async () => {
      await ssh.reload();
    }),
    services.endpointSuggestions.register(new SshEndpointProvider(services)),
    refresh.register('contexts', async () => {
      await contexts.reload();
    }),
    // After the reload above (handlers of a scope run in order): a new current context is probed.
    refresh.register('contexts', (reasons) => engine.onContextsRefreshed(reasons)),
    refresh.register('engine', (reasons) => engine.onEngineRefresh(reasons)),
    ...registerCommands(services),
    ...registerPorts(services),
    workspace,
    ...registerWorkspaceContext(services),
    ...registerCompose(services),
    ...registerBuildContext(services),
  );
  logger.info(
    `Remote Docker Contexts ${String((context.extension.packageJSON as { version?: string }).version)} activated in ${(performance.now() - started).toFixed(1)} ms`,
  );
  void refresh.request('all', 'activation');
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
