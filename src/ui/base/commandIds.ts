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
  syncWorkspaceFolder: 'remoteDocker.syncWorkspaceFolder',
  runComposeProject: 'remoteDocker.runComposeProject',
  composeUp: 'remoteDocker.composeUp',
  composeDown: 'remoteDocker.composeDown',
  composeLogs: 'remoteDocker.composeLogs',
  composeRestart: 'remoteDocker.composeRestart',
} as const;

export type CommandKey = keyof typeof CommandIds;
export type CommandId = (typeof CommandIds)[CommandKey];
