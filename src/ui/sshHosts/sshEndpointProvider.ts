import * as vscode from 'vscode';
import { suggestContextName } from '../../core/connect/connectPlan';
import { parseEndpoint } from '../../core/contexts/endpoint';
import { sshHostForEndpoint } from '../../core/engine/engineSshTarget';
import { isCancelled } from '../../core/common/errors';
import { connectSsh } from '../../core/ssh/connection';
import { contextsByAlias, sshEndpointForAlias } from '../../core/connect/sshHostUsage';
import { sshContextDescription } from '../flows/contextSteps';
import { diagnoseResolved } from '../flows/diagnoseSteps';
import type { EndpointSuggestion, EndpointSuggestionProvider } from '../contexts/endpointSuggestions';
import { errorSentence } from '../base/errorMessages';
import type { Services } from '../services';
import { showDiagnoseReport } from './sshDiagnoseReport';
import { withSshProgress } from '../base/progress';

/**
 * Offers the SSH configuration's hosts to "Create Docker Context…" as `ssh://ALIAS`, marking
 * those a context already uses, and checks an `ssh://` endpoint before the context is written:
 * one login, so that an unknown host key is shown with its fingerprint and trusted on the
 * user's word now, rather than failing later inside the docker CLI.
 */
export class SshEndpointProvider implements EndpointSuggestionProvider {
  readonly id = 'sshHosts';

  constructor(private readonly s: Services) {}

  async provideEndpointSuggestions(): Promise<EndpointSuggestion[]> {
    const snap = await this.s.ssh.snapshot;
    const contexts = await this.s.contexts.snapshot;
    const used = contextsByAlias(contexts.contexts);
    const taken = contexts.contexts.map((c) => c.name);
    return snap.hosts.map((entry) => {
      const alias = entry.host.alias;
      const e = entry.effective;
      const users = used.get(alias.toLowerCase());
      return {
        endpoint: sshEndpointForAlias(alias),
        label: `$(vm) ${alias}`,
        description: e ? `${e.user}@${e.hostname}:${e.port}` : sshEndpointForAlias(alias),
        detail: users
          ? vscode.l10n.t('SSH host · already used by Docker context {0}', users.join(', '))
          : vscode.l10n.t('SSH host from {0}', entry.host.file),
        suggestedName: suggestContextName(alias, taken),
        suggestedDescription: e ? sshContextDescription(e.user, e.hostname, e.port) : undefined,
      };
    });
  }

  /** One login to the endpoint's host unless turned off; on failure the user decides. */
  async checkEndpoint(endpoint: string): Promise<boolean> {
    const s = this.s;
    if (!s.ssh.settings.checkConnectionOnCreate || !/^ssh:\/\//i.test(endpoint)) {
      return true;
    }
    const ep = parseEndpoint(endpoint);
    const alias = ep.host ?? '';
    try {
      await withSshProgress(vscode.l10n.t('Checking the SSH connection to {0}…', alias), async (p) => {
        // The URL's user and port win over the configuration's, as with the docker CLI's `ssh -l … -p …`.
        const host = sshHostForEndpoint(await s.ssh.resolve(alias, p.signal), ep);
        const conn = await connectSsh(
          s.ssh.connectOptions(host, { signal: p.signal, prompts: s.ssh.prompts(p.token) }),
        );
        s.logger.info(`Connection check for ${endpoint}: logged in as ${host.user} by ${conn.authMethod}`);
        conn.close();
      });
      return true;
    } catch (e) {
      if (isCancelled(e)) {
        throw e;
      }
      s.logger.warn(`Connection check for ${endpoint} failed: ${errorSentence(e)}`);
      const createAnyway = vscode.l10n.t('Create Anyway');
      const diagnose = vscode.l10n.t('Diagnose');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('The SSH connection to {0} does not work yet.', alias),
        { modal: true, detail: errorSentence(e) },
        createAnyway,
        diagnose,
      );
      if (choice === createAnyway) {
        return true;
      }
      if (choice === diagnose) {
        const steps = await withSshProgress(vscode.l10n.t('Testing the SSH connection to {0}…', alias), async (p) => {
          const host = sshHostForEndpoint(await s.ssh.resolve(alias, p.signal), ep);
          return diagnoseResolved(s, host, p, ep.path);
        });
        const chosen = await showDiagnoseReport(steps, {
          title: vscode.l10n.t('Test SSH Connection: {0}', alias),
          actions: [createAnyway],
        });
        return chosen === createAnyway;
      }
      return false;
    }
  }
}
