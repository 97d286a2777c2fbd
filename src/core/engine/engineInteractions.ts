/**
 * Which prompts a connection attempt to an endpoint may show. Probes a person started (a
 * switch, Refresh, a command) may show the host-key question and the passphrase box;
 * background probes never do. The pool makes at most one connection attempt per endpoint at a
 * time, so the attempt looks up, when it starts, the newest interaction waiting for that
 * endpoint (`current`).
 */
import { CoreError } from '../common/errors';
import type { Logger } from '../common/log';
import type { SshPrompts } from '../ssh/connection';
import { needsInteraction } from './engineSshTarget';

/** What a connection attempt to an endpoint may do while a person waits for it. */
export interface Interaction {
  readonly prompts: SshPrompts;
  /** Key passphrases the person declined earlier in this session are asked for again. */
  readonly askAgain: boolean;
}

export class EngineInteractions {
  private readonly waiting = new Map<string, Interaction[]>();

  constructor(private readonly logger?: Logger) {}

  /** The newest interaction waiting for the endpoint (undefined: a background attempt, no prompts). */
  current(endpoint: string): Interaction | undefined {
    return this.waiting.get(endpoint)?.at(-1);
  }

  /**
   * Runs `fn` while connection attempts to the endpoint may use `base` prompts. When it fails
   * with what only a prompt resolves (a background attempt that was already under way answered
   * for us), or ran out of time while a prompt was open, it runs once more: the attempt the
   * prompt belongs to goes on and the second call waits for it.
   */
  async run<T>(
    endpoint: string,
    o: { prompts: SshPrompts; askAgain: boolean; signal: AbortSignal },
    fn: () => Promise<T>,
  ): Promise<T> {
    const asked = { open: 0, any: false };
    const track = <A extends unknown[], R>(
      f: ((...a: A) => Promise<R>) | undefined,
    ): ((...a: A) => Promise<R>) | undefined =>
      f &&
      (async (...a: A): Promise<R> => {
        asked.open++;
        asked.any = true;
        try {
          return await f(...a);
        } finally {
          asked.open--;
        }
      });
    const interaction: Interaction = {
      prompts: {
        confirmHostKey: track(o.prompts.confirmHostKey?.bind(o.prompts)),
        passphrase: track(o.prompts.passphrase?.bind(o.prompts)),
      },
      askAgain: o.askAgain,
    };
    const stack = this.waiting.get(endpoint) ?? [];
    stack.push(interaction);
    this.waiting.set(endpoint, stack);
    try {
      for (let attempt = 1; ; attempt++) {
        const askedBefore = asked.any;
        try {
          return await fn();
        } catch (e) {
          const waitedForPerson = CoreError.is(e, 'timeout') && (asked.open > 0 || asked.any !== askedBefore);
          const retry =
            !o.signal.aborted &&
            attempt < 3 &&
            ((attempt === 1 && needsInteraction(e) && !asked.any) || waitedForPerson);
          if (!retry) {
            throw e;
          }
          this.logger?.debug(`engine ${endpoint}: trying again with prompts after ${(e as CoreError).reason}`);
        }
      }
    } finally {
      const i = stack.indexOf(interaction);
      if (i >= 0) {
        stack.splice(i, 1);
      }
      if (stack.length === 0) {
        this.waiting.delete(endpoint);
      }
    }
  }
}
