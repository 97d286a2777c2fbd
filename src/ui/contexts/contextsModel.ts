import type { CurrentContext, DockerContextSummary } from '../../core/contexts/contextStore';
import type { EnvOverrides } from '../../core/contexts/envOverrides';

/**
 * One consistent reading of the context store, shared by the tree, the status bar and pickers
 * (made by ContextsService).
 */
export interface ContextsSnapshot {
  configDir: string;
  configFile: string;
  contexts: DockerContextSummary[];
  /** Undefined only when the current context could not be resolved at all (see `currentError`). */
  current?: CurrentContext;
  /** Set when listing failed as a whole; `contexts` is then empty. */
  listError?: unknown;
  /** Set, with `listError`, when the store could not be read at all (an unexpected failure). */
  currentError?: unknown;
  env: EnvOverrides;
}

export function currentSummary(s: ContextsSnapshot): DockerContextSummary | undefined {
  return s.current ? s.contexts.find((c) => c.name === s.current?.name) : undefined;
}
