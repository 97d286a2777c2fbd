import type { CurrentContext } from './contextSummary';
import type { EnvOverrides } from './envOverrides';

/**
 * A context used in one workspace only: the extension sets DOCKER_CONTEXT for the workspace's
 * terminals, so the docker CLI's own precedence decides what they use — DOCKER_HOST (set in the
 * environment VS Code started with) still forces `default`; otherwise the workspace's
 * DOCKER_CONTEXT replaces an inherited one and wins over config.json's `currentContext`. This
 * window follows the same rule.
 */

export type WindowSource = CurrentContext['source'] | 'workspace';

/** The context this window (its terminals, status bar, probes) uses. */
export interface WindowContext {
  name: string;
  source: WindowSource;
  /** What `docker` outside this workspace uses. */
  global: CurrentContext;
  /** The workspace's choice, also when DOCKER_HOST overrides it. */
  workspace?: string;
}

export function windowContext(global: CurrentContext, env: EnvOverrides, workspace: string | undefined): WindowContext {
  if (workspace !== undefined && !env.dockerHost) {
    return { name: workspace, source: 'workspace', global, workspace };
  }
  return { name: global.name, source: global.source, global, ...(workspace !== undefined ? { workspace } : {}) };
}

/** An environment setting of another extension: variable name → value (other values kept as found). */
export type EnvironmentSetting = Record<string, unknown>;

/** What was written into one such setting, so that exactly that can be taken back. */
export interface EnvironmentEdit {
  variable: string;
  value: string;
  /** The variable's value before, restored on undo. */
  previous?: string;
  /** The setting did not exist at this scope before. */
  created: boolean;
}

function asSetting(value: unknown): EnvironmentSetting | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  return { ...(value as EnvironmentSetting) };
}

/** The setting with `variable=value` merged in (every other entry kept), and the edit to undo it. */
export function mergeEnvironment(
  current: unknown,
  variable: string,
  value: string,
): { next: EnvironmentSetting; edit: EnvironmentEdit } {
  const before = asSetting(current);
  const was = before?.[variable];
  const previous = typeof was === 'string' ? was : undefined;
  return {
    next: { ...before, [variable]: value },
    edit: { variable, value, created: before === undefined, ...(previous !== undefined ? { previous } : {}) },
  };
}

/**
 * The setting with an edit taken back: the variable restored (or removed) only if it still holds
 * what was written; the setting removed (undefined) when it was created and nothing else is left.
 * `unchanged` when someone changed the variable since: theirs is kept.
 */
export function undoEnvironment(current: unknown, edit: EnvironmentEdit): EnvironmentSetting | undefined | 'unchanged' {
  const now = asSetting(current);
  if (!now || now[edit.variable] !== edit.value) {
    return 'unchanged';
  }
  const next: EnvironmentSetting = { ...now };
  if (edit.previous !== undefined) {
    next[edit.variable] = edit.previous;
  } else {
    delete next[edit.variable];
  }
  return edit.created && Object.keys(next).length === 0 ? undefined : next;
}
