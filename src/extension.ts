import * as vscode from 'vscode';
import { registerCommands } from './ui/commands/registerCommands';
import { ContextsModel } from './ui/contextsModel';
import { DockerStoreService } from './ui/dockerStoreService';
import { EndpointSuggestions } from './ui/endpointSuggestions';
import { INSPECT_SCHEME, InspectDocumentProvider } from './ui/inspectDocumentProvider';
import { OutputChannelLogger } from './ui/logging';
import { PreviousContext } from './ui/previousContext';
import { RefreshManager } from './ui/refreshManager';
import type { Services } from './ui/services';
import { SettingsService } from './ui/settings';
import { SshEndpointProvider } from './ui/sshEndpointProvider';
import { SshService } from './ui/sshService';
import { StatusBar } from './ui/statusBar';
import { ContextsView } from './ui/views/contextsView';
import { SshHostsView } from './ui/views/sshHostsView';

/** Builds the services and the UI. Reads local files only: activation does no network I/O. */
export function activate(context: vscode.ExtensionContext): void {
  const logger = new OutputChannelLogger();
  const settings = new SettingsService();
  const refresh = new RefreshManager(logger);
  const docker = new DockerStoreService(settings, refresh, logger);
  const contexts = new ContextsModel(docker, logger);
  const statusBar = new StatusBar(settings.current.statusBarEnabled);
  const ssh = new SshService(settings, refresh, logger);
  const services: Services = {
    extensionContext: context,
    logger,
    settings,
    refresh,
    docker,
    contexts,
    previous: new PreviousContext(context.globalState, contexts),
    endpointSuggestions: new EndpointSuggestions(logger),
    statusBar,
    ssh,
  };
  const inspect = new InspectDocumentProvider(docker, contexts);

  context.subscriptions.push(
    logger,
    settings,
    refresh,
    docker,
    contexts,
    statusBar,
    services.previous,
    inspect,
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, inspect),
    new ContextsView(contexts),
    ssh,
    new SshHostsView(ssh, contexts),
    refresh.register('sshHosts', async () => {
      await ssh.reload();
    }),
    services.endpointSuggestions.register(new SshEndpointProvider(services)),
    refresh.register('contexts', async () => {
      await contexts.reload();
    }),
    contexts.onDidChange((snap) => statusBar.setContexts(snap)),
    settings.onDidChange(({ current }) => statusBar.setEnabled(current.statusBarEnabled)),
    ...registerCommands(services),
  );
  logger.info(`Remote Docker Contexts ${String(context.extension.packageJSON.version)} activated`);
  void refresh.request('all', 'activation');
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
