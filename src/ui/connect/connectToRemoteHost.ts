import * as vscode from 'vscode';
import {
  afterDiagnose,
  decideAlias,
  findAliasFor,
  formatDestination,
  keyForReusedAlias,
  planConnect,
  suggestContextName,
  type AliasDecision,
  type ConnectPlan,
  type HostFacts,
  type KeyChoice,
} from '../../core/connect/connectPlan';
import { CoreError, isCancelled } from '../../core/common/errors';
import type { DiagnoseStep } from '../../core/diagnose/diagnose';
import { defaultIdentityFiles, generateKey } from '../../core/ssh/keys';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import {
  addSshHost,
  parseSshDestination,
  suggestAlias,
  validateAlias,
  type SshDestination,
} from '../../core/sshConfig/sshConfigEdit';
import { sshEndpointForAlias } from '../../core/connect/sshHostUsage';
import { errorSentence } from '../base/errorMessages';
import { BACK, inputStep, pickOne, pickStep, type Back } from '../base/prompts';
import type { Services } from '../services';
import { chooseAfterDiagnose } from '../sshHosts/sshDiagnoseReport';
import {
  askNewKey,
  fileExists,
  generateKeyItem,
  keyItems,
  localKeys,
  tildePath,
  type KeyItem,
} from '../sshHosts/sshPickers';
import { withSshProgress, type ProgressStep } from '../base/progress';
import type { SshHostEntry } from '../sshHosts/sshService';
import { UserCancelledError } from '../base/userCancelledError';
import { aliasFromArg } from '../sshHosts/sshHostNodes';
import { aliasProblem, destinationProblem } from '../sshHosts/addSshHost';
import { contextNameProblem } from '../contexts/createContext';
import { installKey } from '../sshHosts/copyPublicKey';
import { sshContextDescription } from '../sshHosts/createContextForSshHost';
import { diagnoseResolved } from '../sshHosts/testSshConnection';
import { switchToContext } from '../contexts/useContext';

/**
 * Values that prefill (and so skip) steps, for scripted use and tests: `executeCommand(
 * 'remoteDocker.connectToRemoteHost', { destination: 'ubuntu@192.0.2.10:2222', alias: 'build' })`.
 * The password, passphrases and the host-key question are always asked.
 */
export interface ConnectArgs {
  /** `user@host[:port]` or a pasted `ssh -p 2222 user@host`. */
  destination?: string;
  alias?: string;
  /** An existing private key to install, or where to generate a new one. */
  keyPath?: string;
  contextName?: string;
  description?: string;
  /** true: switch without asking; false: do not switch; absent: ask. */
  useNow?: boolean;
}

function asConnectArgs(arg: unknown): ConnectArgs {
  if (typeof arg !== 'object' || arg === null) {
    return {};
  }
  const fromNode = aliasFromArg(arg);
  if ((arg as { kind?: unknown }).kind !== undefined) {
    return fromNode ? { alias: fromNode } : {};
  }
  const a = arg as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  return {
    destination: str(a.destination),
    alias: str(a.alias),
    keyPath: str(a.keyPath),
    contextName: str(a.contextName),
    description: typeof a.description === 'string' ? a.description : undefined,
    useNow: typeof a.useNow === 'boolean' ? a.useNow : undefined,
  };
}

const TOTAL_STEPS = 5;

/** Everything the flow needs before it writes anything. */
interface Answers {
  dest: SshDestination;
  alias: Exclude<AliasDecision, { kind: 'conflict' }>;
  /** Effective settings of a reused alias (ssh -G). */
  reusedHost?: EffectiveHost;
  key: KeyChoice;
  /** For a key to generate; empty = none. */
  newKeyPassphrase: string;
  contextName?: string;
  description?: string;
}

function facts(e: EffectiveHost): HostFacts {
  return { alias: e.alias, hostname: e.hostname, user: e.user, port: e.port, identityFiles: e.identityFiles };
}

/** Hosts of the snapshot with the builtin resolver's values (cheap; ssh -G confirms the chosen one). */
function knownFacts(hosts: readonly SshHostEntry[]): HostFacts[] {
  return hosts.flatMap((h) => (h.effective ? [{ ...facts(h.effective), alias: h.host.alias }] : []));
}

/**
 * "Connect to a Remote Docker Host…": the whole setup in one guided command. The questions come
 * first (destination, alias, key, context name and description); then, in one cancellable
 * progress notification, the writes in the order of `planConnect` (key, key install with the
 * host-key question and the password, config block, diagnose); then the context and the offer
 * to switch. Steps already done are detected and skipped.
 */
export async function connectToRemoteHost(s: Services, arg?: unknown): Promise<void> {
  const title = vscode.l10n.t('Connect to a Remote Docker Host');
  const args = asConnectArgs(arg);
  const answers = await ask(s, title, args);
  const contexts = await s.contexts.snapshot;
  const plan = planConnect({
    alias: answers.alias,
    key: answers.key,
    contexts: contexts.contexts,
    currentContext: contexts.current?.name,
  });
  const alias = answers.alias.alias;
  s.logger.info(
    `Connect to a Remote Docker Host: ${formatDestination(answers.dest)} as "${alias}"; plan: ${plan.steps.map((st) => (st.action === 'skip' ? `${st.id} (skip: ${st.skip})` : st.id)).join(', ')}`,
  );

  const state: FlowState = {};
  let steps: DiagnoseStep[];
  try {
    steps = await withSshProgress(title, (p) => runWrites(s, answers, plan, state, p));
  } catch (e) {
    reportStop(s, alias, state, e);
    if (CoreError.is(e, 'hostKeyRejected')) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'The host key of {0} was not trusted, so nothing was written to the SSH configuration.',
          formatDestination(answers.dest),
        ),
      );
      throw new UserCancelledError(title);
    }
    throw e;
  }

  if (afterDiagnose(steps) === 'ask') {
    const createAnyway = vscode.l10n.t('Create the Context Anyway');
    const stop = vscode.l10n.t('Stop Here');
    let choice: string;
    try {
      choice = await chooseAfterDiagnose(steps, {
        title: vscode.l10n.t('Docker on {0} does not work yet', alias),
        actions: [createAnyway, stop],
      });
    } catch (e) {
      reportStop(s, alias, state, e);
      throw e;
    }
    if (choice !== createAnyway) {
      reportStop(s, alias, state, new UserCancelledError('diagnose'));
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'SSH to "{0}" is set up; no Docker context was created. Fix the problems shown, then run "Test SSH Connection" or this command again.',
          alias,
        ),
      );
      return;
    }
  } else if (steps.some((st) => st.status === 'warning')) {
    const cli = steps.find((st) => st.id === 'dockerCli' && st.status === 'warning');
    void vscode.window.showWarningMessage(
      cli
        ? vscode.l10n.t(
            'There is no docker command on the PATH of {0}: this extension reaches the daemon, but the docker CLI on this machine cannot use the context until docker is installed there.',
            alias,
          )
        : vscode.l10n.t('Docker on {0} works, with warnings; "Test SSH Connection" shows them.', alias),
    );
  }

  let contextName = plan.existingContext;
  if (plan.existingContext === undefined) {
    // Normally asked; only if a context that used the alias vanished since then is a name made up here.
    contextName =
      answers.contextName ??
      suggestContextName(
        alias,
        (await s.contexts.snapshot).contexts.map((c) => c.name),
      );
    s.logger.info(`Creating Docker context ${contextName} → ${sshEndpointForAlias(alias)}`);
    await s.docker.store.create({
      name: contextName,
      endpoint: sshEndpointForAlias(alias),
      description: answers.description || undefined,
    });
    state.contextCreated = contextName;
    await s.refresh.request(['contexts', 'sshHosts'], 'afterChange');
  } else {
    s.logger.info(
      `Docker context ${plan.existingContext} already uses ${sshEndpointForAlias(alias)}; not creating another`,
    );
  }
  s.logger.info(`Connect to a Remote Docker Host: "${alias}" is ready (context ${contextName})`);
  await offerUse(s, contextName as string, plan, args.useNow);
}

async function offerUse(s: Services, name: string, plan: ConnectPlan, useNow: boolean | undefined): Promise<void> {
  if (plan.steps.find((st) => st.id === 'useContext')?.skip === 'alreadyCurrent') {
    void vscode.window.showInformationMessage(vscode.l10n.t('Docker context "{0}" is ready and already in use.', name));
    return;
  }
  if (useNow === false) {
    return;
  }
  if (useNow === undefined) {
    const use = { label: vscode.l10n.t('Use now'), description: vscode.l10n.t('docker context use {0}', name) };
    const notNow = { label: vscode.l10n.t('Not now') };
    try {
      const choice = await pickOne({
        title: vscode.l10n.t('Docker context "{0}" is ready', name),
        placeholder: vscode.l10n.t('Switch to it now?'),
        items: [use, notNow],
      });
      if (choice !== use) {
        return;
      }
    } catch (e) {
      if (e instanceof UserCancelledError) {
        return; // dismissing means "not now"; the context exists either way
      }
      throw e;
    }
  }
  await switchToContext(s, name);
}

// ---------------------------------------------------------------------------------------------
// The writes

interface FlowState {
  generatedKey?: string;
  keyInstalled?: 'already' | 'installed';
  configWritten?: string;
  contextCreated?: string;
}

async function runWrites(
  s: Services,
  a: Answers,
  plan: ConnectPlan,
  state: FlowState,
  p: ProgressStep,
): Promise<DiagnoseStep[]> {
  const alias = a.alias.alias;
  const run = (id: string): boolean => plan.steps.find((st) => st.id === id)?.action === 'run';

  // 1. The key: a new file nobody refers to yet.
  const keyPath = a.key.path;
  if (run('generateKey')) {
    p.report(vscode.l10n.t('Generating the key {0}…', tildePath(keyPath, s.ssh.home)));
    const key = await generateKey({ privateKeyPath: keyPath, passphrase: a.newKeyPassphrase || undefined });
    state.generatedKey = key.privateKeyPath;
    if (a.newKeyPassphrase) {
      s.ssh.passphrases.set(key.privateKeyPath, a.newKeyPassphrase);
    }
    s.logger.info(`Generated ${key.privateKeyPath} (${key.fingerprint})`);
  } else {
    s.logger.info(`Using the existing key ${keyPath}`);
  }

  // 2. The first connection: host key (asked, never silently accepted), then the key alone,
  //    then, only if needed, the password once to append the key.
  const host = a.reusedHost ?? (await plannedHost(s, a, keyPath, p.signal));
  p.report(
    vscode.l10n.t('Connecting to {0}…', formatDestination({ user: host.user, host: host.hostname, port: host.port })),
  );
  const installed = await installKey(s, host, keyPath, p);
  state.keyInstalled = installed.status === 'alreadyInstalled' ? 'already' : 'installed';

  // 3. The Host block, now that the key logs in and the host key is trusted.
  if (run('writeConfig')) {
    p.report(vscode.l10n.t('Adding "Host {0}" to {1}…', alias, tildePath(s.ssh.configFile, s.ssh.home)));
    const { line } = await addSshHost(
      s.ssh.configFile,
      {
        alias,
        hostName: a.dest.host,
        user: a.dest.user,
        port: a.dest.port,
        identityFile: tildePath(keyPath, s.ssh.home),
      },
      { home: s.ssh.home },
    );
    state.configWritten = `${s.ssh.configFile}:${line}`;
    s.logger.info(`Added Host ${alias} to ${s.ssh.configFile} line ${line}`);
    await s.refresh.request('sshHosts', 'afterChange');
  } else {
    s.logger.info(
      `The SSH configuration already has "${alias}" for ${formatDestination(a.dest)}; not writing it again`,
    );
  }

  // 4. Diagnose through the alias as ssh now reads it (this also proves the block).
  p.report(vscode.l10n.t('Checking Docker on {0}…', alias));
  const resolved = await s.ssh.resolve(alias, p.signal);
  return diagnoseResolved(s, resolved, p);
}

/**
 * The host as ssh will see it once the block is written: what the configuration gives the new
 * alias today (defaults, `Host *`), with the values the block will set on top (the block goes
 * before any section that could apply, so its values win).
 */
async function plannedHost(s: Services, a: Answers, keyPath: string, signal: AbortSignal): Promise<EffectiveHost> {
  const base = await s.ssh.resolve(a.alias.alias, signal);
  return {
    ...base,
    hostname: a.dest.host,
    user: a.dest.user ?? base.user,
    port: a.dest.port ?? base.port,
    identityFiles: [keyPath],
    identitiesOnly: true,
  };
}

/** The log says exactly what a stopped flow left behind, so nothing is a surprise later. */
function reportStop(s: Services, alias: string, state: FlowState, e: unknown): void {
  const cancelled = isCancelled(e) || e instanceof UserCancelledError || CoreError.is(e, 'hostKeyRejected');
  const kept: string[] = [];
  if (state.generatedKey) {
    kept.push(`the new key ${state.generatedKey} (and .pub), kept`);
  }
  if (state.keyInstalled === 'installed') {
    kept.push(`the public key in authorized_keys on the host`);
  }
  if (state.configWritten) {
    kept.push(`Host ${alias} at ${state.configWritten}`);
  }
  if (state.contextCreated) {
    kept.push(`Docker context ${state.contextCreated}`);
  }
  s.logger.info(
    `Connect to a Remote Docker Host: ${cancelled ? 'stopped' : `failed (${errorSentence(e)})`} for "${alias}". ` +
      (kept.length ? `Written so far: ${kept.join('; ')}.` : 'Nothing was written.'),
  );
}

// ---------------------------------------------------------------------------------------------
// The questions

async function ask(s: Services, title: string, args: ConnectArgs): Promise<Answers> {
  const snap = await s.ssh.snapshot;
  const contexts = (await s.contexts.snapshot).contexts;
  const taken = snap.hosts.map((h) => h.host.alias);
  const hosts = knownFacts(snap.hosts);
  const localUser = s.ssh.localUser();

  let destText = args.destination;
  let dest: SshDestination | undefined =
    destText && destinationProblem(destText) === undefined ? parseSshDestination(destText) : undefined;
  let aliasText = args.alias;
  let alias: Answers['alias'] | undefined;
  let reusedHost: EffectiveHost | undefined;
  let key: KeyChoice | undefined;
  let passphrase = '';
  let contextName = args.contextName;
  let description = args.description;
  // A prefilled value is used as it is (no step shown) the first time; Back shows the step.
  const prefilled = {
    alias: args.alias !== undefined,
    key: args.keyPath !== undefined,
    contextName: args.contextName !== undefined,
    description: args.description !== undefined,
  };

  // An alias alone (from the SSH Hosts view, or a script) names an existing host.
  if (!dest && aliasText) {
    const entry = snap.hosts.find((h) => h.host.alias.toLowerCase() === aliasText?.toLowerCase());
    if (entry?.effective) {
      dest = { user: entry.effective.user, host: entry.effective.hostname, port: entry.effective.port };
      destText = formatDestination(dest);
    }
  }

  let step = dest ? 2 : 1;
  while (step <= TOTAL_STEPS) {
    if (step === 1) {
      const r = await destinationStep(title, destText, snap.hosts);
      if (r === BACK) {
        continue;
      }
      // Typing an alias of the configuration (no user, no port) means that host, not a DNS name.
      const typedAlias =
        typeof r === 'string' && !/[@:\s]/.test(r)
          ? snap.hosts.find((h) => h.host.alias.toLowerCase() === r.toLowerCase())
          : undefined;
      if (typeof r === 'string' && !typedAlias) {
        destText = r;
        dest = parseSshDestination(r);
        aliasText = undefined;
      } else {
        const entry = typedAlias ?? (r as SshHostEntry);
        dest = {
          user: entry.effective?.user,
          host: entry.effective?.hostname ?? entry.host.alias,
          port: entry.effective?.port,
        };
        destText = formatDestination(dest);
        aliasText = entry.host.alias;
        prefilled.alias = true;
      }
      step++;
    } else if (step === 2) {
      const d = dest as SshDestination;
      let value = aliasText ?? findAliasFor(d, hosts, localUser)?.alias ?? suggestAlias(d, taken);
      if (!prefilled.alias) {
        const r = await inputStep({
          title,
          step,
          totalSteps: TOTAL_STEPS,
          prompt: vscode.l10n.t(
            'Alias for {0}: the name for "ssh ALIAS" and the Docker endpoint ssh://ALIAS',
            formatDestination(d),
          ),
          value,
          validate: (v) => aliasStepProblem(v, d, hosts, localUser),
        });
        if (r === BACK) {
          step--;
          continue;
        }
        value = r.trim();
      }
      prefilled.alias = false;
      // Confirm with ssh -G what the builtin values suggested.
      const existing = snap.hosts.find((h) => h.host.alias.toLowerCase() === value.toLowerCase());
      const resolved = existing ? await s.ssh.resolve(existing.host.alias) : undefined;
      const decision = decideAlias(
        value,
        d,
        resolved ? { ...facts(resolved), alias: existing?.host.alias ?? value } : undefined,
        localUser,
      );
      if (decision.kind === 'conflict') {
        void vscode.window.showWarningMessage(
          vscode.l10n.t(
            'The SSH host "{0}" already points to {1}. Choose another alias.',
            decision.alias,
            formatDestination({ user: decision.host.user, host: decision.host.hostname, port: decision.host.port }),
          ),
        );
        aliasText = undefined;
        continue;
      }
      if (decision.kind === 'new') {
        validateAlias(value); // the input box checked it; a prefilled value is checked here
      }
      alias = decision;
      reusedHost = decision.kind === 'reuse' ? resolved : undefined;
      aliasText = decision.alias;
      if (decision.kind === 'reuse') {
        s.logger.info(`"${decision.alias}" already reaches ${formatDestination(d)}; it is reused as it is`);
      }
      step++;
    } else if (step === 3) {
      const r = await keyStep(
        s,
        title,
        alias as Answers['alias'],
        reusedHost,
        prefilled.key ? args.keyPath : undefined,
      );
      prefilled.key = false;
      if (r === BACK) {
        step--;
        continue;
      }
      if (r === 'changeAlias') {
        aliasText = undefined;
        step = 2;
        continue;
      }
      key = r.key;
      passphrase = r.passphrase;
      step++;
    } else if (step === 4) {
      const existing = planConnect({
        alias: alias as Answers['alias'],
        key: key as KeyChoice,
        contexts,
      }).existingContext;
      if (existing !== undefined) {
        s.logger.info(`Docker context ${existing} already uses ssh://${alias?.alias}; no new context will be created`);
        step = TOTAL_STEPS + 1;
        continue;
      }
      const taken2 = contexts.map((c) => c.name);
      const takenNames = new Set(taken2);
      if (!(prefilled.contextName && contextNameProblem(contextName ?? '', takenNames) === undefined)) {
        const r = await inputStep({
          title,
          step,
          totalSteps: TOTAL_STEPS,
          prompt: vscode.l10n.t('Name of the new Docker context (as in "docker context create NAME")'),
          value: contextName ?? suggestContextName(alias?.alias ?? '', taken2),
          validate: (v) => contextNameProblem(v, takenNames),
        });
        if (r === BACK) {
          step--;
          continue;
        }
        contextName = r;
      }
      prefilled.contextName = false;
      step++;
    } else {
      const d = dest as SshDestination;
      const h = reusedHost;
      const suggested = sshContextDescription(
        h?.user ?? d.user ?? localUser,
        h?.hostname ?? d.host,
        h?.port ?? d.port ?? 22,
      );
      if (!prefilled.description) {
        const r = await inputStep({
          title,
          step,
          totalSteps: TOTAL_STEPS,
          prompt: vscode.l10n.t('Description of the Docker context (optional)'),
          value: description ?? suggested,
        });
        if (r === BACK) {
          step--;
          continue;
        }
        description = r.trim();
      }
      prefilled.description = false;
      step++;
    }
  }
  return {
    dest: dest as SshDestination,
    alias: alias as Answers['alias'],
    reusedHost,
    key: key as KeyChoice,
    newKeyPassphrase: passphrase,
    contextName,
    description,
  };
}

interface HostPickItem extends vscode.QuickPickItem {
  entry?: SshHostEntry;
}

/** A typed destination, or an existing host (only offered when the configuration lists some). */
async function destinationStep(
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

/**
 * The key: for a reused alias, the one its block makes ssh offer (or a new one where the block
 * points); for a new alias, an existing key or a new one. A prefilled path is used as it is
 * (generated there when missing).
 */
async function keyStep(
  s: Services,
  title: string,
  alias: Answers['alias'],
  reusedHost: EffectiveHost | undefined,
  prefilledPath: string | undefined,
): Promise<{ key: KeyChoice; passphrase: string } | Back | 'changeAlias'> {
  const withPassphrase = async (
    key: KeyChoice,
    alias: string,
  ): Promise<{ key: KeyChoice; passphrase: string } | Back> => {
    if (key.kind === 'existing') {
      return { key, passphrase: '' };
    }
    const r = await askNewKey(s, { title, step: 3, totalSteps: TOTAL_STEPS, alias, privateKeyPath: key.path });
    return r === BACK ? BACK : { key: { kind: 'generate', path: r.privateKeyPath }, passphrase: r.passphrase };
  };

  if (alias.kind === 'reuse' && reusedHost) {
    const names = await Promise.all(
      [...reusedHost.identityFiles, ...reusedHost.identityFiles.map((f) => `${f}.pub`)].map(
        async (f) => [f, await fileExists(f)] as const,
      ),
    );
    const present = new Set(names.filter(([, ok]) => ok).map(([f]) => f));
    const choice = keyForReusedAlias(facts(reusedHost), (f) => present.has(f), defaultIdentityFiles(s.ssh.home));
    if (!choice) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          '"{0}" names key files that cannot be used or created ({1}). Choose another alias.',
          alias.alias,
          reusedHost.identityFiles.map((f) => tildePath(f, s.ssh.home)).join(', '),
        ),
      );
      return 'changeAlias';
    }
    s.logger.info(
      choice.kind === 'existing'
        ? `"${alias.alias}" uses the key ${choice.path}`
        : `"${alias.alias}" names ${choice.path}, which does not exist yet: a new key goes there`,
    );
    return withPassphrase(choice, alias.alias);
  }

  if (prefilledPath !== undefined) {
    const exists = await fileExists(prefilledPath);
    if (exists || !(await fileExists(`${prefilledPath}.pub`))) {
      return withPassphrase(
        exists ? { kind: 'existing', path: prefilledPath } : { kind: 'generate', path: prefilledPath },
        alias.alias,
      );
    }
    s.logger.warn(`${prefilledPath}.pub exists without its private key; asking for another key`);
  }

  const items: KeyItem[] = [generateKeyItem(), ...keyItems(await localKeys(s), s.ssh.home)];
  for (;;) {
    const picked = await pickStep({
      title,
      step: 3,
      totalSteps: TOTAL_STEPS,
      placeholder: vscode.l10n.t('Which SSH key should log in to {0}?', alias.alias),
      items,
    });
    if (picked === BACK) {
      return BACK;
    }
    if (picked.key) {
      return { key: { kind: 'existing', path: picked.key.privateKeyPath }, passphrase: '' };
    }
    const r = await askNewKey(s, { title, step: 3, totalSteps: TOTAL_STEPS, alias: alias.alias });
    if (r !== BACK) {
      return { key: { kind: 'generate', path: r.privateKeyPath }, passphrase: r.passphrase };
    }
    // Back from the name returns to the list of keys.
  }
}
