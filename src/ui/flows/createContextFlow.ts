import * as vscode from 'vscode';
import { CoreError } from '../../core/common/errors';
import { suggestContextName } from '../../core/connect/connectPlan';
import { sshEndpointForAlias } from '../../core/connect/sshHostUsage';
import { parseEndpoint } from '../../core/contexts/endpoint';
import { endpointRuleText } from '../base/errorDetails';
import { errorText } from '../base/errorMessages';
import { BACK, inputStep, pickStep, type Back } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import type { EndpointSuggestion } from '../contexts/endpointSuggestions';
import type { Services } from '../services';
import { contextNameProblem, offerToUse, sshContextDescription } from './contextSteps';

/** Values another feature can prefill, e.g. the SSH Hosts view passes `{ endpoint: 'ssh://alias', name: 'alias' }`. */
export interface CreateContextPrefill {
  name?: string;
  endpoint?: string;
  description?: string;
}

const TOTAL_STEPS = 3;

/**
 * "Create Docker Context…": name, endpoint, description, each validated as the user types with
 * the docker CLI's own rules, then an offer to switch to it. `prefill` values are shown in the
 * boxes (the SSH Hosts view passes `{ endpoint: 'ssh://alias', name: 'alias' }`).
 */
export async function createContextFlow(s: Services, prefill: CreateContextPrefill = {}): Promise<void> {
  const title = vscode.l10n.t('Create Docker Context');
  const values = { ...prefill };
  const snap = await s.contexts.snapshot;
  const existing = new Set(snap.contexts.map((c) => c.name));
  let suggestions: EndpointSuggestion[] | undefined;

  let step = 1;
  while (step <= TOTAL_STEPS) {
    if (step === 1) {
      const name = await inputStep({
        title,
        step,
        totalSteps: TOTAL_STEPS,
        prompt: vscode.l10n.t('Name of the new Docker context (as in "docker context create NAME")'),
        placeholder: vscode.l10n.t('for example: my-server'),
        value: values.name,
        validate: (v) => contextNameProblem(v, existing),
      });
      if (name === BACK) {
        continue;
      }
      values.name = name;
      step++;
    } else if (step === 2) {
      suggestions ??= await s.endpointSuggestions.collect();
      const endpoint = await endpointStep(title, step, values.endpoint, suggestions, values);
      if (endpoint === BACK) {
        step--;
        continue;
      }
      values.endpoint = endpoint;
      step++;
    } else {
      const description = await inputStep({
        title,
        step,
        totalSteps: TOTAL_STEPS,
        prompt: vscode.l10n.t('Description (optional)'),
        placeholder: vscode.l10n.t('for example: build server in the office'),
        value: values.description,
      });
      if (description === BACK) {
        step--;
        continue;
      }
      values.description = description.trim();
      step++;
    }
  }
  const name = values.name ?? '';
  const endpoint = values.endpoint ?? '';
  if (!(await s.endpointSuggestions.checkBeforeCreate(endpoint))) {
    throw new UserCancelledError(title);
  }
  await s.contexts.create({ name, endpoint, description: values.description || undefined });
  await offerToUse(s, name, vscode.l10n.t('Docker context "{0}" created', name));
}

/** "Create Docker Context…" for an SSH host: `ssh://ALIAS`, a free name and a description filled in. */
export async function createContextForAlias(s: Services, alias: string): Promise<void> {
  const snap = await s.ssh.snapshot;
  const effective = snap.hosts.find((h) => h.host.alias === alias)?.effective;
  const taken = (await s.contexts.snapshot).contexts.map((c) => c.name);
  await createContextFlow(s, {
    name: suggestContextName(alias, taken),
    endpoint: sshEndpointForAlias(alias),
    description: effective ? sshContextDescription(effective.user, effective.hostname, effective.port) : undefined,
  });
}

export function validateEndpoint(value: string): string | undefined {
  if (value.trim() === '') {
    return vscode.l10n.t('Enter an endpoint, for example ssh://user@host.');
  }
  try {
    parseEndpoint(value.trim());
    return undefined;
  } catch (e) {
    if (CoreError.is(e, 'endpointInvalid')) {
      return endpointRuleText(typeof e.details.rule === 'string' ? e.details.rule : undefined);
    }
    if (e instanceof CoreError) {
      return errorText(e).message;
    }
    throw e;
  }
}

interface SuggestionItem extends vscode.QuickPickItem {
  suggestion?: EndpointSuggestion;
}

/** The endpoint: picked from the registered suggestions (SSH hosts, later) or typed. */
async function endpointStep(
  title: string,
  step: number,
  value: string | undefined,
  suggestions: readonly EndpointSuggestion[],
  values: CreateContextPrefill,
): Promise<string | Back> {
  for (;;) {
    if (suggestions.length > 0 && value === undefined) {
      const typeIt: SuggestionItem = {
        label: vscode.l10n.t('Enter an endpoint URL…'),
        iconPath: new vscode.ThemeIcon('edit'),
        alwaysShow: true,
      };
      const items: SuggestionItem[] = [
        ...suggestions.map((sg) => ({
          label: sg.label,
          description: sg.description ?? sg.endpoint,
          detail: sg.detail,
          suggestion: sg,
        })),
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        typeIt,
      ];
      const picked = await pickStep({
        title,
        step,
        totalSteps: TOTAL_STEPS,
        placeholder: vscode.l10n.t('Where is the Docker daemon?'),
        items,
      });
      if (picked === BACK) {
        return BACK;
      }
      if (picked.suggestion) {
        values.description ??= picked.suggestion.suggestedDescription;
        return picked.suggestion.endpoint;
      }
    }
    const typed = await inputStep({
      title,
      step,
      totalSteps: TOTAL_STEPS,
      prompt: vscode.l10n.t(
        'Docker endpoint: ssh://[user@]host[:port][/socket], unix:///path, tcp://host:port or npipe://',
      ),
      placeholder: vscode.l10n.t('for example: ssh://ubuntu@192.0.2.10 or ssh://my-ssh-alias'),
      value,
      validate: validateEndpoint,
    });
    if (typed !== BACK) {
      return typed.trim();
    }
    if (suggestions.length === 0) {
      return BACK;
    }
    value = undefined; // back from typing returns to the suggestions
  }
}
