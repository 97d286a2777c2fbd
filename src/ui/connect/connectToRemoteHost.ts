import * as vscode from 'vscode';
import {
  afterDiagnose,
  formatDestination,
  planConnect,
  suggestContextName,
  type ConnectPlan,
} from '../../core/connect/connectPlan';
import { sshEndpointForAlias } from '../../core/connect/sshHostUsage';
import { CoreError } from '../../core/common/errors';
import type { DiagnoseStep } from '../../core/diagnose/diagnose';
import type { RemoteFacts } from '../../core/serverSetup/osRelease';
import { withSshProgress } from '../base/progress';
import { UserCancelledError } from '../base/userCancelledError';
import { offerToUse, switchToContext } from '../flows/contextSteps';
import type { Services } from '../services';
import { chooseAfterDiagnose } from '../sshHosts/sshDiagnoseReport';
import { diagnoseResolved } from '../flows/diagnoseSteps';
import { prepareSetupOffers, runSetupOffer } from '../serverSetup/serverSetup';
import { asConnectArgs } from './connectArgs';
import { ask, type Answers } from './connectQuestions';
import { reportStop, runWrites, type FlowState } from './connectWrites';

/**
 * "Connect to a Remote Docker Host…": the whole setup in one guided command. The questions come
 * first (destination, alias, key, context name and description: connectQuestions.ts); then, in
 * one cancellable progress notification, the writes in the order of `planConnect` (key, key
 * install with the host-key question and the password, config block, diagnose:
 * connectWrites.ts); then the context and the offer to switch. Steps already done are detected
 * and skipped.
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
  if (!(await goOnAfterDiagnose(s, alias, state, steps))) {
    return;
  }
  const contextName = await ensureContext(s, answers, plan, state);
  s.logger.info(`Connect to a Remote Docker Host: "${alias}" is ready (context ${contextName})`);
  await offerUse(s, contextName, plan, args.useNow);
}

/**
 * When Docker does not work yet, the person decides: let the extension fix what it can (with
 * sudo, with consent; then diagnose again through a new login), check again, create the
 * context anyway, or stop. Warnings are shown.
 */
async function goOnAfterDiagnose(
  s: Services,
  alias: string,
  state: FlowState,
  firstSteps: DiagnoseStep[],
): Promise<boolean> {
  let steps = firstSteps;
  let known: RemoteFacts | undefined;
  while (afterDiagnose(steps) === 'ask') {
    const host = await s.ssh.resolve(alias);
    const { offers, facts } = await prepareSetupOffers(s, host, steps, known);
    known = facts;
    const createAnyway = vscode.l10n.t('Create the Context Anyway');
    const checkAgain = vscode.l10n.t('Check Again');
    const stop = vscode.l10n.t('Stop Here');
    let choice: string;
    try {
      choice = await chooseAfterDiagnose(steps, {
        title: vscode.l10n.t('Docker on {0} does not work yet', alias),
        actions: [...offers.map((o) => o.label), checkAgain, createAnyway, stop],
      });
    } catch (e) {
      reportStop(s, alias, state, e);
      throw e;
    }
    if (choice === createAnyway) {
      return true;
    }
    const offer = offers.find((o) => o.label === choice);
    const result = offer ? await runSetupOffer(s, host, offer.offer, facts) : undefined;
    if (choice === checkAgain || result === 'changed') {
      steps = await withSshProgress(vscode.l10n.t('Connect to a Remote Docker Host'), (p) =>
        diagnoseResolved(s, host, p),
      );
      continue;
    }
    if (result === 'unchanged') {
      continue;
    }
    reportStop(s, alias, state, new UserCancelledError('diagnose'));
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'SSH to "{0}" is set up; no Docker context was created. Fix the problems shown, then run "Test SSH Connection" or this command again.',
        alias,
      ),
    );
    return false;
  }
  if (steps.some((st) => st.status === 'warning')) {
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
  return true;
}

/** The context for `ssh://ALIAS`: the one that already uses it, or a new one. */
async function ensureContext(s: Services, answers: Answers, plan: ConnectPlan, state: FlowState): Promise<string> {
  const alias = answers.alias.alias;
  if (plan.existingContext !== undefined) {
    s.logger.info(
      `Docker context ${plan.existingContext} already uses ${sshEndpointForAlias(alias)}; not creating another`,
    );
    return plan.existingContext;
  }
  // Normally asked; only if a context that used the alias vanished since then is a name made up here.
  const name =
    answers.contextName ??
    suggestContextName(
      alias,
      (await s.contexts.snapshot).contexts.map((c) => c.name),
    );
  await s.contexts.create({
    name,
    endpoint: sshEndpointForAlias(alias),
    description: answers.description || undefined,
  });
  state.contextCreated = name;
  return name;
}

async function offerUse(s: Services, name: string, plan: ConnectPlan, useNow: boolean | undefined): Promise<void> {
  if (plan.steps.find((st) => st.id === 'useContext')?.skip === 'alreadyCurrent') {
    void vscode.window.showInformationMessage(vscode.l10n.t('Docker context "{0}" is ready and already in use.', name));
    return;
  }
  if (useNow === true) {
    await switchToContext(s, name);
  } else if (useNow === undefined) {
    await offerToUse(s, name, vscode.l10n.t('Docker context "{0}" is ready', name));
  }
}
