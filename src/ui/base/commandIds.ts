/**
 * Every command the extension contributes, in one table. package.json must list exactly these
 * (test/unit/manifest.test.ts checks both directions), and registerCommands.ts must give each a
 * handler (the compiler checks that through the `Record<CommandId, …>` there).
 */
export const CommandIds = {
  useContext: 'remoteDocker.useContext',
  createContext: 'remoteDocker.createContext',
  removeContext: 'remoteDocker.removeContext',
  inspectContext: 'remoteDocker.inspectContext',
  openContextMeta: 'remoteDocker.openContextMeta',
  switchToPreviousContext: 'remoteDocker.switchToPreviousContext',
  refresh: 'remoteDocker.refresh',
  showLog: 'remoteDocker.showLog',
  connectToRemoteHost: 'remoteDocker.connectToRemoteHost',
  addSshHost: 'remoteDocker.addSshHost',
  openSshConfig: 'remoteDocker.openSshConfig',
  generateSshKey: 'remoteDocker.generateSshKey',
  copyPublicKey: 'remoteDocker.copyPublicKey',
  testSshConnection: 'remoteDocker.testSshConnection',
  openSshHostInConfig: 'remoteDocker.openSshHostInConfig',
  removeSshHost: 'remoteDocker.removeSshHost',
  createContextForSshHost: 'remoteDocker.createContextForSshHost',
  showEngineInfo: 'remoteDocker.showEngineInfo',
  connectEngine: 'remoteDocker.connectEngine',
  diagnoseContext: 'remoteDocker.diagnoseContext',
  useContextInWorkspace: 'remoteDocker.useContextInWorkspace',
  stopUsingContextInWorkspace: 'remoteDocker.stopUsingContextInWorkspace',
  protectContext: 'remoteDocker.protectContext',
  unprotectContext: 'remoteDocker.unprotectContext',
  syncWorkspaceFolder: 'remoteDocker.syncWorkspaceFolder',
  runComposeProject: 'remoteDocker.runComposeProject',
  composeUp: 'remoteDocker.composeUp',
  composeDown: 'remoteDocker.composeDown',
  composeLogs: 'remoteDocker.composeLogs',
  composeRestart: 'remoteDocker.composeRestart',
} as const;

/**
 * The Ports view's commands: registered by src/ui/ports/registerPorts.ts (the feature owns its
 * service), not by registerCommands.ts.
 */
export const PortsCommandIds = {
  openInBrowser: 'remoteDocker.ports.openInBrowser',
  copyLocalAddress: 'remoteDocker.ports.copyLocalAddress',
  stopForwarding: 'remoteDocker.ports.stopForwarding',
  forwardAgain: 'remoteDocker.ports.forwardAgain',
  forwardPort: 'remoteDocker.ports.forwardPort',
  refresh: 'remoteDocker.ports.refresh',
} as const;

export type CommandKey = keyof typeof CommandIds;
export type PortsCommandKey = keyof typeof PortsCommandIds;
export type CommandId = (typeof CommandIds)[CommandKey] | (typeof PortsCommandIds)[PortsCommandKey];

/** Every command the extension contributes: the registry's and the features' own tables. */
export const ALL_COMMAND_IDS: readonly CommandId[] = [...Object.values(CommandIds), ...Object.values(PortsCommandIds)];
