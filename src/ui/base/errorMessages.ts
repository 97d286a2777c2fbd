import * as vscode from 'vscode';
import {
  CoreError,
  describeError,
  ENGINE_REASONS,
  SETUP_REASONS,
  SSH_REASONS,
  type ErrorDetails,
  type Reason,
} from '../../core/common/errors';
import type { ErrorText } from './errorDetails';
import { isUserCancelled } from './userCancelledError';
import { engineReasonText } from './reasonTexts/engineReasons';
import { setupReasonText } from './reasonTexts/setupReasons';
import { sshReasonText } from './reasonTexts/sshReasons';
import { storeReasonText } from './reasonTexts/storeReasons';

export type { ErrorText } from './errorDetails';

export function errorText(e: unknown): ErrorText {
  if (e instanceof CoreError) {
    return reasonText(e.reason, e.details);
  }
  if (isUserCancelled(e)) {
    return { message: vscode.l10n.t('The operation was cancelled.') };
  }
  return { message: vscode.l10n.t('Unexpected error: {0}', describeError(e)) };
}

/** The message and next step in one text (one line by default, for notifications, tooltips and screen readers). */
export function joinNextStep(t: ErrorText, separator = ' '): string {
  return t.nextStep ? `${t.message}${separator}${t.nextStep}` : t.message;
}

/** The message and next step in one line, for notifications (which show no detail text). */
export function errorSentence(e: unknown): string {
  return joinNextStep(errorText(e));
}

/** Every reason the core can raise, in the user's language: a lookup in the table of its kind.
 *  Each table's switch is exhaustive, and storeReasonText takes every reason the other two do not,
 *  so a new reason does not compile until it has a message. */
export function reasonText(reason: Reason, details: ErrorDetails): ErrorText {
  if (isOneOf(SSH_REASONS, reason)) {
    return sshReasonText(reason, details);
  }
  if (isOneOf(ENGINE_REASONS, reason)) {
    return engineReasonText(reason, details);
  }
  if (isOneOf(SETUP_REASONS, reason)) {
    return setupReasonText(reason, details);
  }
  return storeReasonText(reason, details);
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}
