import type * as vscode from 'vscode';
import type { ContextsModel } from './contextsModel';
import type { DockerStoreService } from './dockerStoreService';
import type { EndpointSuggestions } from './endpointSuggestions';
import type { EngineInfoDocuments } from './engineInfoDocuments';
import type { EngineService } from './engineService';
import type { OutputChannelLogger } from './logging';
import type { PreviousContext } from './previousContext';
import type { RefreshManager } from './refreshManager';
import type { SettingsService } from './settings';
import type { SshService } from './sshService';
import type { StatusBar } from './statusBar';

/** What commands and views need, built once in activate() and passed down (no module globals). */
export interface Services {
  readonly extensionContext: vscode.ExtensionContext;
  readonly logger: OutputChannelLogger;
  readonly settings: SettingsService;
  readonly refresh: RefreshManager;
  readonly docker: DockerStoreService;
  readonly contexts: ContextsModel;
  readonly previous: PreviousContext;
  readonly endpointSuggestions: EndpointSuggestions;
  readonly statusBar: StatusBar;
  readonly ssh: SshService;
  readonly engine: EngineService;
  readonly engineInfo: EngineInfoDocuments;
}
