import type * as vscode from 'vscode';
import type { ContextsService } from './contexts/contextsService';
import type { EndpointSuggestions } from './contexts/endpointSuggestions';
import type { EngineInfoDocuments } from './engine/engineInfoDocuments';
import type { EngineService } from './engine/engineService';
import type { OutputChannelLogger } from './base/logging';
import type { PreviousContext } from './contexts/previousContext';
import type { RefreshManager } from './base/refreshManager';
import type { SettingsService } from './base/settings';
import type { SshService } from './sshHosts/sshService';
import type { StatusBar } from './engine/statusBar';
import type { NeighbourSettings } from './workspace/neighbours';
import type { WorkspaceContextService } from './workspace/workspaceContextService';
import type { RemoteProjectService } from './sync/remoteProjectService';

/** What commands and views need, built once in activate() and passed down (no module globals). */
export interface Services {
  readonly extensionContext: vscode.ExtensionContext;
  readonly logger: OutputChannelLogger;
  readonly settings: SettingsService;
  readonly refresh: RefreshManager;
  readonly contexts: ContextsService;
  readonly previous: PreviousContext;
  readonly endpointSuggestions: EndpointSuggestions;
  readonly statusBar: StatusBar;
  readonly ssh: SshService;
  readonly engine: EngineService;
  readonly engineInfo: EngineInfoDocuments;
  /** The context this workspace uses instead of the global one. */
  readonly workspace: WorkspaceContextService;
  /** DOCKER_CONTEXT in the container extensions' settings, with consent. */
  readonly neighbours: NeighbourSettings;
  readonly remoteProject: RemoteProjectService;
}
