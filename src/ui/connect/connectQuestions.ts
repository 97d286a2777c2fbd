import * as vscode from 'vscode';
import {
  decideAlias,
  findAliasFor,
  formatDestination,
  planConnect,
  suggestContextName,
  type HostFacts,
  type KeyChoice,
} from '../../core/connect/connectPlan';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import {
  parseSshDestination,
  suggestAlias,
  validateAlias,
  type SshDestination,
} from '../../core/sshConfig/sshConfigEdit';
import { BACK, inputStep, pickStep, type Back } from '../base/prompts';
import { contextNameProblem, sshContextDescription } from '../flows/contextSteps';
import { aliasProblem, destinationProblem } from '../flows/sshHostSteps';
import type { Services } from '../services';
import type { SshHostEntry, SshHostsSnapshot } from '../sshHosts/sshService';
import type { ConnectArgs } from './connectArgs';
import { facts, knownFacts, TOTAL_STEPS } from './connectFacts';
import { keyStep, type ChosenAlias } from './connectKeyStep';

/** Everything the flow needs before it writes anything. */
export interface Answers {
  dest: SshDestination;
  alias: ChosenAlias;
  /** Effective settings of a reused alias (ssh -G). */
  reusedHost?: EffectiveHost;
  key: KeyChoice;
  /** For a key to generate; empty = none. */
  newKeyPassphrase: string;
  contextName?: string;
  description?: string;
}

/** What the questions read (fixed for the whole run). */
interface Ctx {
  s: Services;
  title: string;
  args: ConnectArgs;
  snap: SshHostsSnapshot;
  contexts: DockerContextSummary[];
  hosts: HostFacts[];
  localUser: string;
}

/** The answers so far; a step fills its part and says which step comes next. */
interface Draft {
  destText?: string;
  dest?: SshDestination;
  aliasText?: string;
  alias?: ChosenAlias;
  reusedHost?: EffectiveHost;
  key?: KeyChoice;
  passphrase: string;
  contextName?: string;
  description?: string;
  /** A prefilled value is used as it is (no step shown) the first time; Back shows the step. */
  prefilled: { alias: boolean; key: boolean; contextName: boolean; description: boolean };
}

type Step = (c: Ctx, d: Draft, step: number) => Promise<number>;

const STEPS: readonly Step[] = [destinationStep, aliasStep, keyChoiceStep, contextNameStep, descriptionStep];

/** Asks the five questions (Back goes to the previous one); prefilled ones are skipped the first time. */
export async function ask(s: Services, title: string, args: ConnectArgs): Promise<Answers> {
  const snap = await s.ssh.snapshot;
  const c: Ctx = {
    s,
    title,
    args,
    snap,
    contexts: (await s.contexts.snapshot).contexts,
    hosts: knownFacts(snap.hosts),
    localUser: s.ssh.localUser(),
  };
  const d: Draft = {
    destText: args.destination,
    dest:
      args.destination && destinationProblem(args.destination) === undefined
        ? parseSshDestination(args.destination)
        : undefined,
    aliasText: args.alias,
    passphrase: '',
    contextName: args.contextName,
    description: args.description,
    prefilled: {
      alias: args.alias !== undefined,
      key: args.keyPath !== undefined,
      contextName: args.contextName !== undefined,
      description: args.description !== undefined,
    },
  };
  // An alias alone (from the SSH Hosts view, or a script) names an existing host.
  if (!d.dest && d.aliasText) {
    const entry = findHost(snap, d.aliasText);
    if (entry?.effective) {
      d.dest = { user: entry.effective.user, host: entry.effective.hostname, port: entry.effective.port };
      d.destText = formatDestination(d.dest);
    }
  }
  let step = d.dest ? 2 : 1;
  while (step <= TOTAL_STEPS) {
    step = await STEPS[step - 1](c, d, step);
  }
  return {
    dest: d.dest as SshDestination,
    alias: d.alias as ChosenAlias,
    reusedHost: d.reusedHost,
    key: d.key as KeyChoice,
    newKeyPassphrase: d.passphrase,
    contextName: d.contextName,
    description: d.description,
  };
}

function findHost(snap: SshHostsSnapshot, alias: string): SshHostEntry | undefined {
  return snap.hosts.find((h) => h.host.alias.toLowerCase() === alias.toLowerCase());
}

/** Step 1: a typed destination, or a host of the configuration (picked, or typed by its alias). */
async function destinationStep(c: Ctx, d: Draft, step: number): Promise<number> {
  const r = await askDestination(c.title, d.destText, c.snap.hosts);
  if (r === BACK) {
    return step;
  }
  // Typing an alias of the configuration (no user, no port) means that host, not a DNS name.
  const typedAlias = typeof r === 'string' && !/[@:\s]/.test(r) ? findHost(c.snap, r) : undefined;
  if (typeof r === 'string' && !typedAlias) {
    d.destText = r;
    d.dest = parseSshDestination(r);
    d.aliasText = undefined;
  } else {
    const entry = typedAlias ?? (r as SshHostEntry);
    d.dest = {
      user: entry.effective?.user,
      host: entry.effective?.hostname ?? entry.host.alias,
      port: entry.effective?.port,
    };
    d.destText = formatDestination(d.dest);
    d.aliasText = entry.host.alias;
    d.prefilled.alias = true;
  }
  return step + 1;
}

/** Step 2: a new alias, or an existing one that reaches the same account (reused as it is, confirmed by ssh -G). */
async function aliasStep(c: Ctx, d: Draft, step: number): Promise<number> {
  const dest = d.dest as SshDestination;
  let value =
    d.aliasText ??
    findAliasFor(dest, c.hosts, c.localUser)?.alias ??
    suggestAlias(
      dest,
      c.snap.hosts.map((h) => h.host.alias),
    );
  if (!d.prefilled.alias) {
    const r = await inputStep({
      title: c.title,
      step,
      totalSteps: TOTAL_STEPS,
      prompt: vscode.l10n.t(
        'Alias for {0}: the name for "ssh ALIAS" and the Docker endpoint ssh://ALIAS',
        formatDestination(dest),
      ),
      value,
      validate: (v) => aliasStepProblem(v, dest, c.hosts, c.localUser),
    });
    if (r === BACK) {
      return step - 1;
    }
    value = r.trim();
  }
  d.prefilled.alias = false;
  const existing = findHost(c.snap, value);
  const resolved = existing ? await c.s.ssh.resolve(existing.host.alias) : undefined;
  const decision = decideAlias(
    value,
    dest,
    resolved ? { ...facts(resolved), alias: existing?.host.alias ?? value } : undefined,
    c.localUser,
  );
  if (decision.kind === 'conflict') {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'The SSH host "{0}" already points to {1}. Choose another alias.',
        decision.alias,
        formatDestination({ user: decision.host.user, host: decision.host.hostname, port: decision.host.port }),
      ),
    );
    d.aliasText = undefined;
    return step;
  }
  if (decision.kind === 'new') {
    validateAlias(value); // the input box checked it; a prefilled value is checked here
  }
  d.alias = decision;
  d.reusedHost = decision.kind === 'reuse' ? resolved : undefined;
  d.aliasText = decision.alias;
  if (decision.kind === 'reuse') {
    c.s.logger.info(`"${decision.alias}" already reaches ${formatDestination(dest)}; it is reused as it is`);
  }
  return step + 1;
}

/** Step 3: the key (see keyStep). */
async function keyChoiceStep(c: Ctx, d: Draft, step: number): Promise<number> {
  const r = await keyStep(
    c.s,
    c.title,
    d.alias as ChosenAlias,
    d.reusedHost,
    d.prefilled.key ? c.args.keyPath : undefined,
  );
  d.prefilled.key = false;
  if (r === BACK) {
    return step - 1;
  }
  if (r === 'changeAlias') {
    d.aliasText = undefined;
    return 2;
  }
  d.key = r.key;
  d.passphrase = r.passphrase;
  return step + 1;
}

/** Step 4: the new context's name; skipped (with the description) when a context already uses the alias. */
async function contextNameStep(c: Ctx, d: Draft, step: number): Promise<number> {
  const alias = d.alias as ChosenAlias;
  const existing = planConnect({ alias, key: d.key as KeyChoice, contexts: c.contexts }).existingContext;
  if (existing !== undefined) {
    c.s.logger.info(`Docker context ${existing} already uses ssh://${alias.alias}; no new context will be created`);
    return TOTAL_STEPS + 1;
  }
  const taken = c.contexts.map((x) => x.name);
  const takenNames = new Set(taken);
  if (!(d.prefilled.contextName && contextNameProblem(d.contextName ?? '', takenNames) === undefined)) {
    const r = await inputStep({
      title: c.title,
      step,
      totalSteps: TOTAL_STEPS,
      prompt: vscode.l10n.t('Name of the new Docker context (as in "docker context create NAME")'),
      value: d.contextName ?? suggestContextName(alias.alias, taken),
      validate: (v) => contextNameProblem(v, takenNames),
    });
    if (r === BACK) {
      return step - 1;
    }
    d.contextName = r;
  }
  d.prefilled.contextName = false;
  return step + 1;
}

/** Step 5: the description, suggested from where the alias leads. */
async function descriptionStep(c: Ctx, d: Draft, step: number): Promise<number> {
  const dest = d.dest as SshDestination;
  const h = d.reusedHost;
  const suggested = sshContextDescription(
    h?.user ?? dest.user ?? c.localUser,
    h?.hostname ?? dest.host,
    h?.port ?? dest.port ?? 22,
  );
  if (!d.prefilled.description) {
    const r = await inputStep({
      title: c.title,
      step,
      totalSteps: TOTAL_STEPS,
      prompt: vscode.l10n.t('Description of the Docker context (optional)'),
      value: d.description ?? suggested,
    });
    if (r === BACK) {
      return step - 1;
    }
    d.description = r.trim();
  }
  d.prefilled.description = false;
  return step + 1;
}

interface HostPickItem extends vscode.QuickPickItem {
  entry?: SshHostEntry;
}

/** A typed destination, or an existing host (only offered when the configuration lists some). */
async function askDestination(
  title: string,
  value: string | undefined,
  hosts: readonly SshHostEntry[],
): Promise<string | SshHostEntry | Back> {
  if (hosts.length > 0 && value === undefined) {
    const typeIt: HostPickItem = {
      label: vscode.l10n.t('Enter a new destination (user@host:port)…'),
      iconPath: new vscode.ThemeIcon('edit'),
      alwaysShow: true,
    };
    const items: HostPickItem[] = [
      typeIt,
      { label: vscode.l10n.t('SSH hosts'), kind: vscode.QuickPickItemKind.Separator },
      ...hosts.map((entry) => ({
        label: entry.host.alias,
        description: entry.effective
          ? `${entry.effective.user}@${entry.effective.hostname}:${entry.effective.port}`
          : undefined,
        iconPath: new vscode.ThemeIcon('vm'),
        entry,
      })),
    ];
    const picked = await pickStep({
      title,
      step: 1,
      totalSteps: TOTAL_STEPS,
      placeholder: vscode.l10n.t('Which machine runs the Docker daemon?'),
      items,
    });
    if (picked === BACK) {
      return BACK;
    }
    if (picked.entry) {
      return picked.entry;
    }
  }
  const typed = await inputStep({
    title,
    step: 1,
    totalSteps: TOTAL_STEPS,
    prompt: vscode.l10n.t(
      'SSH destination of the Docker host: user@host or user@host:port (a pasted "ssh -p 2222 user@host" works too)',
    ),
    placeholder: vscode.l10n.t('for example: ubuntu@192.0.2.10'),
    value,
    validate: destinationProblem,
  });
  return typed === BACK ? BACK : typed.trim();
}

/** The alias box accepts a new alias, or an existing one that reaches the same account (reused). */
function aliasStepProblem(
  value: string,
  dest: SshDestination,
  hosts: readonly HostFacts[],
  localUser: string,
): string | undefined {
  const v = value.trim();
  const existing = hosts.find((h) => h.alias.toLowerCase() === v.toLowerCase());
  if (existing) {
    const d = decideAlias(v, dest, existing, localUser);
    return d.kind === 'conflict'
      ? vscode.l10n.t(
          '"{0}" already points to {1}. Choose another alias.',
          existing.alias,
          formatDestination({ user: existing.user, host: existing.hostname, port: existing.port }),
        )
      : undefined;
  }
  return aliasProblem(v, []); // an existing alias was handled above
}
