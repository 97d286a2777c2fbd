/**
 * Every `contextValue` the views set, in one place. A context item's value is the base token
 * followed by `+flag` suffixes in this fixed order, so package.json `when` clauses can match
 * states with anchored regexes, e.g. `viewItem =~ /^context(\+default)?$/` = usable, not current.
 * test/unit/manifest.test.ts checks that every token used in package.json is listed here.
 */

export const ContextValueBase = {
  /** A Docker context (including the virtual `default`). */
  context: 'context',
  /** An informational or error row (config.json unparsable, environment override). */
  message: 'message',
} as const;

export const ContextFlag = {
  default: 'default',
  current: 'current',
  broken: 'broken',
  /** Listed only because config.json names it; there is nothing on disk to inspect or remove. */
  missing: 'missing',
  /** Its daemon did not answer the last probe (the row offers Diagnose). */
  unreachable: 'unreachable',
  /** This workspace uses it instead of the global context (the row offers Stop Using in This Workspace). */
  workspace: 'workspace',
  /** Marked protected in its meta.json (the row offers Remove Protection). */
  protected: 'protected',
} as const;

/** SSH Hosts view: a concrete `Host` of the SSH configuration, and a row reporting a problem of the configuration. */
export const SshHostValueBase = {
  sshHost: 'sshHost',
  sshProblem: 'sshProblem',
} as const;

export const SshHostFlag = {
  /** A Docker context's endpoint goes through this alias. */
  used: 'used',
  /** A single-alias block of the main file that Remove Host can delete exactly. */
  editable: 'editable',
} as const;

/** Ports view: a container, and one forwarded port of it. */
export const PortValueBase = {
  portContainer: 'portContainer',
  portForward: 'portForward',
} as const;

export const PortFlag = {
  /** Asked for by a person (Forward a Port…), not published by the daemon. */
  manual: 'manual',
  /** A local listener exists: Open in Browser and Copy Local Address apply. */
  listening: 'listening',
  /** Stopped by the person: Forward Again applies (Stop Forwarding otherwise). */
  stopped: 'stopped',
} as const;

/** All tokens a `viewItem` clause may mention. */
export const CONTEXT_VALUE_TOKENS: readonly string[] = [
  ...Object.values(ContextValueBase),
  ...Object.values(ContextFlag),
  ...Object.values(SshHostValueBase),
  ...Object.values(SshHostFlag),
  ...Object.values(PortValueBase),
  ...Object.values(PortFlag),
];

export interface ContextItemState {
  isDefault: boolean;
  current: boolean;
  broken: boolean;
  missing?: boolean;
  unreachable?: boolean;
  workspace?: boolean;
  protected?: boolean;
}

export function contextItemValue(state: ContextItemState): string {
  let v: string = ContextValueBase.context;
  if (state.isDefault) {
    v += `+${ContextFlag.default}`;
  }
  if (state.current) {
    v += `+${ContextFlag.current}`;
  }
  if (state.broken) {
    v += `+${ContextFlag.broken}`;
  }
  if (state.missing) {
    v += `+${ContextFlag.missing}`;
  }
  if (state.unreachable) {
    v += `+${ContextFlag.unreachable}`;
  }
  if (state.workspace) {
    v += `+${ContextFlag.workspace}`;
  }
  if (state.protected) {
    v += `+${ContextFlag.protected}`;
  }
  return v;
}

/** `sshHost[+used][+editable]`, e.g. Remove Host matches `/^sshHost(\+used)?\+editable$/`. */
export function sshHostItemValue(state: { used: boolean; editable: boolean }): string {
  let v: string = SshHostValueBase.sshHost;
  if (state.used) {
    v += `+${SshHostFlag.used}`;
  }
  if (state.editable) {
    v += `+${SshHostFlag.editable}`;
  }
  return v;
}

/** `portForward[+manual][+listening][+stopped]`, e.g. Forward Again matches `/^portForward(\+manual)?\+stopped$/`. */
export function portItemValue(state: { manual: boolean; listening: boolean; stopped: boolean }): string {
  let v: string = PortValueBase.portForward;
  if (state.manual) {
    v += `+${PortFlag.manual}`;
  }
  if (state.listening) {
    v += `+${PortFlag.listening}`;
  }
  if (state.stopped) {
    v += `+${PortFlag.stopped}`;
  }
  return v;
}
