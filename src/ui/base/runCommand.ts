import * as vscode from 'vscode';
import { CoreError, isCancelled } from '../../core/common/errors';
import { errorSentence } from './errorMessages';
import type { OutputChannelLogger } from './logging';
import { isUserCancelled } from './userCancelledError';
import type { CommandId } from './commandIds';

export type CommandHandler = (...args: unknown[]) => unknown;

/**
 * The one wrapper every command runs in: silent when the user cancelled, the full error (stack,
 * reason, details) in the log, and one short localized message with a "Show Log" action.
 */
export function wrapCommand(id: CommandId, handler: CommandHandler, logger: OutputChannelLogger): CommandHandler {
  return async (...args: unknown[]) => {
    try {
      return await handler(...args);
    } catch (e) {
      if (isCancelled(e) || isUserCancelled(e)) {
        logger.debug(`${id}: cancelled`);
        return undefined;
      }
      logCommandError(id, e, logger);
      const showLog = vscode.l10n.t('Show Log');
      void vscode.window.showErrorMessage(errorSentence(e), showLog).then((choice) => {
        if (choice === showLog) {
          logger.show();
        }
      });
      return undefined;
    }
  };
}

function logCommandError(id: CommandId, e: unknown, logger: OutputChannelLogger): void {
  if (e instanceof CoreError) {
    logger.error(`${id} failed [${e.reason}] ${e.message} ${JSON.stringify(e.details)}`);
  } else {
    logger.error(`${id} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  // The stack (and its cause chain) for bug reports.
  let cause: unknown = e;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause.stack) {
      logger.error(depth === 0 ? cause.stack : `Caused by: ${cause.stack}`);
    }
    cause = cause.cause;
  }
}
