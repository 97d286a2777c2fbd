import * as vscode from 'vscode';
import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';

/** An endpoint the Create Docker Context flow can offer instead of a typed URL. */
export interface EndpointSuggestion {
  endpoint: string;
  label: string;
  description?: string;
  detail?: string;
  /** Prefills the context name step when the user has not typed one yet. */
  suggestedName?: string;
  suggestedDescription?: string;
}

/**
 * A source of endpoint suggestions. The SSH Hosts feature registers one that lists the SSH
 * config's hosts as `ssh://ALIAS`; providers must be quick and local (no network).
 */
export interface EndpointSuggestionProvider {
  readonly id: string;
  provideEndpointSuggestions(signal: AbortSignal): Promise<EndpointSuggestion[]>;
  /**
   * Runs just before a context with this endpoint is written (e.g. one SSH login, asking about
   * an unknown host key); may show its own UI. Resolves false to stop the creation. Providers
   * that do not handle the endpoint resolve true.
   */
  checkEndpoint?(endpoint: string): Promise<boolean>;
}

/** A provider slower than this is skipped so the prompt never waits on it. */
const PROVIDER_TIMEOUT_MS = 3000;

export class EndpointSuggestions {
  private readonly providers: EndpointSuggestionProvider[] = [];

  constructor(private readonly logger: Logger) {}

  register(provider: EndpointSuggestionProvider): vscode.Disposable {
    this.providers.push(provider);
    return new vscode.Disposable(() => {
      const i = this.providers.indexOf(provider);
      if (i >= 0) {
        this.providers.splice(i, 1);
      }
    });
  }

  get hasProviders(): boolean {
    return this.providers.length > 0;
  }

  /** Every provider's check in registration order; false as soon as one says no. */
  async checkBeforeCreate(endpoint: string): Promise<boolean> {
    for (const p of [...this.providers]) {
      if (p.checkEndpoint && !(await p.checkEndpoint(endpoint))) {
        this.logger.info(`Creating a context for ${endpoint} was stopped after the ${p.id} check`);
        return false;
      }
    }
    return true;
  }

  /** Suggestions of every provider in registration order; a failing provider is logged and skipped. */
  async collect(): Promise<EndpointSuggestion[]> {
    const results = await Promise.all(
      this.providers.map(async (p) => {
        const signal = AbortSignal.timeout(PROVIDER_TIMEOUT_MS);
        try {
          return await Promise.race([
            p.provideEndpointSuggestions(signal),
            new Promise<never>((_, reject) =>
              signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true }),
            ),
          ]);
        } catch (e) {
          this.logger.warn(`Endpoint suggestions from ${p.id} failed: ${describeError(e)}`);
          return [];
        }
      }),
    );
    return results.flat();
  }
}
