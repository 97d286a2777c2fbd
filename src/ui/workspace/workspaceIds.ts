/** Keys of the extension's workspaceState for a context used in one workspace. */
export const WorkspaceStateKeys = {
  /** The context name this workspace uses, or absent. */
  context: 'remoteDocker.workspaceContext',
  /** 'yes' | 'no': the one answer to "also set it for the container extensions?". */
  neighboursConsent: 'remoteDocker.workspaceContext.neighboursConsent',
  /** The exact edits made to neighbours' settings, so Stop takes back only those. */
  neighbourEdits: 'remoteDocker.workspaceContext.neighbourEdits',
} as const;

/** The variable the docker CLI reads to pick a context, for this workspace's terminals. */
export const DOCKER_CONTEXT_VARIABLE = 'DOCKER_CONTEXT';
