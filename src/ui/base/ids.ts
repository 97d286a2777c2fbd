/**
 * The identifiers the extension shares with package.json and VS Code, other than command ids
 * (commandIds.ts) and tree item context values (contextValues.ts): every feature imports them
 * from here, so none has to import another feature for a name. test/unit/manifest.test.ts checks
 * them against package.json.
 */

/** The `remoteDocker.*` settings. */
export const SETTINGS_SECTION = 'remoteDocker';

/** Views contributed in package.json. */
export const ViewIds = {
  contexts: 'remoteDocker.contexts',
  sshHosts: 'remoteDocker.sshHosts',
  ports: 'remoteDocker.ports',
} as const;

/** Keys set with `setContext`, read by `when` clauses in package.json. */
export const WhenKeys = {
  /** The context store cannot be listed (the Contexts view's welcome content says so). */
  contextsLoadFailed: 'remoteDocker.contextsLoadFailed',
  /** What the Ports view's welcome content explains: `none` (not ssh://), `ssh` (nothing published yet), `sshManual` (auto-forward off). */
  portsSubject: 'remoteDocker.portsSubject',
} as const;

/** URI schemes of the read-only documents the extension provides. */
export const Schemes = {
  /** What `docker context inspect NAME` prints. */
  inspectContext: 'remote-docker-context',
  /** What the remote engine reports (`/version`, `/info`). */
  engineInfo: 'remote-docker-engine',
} as const;

/** The status bar item's stable id (users hide or move it by this id; e2e tests find it by it). */
export const STATUS_BAR_ITEM_ID = 'remoteDocker.status';

/** Keys in the extension's globalState. */
export const StateKeys = {
  previousContext: 'remoteDocker.previousContext',
} as const;
