/**
 * The decisions of "Connect to a Remote Docker Host…", kept out of the editor so they can be
 * tested in plain Node: which alias to use (a new one, or an existing one that already points at
 * the same place), which key, which steps are already done, and the order of the writes.
 *
 * Order of writes (`planConnect`), chosen so that stopping after any step leaves nothing that
 * breaks a tool that reads these files:
 *
 * 1. `generateKey` — a new key pair in `~/.ssh`. A new file nobody refers to yet; kept if the
 *    flow stops later (the log names it), never overwritten.
 * 2. `installKey` — the first connection: the host key is shown and, only when the user trusts
 *    it, appended to known_hosts; then the key is tried alone, and only if it does not log in
 *    yet is the password asked and the key appended to the remote `authorized_keys`
 *    (ssh-copy-id semantics). Each of these is complete on its own and harmless if nothing
 *    follows.
 * 3. `writeConfig` — the `Host` block, only now that the key logs in and the host key is
 *    trusted: an alias in `~/.ssh/config` that did not work would be half a setup.
 * 4. `diagnose` — through the alias as written (so it also proves the block), docker on the
 *    remote PATH, the socket, the daemon. Writes nothing.
 * 5. `createContext` — the context points at `ssh://ALIAS`, which works by now.
 * 6. `useContext` — only when the user says so.
 */
import * as nodePath from 'node:path';
import { contextsUsingAlias, type ContextEndpoint } from './sshHostUsage';
import type { SshDestination } from '../sshConfig/sshConfigEdit';
import { isValidContextName } from '../contexts/contextStore';

/** What the flow compares about a host: its effective settings (from `resolveHost`). */
export interface HostFacts {
  alias: string;
  hostname: string;
  user: string;
  port: number;
  /** Effective IdentityFile list, absolute paths. */
  identityFiles: readonly string[];
}

export const DEFAULT_SSH_PORT = 22;

/** `user@host`, with `:port` unless 22; IPv6 addresses in brackets when a port follows. */
export function formatDestination(d: { user?: string; host: string; port?: number }): string {
  const host = d.port !== undefined && d.port !== DEFAULT_SSH_PORT && d.host.includes(':') ? `[${d.host}]` : d.host;
  const port = d.port !== undefined && d.port !== DEFAULT_SSH_PORT ? `:${d.port}` : '';
  return `${d.user !== undefined ? `${d.user}@` : ''}${host}${port}`;
}

/**
 * True when `host` reaches the same account as `dest`: same HostName (case-insensitive, as DNS
 * names are), same port (22 when not given) and same user (`defaultUser` when not given: the
 * user ssh would log in as without a `User` line).
 */
export function hostMatchesDestination(
  host: Pick<HostFacts, 'hostname' | 'user' | 'port'>,
  dest: SshDestination,
  defaultUser: string,
): boolean {
  return (
    host.hostname.toLowerCase() === dest.host.toLowerCase() &&
    host.port === (dest.port ?? DEFAULT_SSH_PORT) &&
    host.user === (dest.user ?? defaultUser)
  );
}

/** An existing alias for the same destination, to offer instead of writing a second block. */
export function findAliasFor(
  dest: SshDestination,
  hosts: readonly HostFacts[],
  defaultUser: string,
): HostFacts | undefined {
  return hosts.find((h) => hostMatchesDestination(h, dest, defaultUser));
}

export type AliasDecision =
  /** No host by that name: a block will be written. */
  | { kind: 'new'; alias: string }
  /** The alias exists and reaches the same account: use it, write nothing. */
  | { kind: 'reuse'; alias: string; host: HostFacts }
  /** The alias exists and points elsewhere: the user must choose another name. */
  | { kind: 'conflict'; alias: string; host: HostFacts };

/** `existing` is the alias's effective settings when the SSH configuration defines it (any case). */
export function decideAlias(
  alias: string,
  dest: SshDestination,
  existing: HostFacts | undefined,
  defaultUser: string,
): AliasDecision {
  if (!existing) {
    return { kind: 'new', alias };
  }
  return hostMatchesDestination(existing, dest, defaultUser)
    ? { kind: 'reuse', alias: existing.alias, host: existing }
    : { kind: 'conflict', alias: existing.alias, host: existing };
}

export type KeyChoice =
  /** A private key that exists (its `.pub` may be derived). */
  | { kind: 'existing'; path: string }
  /** A new ed25519 key to write at `path` (neither `path` nor `path.pub` exists). */
  | { kind: 'generate'; path: string };

/**
 * The key for an alias that is reused as it is (its block is not rewritten): ssh will offer the
 * first of its IdentityFiles that exists, so that is the one to install. When none exists, a new
 * key goes where ssh looks: the first IdentityFile the block names, or, when it names none (only
 * OpenSSH's defaults are listed), `id_ed25519` among the defaults. Undefined when every such
 * place holds a `.pub` without its private key (nothing may be overwritten).
 */
export function keyForReusedAlias(
  host: HostFacts,
  exists: (file: string) => boolean,
  defaultIdentityFiles: readonly string[],
): KeyChoice | undefined {
  const found = host.identityFiles.find((f) => exists(f));
  if (found) {
    return { kind: 'existing', path: found };
  }
  const defaults = new Set(defaultIdentityFiles);
  const explicit = host.identityFiles.find((f) => !defaults.has(f) && !exists(`${f}.pub`));
  if (explicit) {
    return { kind: 'generate', path: explicit };
  }
  const ed = defaultIdentityFiles.find(
    (f) => /(^|[\\/])id_ed25519$/.test(f) && host.identityFiles.includes(f) && !exists(`${f}.pub`),
  );
  if (ed) {
    return { kind: 'generate', path: ed };
  }
  // Only a stray .pub sits where ssh looks: no key can be written there without overwriting.
  return undefined;
}

/**
 * A path as people write it in ssh_config and read it in lists: `~/…` (with `/`, which ssh
 * accepts on every platform) when it is inside `home`, else unchanged.
 */
export function tildePath(
  file: string,
  home: string,
  pathModule: Pick<typeof nodePath, 'relative' | 'isAbsolute' | 'sep'> = nodePath,
): string {
  const rel = pathModule.relative(home, file);
  return rel !== '' && !rel.startsWith('..') && !pathModule.isAbsolute(rel)
    ? `~/${rel.split(pathModule.sep).join('/')}`
    : file;
}

/** True when a new key may be written at `path`: neither it nor its `.pub` exists. */
export function keyPathFree(path: string, exists: (file: string) => boolean): boolean {
  return !exists(path) && !exists(`${path}.pub`);
}

/**
 * A file name for a new key in `sshDir`: `id_ed25519` when free (ssh tries it by default), else
 * `id_ed25519_<alias>`, then `-2`, `-3`, … Never a name whose private or public file exists.
 */
export function suggestKeyFileName(alias: string, exists: (name: string) => boolean): string {
  const free = (name: string): boolean => !exists(name) && !exists(`${name}.pub`);
  if (free('id_ed25519')) {
    return 'id_ed25519';
  }
  const safeAlias = alias.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'host';
  const base = `id_ed25519_${safeAlias}`;
  let candidate = base;
  for (let n = 2; !free(candidate); n++) {
    candidate = `${base}-${n}`;
  }
  return candidate;
}

export type KeyFileNameProblem = 'empty' | 'separator' | 'dot' | 'pub' | 'reserved' | 'characters';

/**
 * Why a name typed for a new key file in `~/.ssh` cannot be used, or undefined. One plain file
 * name: no directories (the key goes into `~/.ssh`), no leading dot, not a `.pub`, not one of
 * the files ssh itself keeps there.
 */
export function keyFileNameProblem(name: string): KeyFileNameProblem | undefined {
  if (name === '') {
    return 'empty';
  }
  if (/[\\/]/.test(name)) {
    return 'separator';
  }
  if (name.startsWith('.')) {
    return 'dot';
  }
  if (name.toLowerCase().endsWith('.pub')) {
    return 'pub';
  }
  if (/^(config|known_hosts2?|authorized_keys2?|environment|rc)$/i.test(name) || /^known_hosts/i.test(name)) {
    return 'reserved';
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9._@+-]*$/.test(name)) {
    return 'characters';
  }
  return undefined;
}

/**
 * A Docker context name for an alias: the alias itself when it is a valid, unused name (aliases
 * are already made of the allowed characters), else made valid and given `-2`, `-3`, …
 */
export function suggestContextName(alias: string, taken: readonly string[]): string {
  let base = alias.replace(/[^a-zA-Z0-9_.+-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '');
  if (base.length < 2) {
    base = base === '' ? 'remote' : `${base}-docker`;
  }
  if (base === 'default') {
    base = 'default-remote';
  }
  const used = new Set(taken);
  let candidate = base;
  for (let n = 2; used.has(candidate) || !isValidContextName(candidate); n++) {
    candidate = `${base}-${n}`;
  }
  return candidate;
}

export type ConnectStepId = 'generateKey' | 'installKey' | 'writeConfig' | 'diagnose' | 'createContext' | 'useContext';

export type SkipReason =
  /** The key exists already: nothing to generate. */
  | 'keyExists'
  /** The alias exists and reaches the same account. */
  | 'aliasExists'
  /** A context already points at `ssh://ALIAS`. */
  | 'contextExists'
  /** That context is already the current one. */
  | 'alreadyCurrent';

export interface PlannedStep {
  id: ConnectStepId;
  action: 'run' | 'skip';
  skip?: SkipReason;
}

export interface ConnectPlanInput {
  alias: Exclude<AliasDecision, { kind: 'conflict' }>;
  key: KeyChoice;
  contexts: readonly ContextEndpoint[];
  /** The current context's name, if known. */
  currentContext?: string;
}

export interface ConnectPlan {
  steps: PlannedStep[];
  /** The context that already uses the alias (first in list order), when there is one. */
  existingContext?: string;
}

/**
 * The steps in the order they write (see the file comment), each `run` or `skip` with why.
 * `installKey` and `diagnose` always run: whether a key already logs in is only known by trying
 * (the install step then changes nothing), and diagnose writes nothing.
 */
export function planConnect(input: ConnectPlanInput): ConnectPlan {
  const existingContext = contextsUsingAlias(input.contexts, input.alias.alias)[0];
  const step = (id: ConnectStepId, skip: SkipReason | undefined): PlannedStep =>
    skip ? { id, action: 'skip', skip } : { id, action: 'run' };
  return {
    existingContext,
    steps: [
      step('generateKey', input.key.kind === 'existing' ? 'keyExists' : undefined),
      step('installKey', undefined),
      step('writeConfig', input.alias.kind === 'reuse' ? 'aliasExists' : undefined),
      step('diagnose', undefined),
      step('createContext', existingContext !== undefined ? 'contextExists' : undefined),
      step(
        'useContext',
        existingContext !== undefined && existingContext === input.currentContext ? 'alreadyCurrent' : undefined,
      ),
    ],
  };
}

/** Diagnose results the flow acts on (the subset of `DiagnoseStep` it needs). */
export interface DiagnoseOutcome {
  id: string;
  status: 'ok' | 'failed' | 'skipped' | 'warning';
}

/**
 * What the flow does after diagnose: `continue` when nothing failed (warnings — e.g. no docker
 * CLI on the remote PATH while the socket is reached by forwarding — are shown but do not stop
 * it); `ask` when a step failed, so the user decides whether to create the context anyway.
 */
export function afterDiagnose(steps: readonly DiagnoseOutcome[]): 'continue' | 'ask' {
  return steps.some((s) => s.status === 'failed') ? 'ask' : 'continue';
}
