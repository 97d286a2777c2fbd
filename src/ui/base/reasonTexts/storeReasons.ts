import * as vscode from 'vscode';
import type { ErrorDetails, Reason } from '../../../core/common/errors';
import { CONTEXT_NAME_RULE } from '../../../core/contexts/contextStore';
import { str, fileRef, endpointRuleText, type ErrorText } from '../errorDetails';
import type { SshReason } from './sshReasons';
import type { EngineReason } from './engineReasons';
import type { SetupReason } from './setupReasons';

/** Every reason the other tables do not cover: files, contexts, endpoints, cancellation. */
export type StoreReason = Exclude<Reason, SshReason | EngineReason | SetupReason>;

/** Files, contexts and endpoints, in the user's language (a table: one case per reason). */
export function storeReasonText(reason: StoreReason, details: ErrorDetails): ErrorText {
  switch (reason) {
    case 'cancelled':
      return { message: vscode.l10n.t('The operation was cancelled.') };
    case 'internal':
      return {
        message: vscode.l10n.t('Something went wrong inside Remote Docker.'),
        nextStep: vscode.l10n.t('The log has the details.'),
      };
    case 'fileUnreadable':
      if (str(details, 'code') === 'ENOTREG') {
        return {
          message: vscode.l10n.t(
            '{0} is not a regular file (a pipe, socket or device), so it was not read.',
            fileRef(details),
          ),
          nextStep: vscode.l10n.t('Point the setting at a regular file.'),
        };
      }
      if (str(details, 'code') === 'EFBIG') {
        return {
          message: vscode.l10n.t('{0} is too large to be read.', fileRef(details)),
          nextStep: vscode.l10n.t('Check that the setting names the right file.'),
        };
      }
      return {
        message: vscode.l10n.t('Cannot read {0}.', fileRef(details)),
        nextStep: vscode.l10n.t('Check that the file exists and that you may read it.'),
      };
    case 'fileUnwritable':
      return {
        message: vscode.l10n.t('Cannot write {0}.', fileRef(details)),
        nextStep: vscode.l10n.t('Check the permissions of the file and its folder.'),
      };

    case 'contextNameInvalid':
      return {
        message: vscode.l10n.t(
          'Context name "{0}" is invalid: names must match {1} (at least 2 characters), as the docker CLI requires.',
          str(details, 'name') ?? '',
          CONTEXT_NAME_RULE,
        ),
      };
    case 'contextNameReserved':
      return {
        message: vscode.l10n.t('"default" is a reserved context name.'),
        nextStep: vscode.l10n.t('Choose another name.'),
      };
    case 'contextExists':
      return { message: vscode.l10n.t('A Docker context named "{0}" already exists.', str(details, 'name') ?? '') };
    case 'contextNotFound':
      return {
        message: vscode.l10n.t('There is no Docker context named "{0}".', str(details, 'name') ?? ''),
        nextStep: vscode.l10n.t('Select another context.'),
      };
    case 'contextMetaCorrupt':
      return {
        message: vscode.l10n.t(
          'The metadata of Docker context "{0}" is not valid JSON ({1}).',
          str(details, 'name') ?? '?',
          fileRef(details),
        ),
        nextStep: vscode.l10n.t('Fix or remove the file; other contexts are not affected.'),
      };
    case 'contextMetaUnreadable':
      return {
        message: vscode.l10n.t(
          'The metadata of Docker context "{0}" cannot be read ({1}).',
          str(details, 'name') ?? '?',
          fileRef(details),
        ),
        nextStep: vscode.l10n.t('Check the file permissions.'),
      };
    case 'contextInUse':
      return { message: vscode.l10n.t('Docker context "{0}" is in use.', str(details, 'name') ?? '') };
    case 'defaultContextImmutable':
      return {
        message: vscode.l10n.t(
          'The "default" context cannot be changed or removed: it is built from DOCKER_HOST or the platform default.',
        ),
      };
    case 'endpointInvalid':
      return {
        message: vscode.l10n.t('Invalid Docker endpoint "{0}".', str(details, 'endpoint') ?? ''),
        nextStep: endpointRuleText(str(details, 'rule')),
      };
    case 'dockerConfigUnparsable':
      return {
        message: vscode.l10n.t('{0} is not valid JSON, so it was left untouched.', fileRef(details)),
        nextStep: vscode.l10n.t('Fix the file (the docker CLI ignores it too), then refresh.'),
      };

    case 'tlsMaterialUnreadable':
      return {
        message: vscode.l10n.t(
          'The TLS certificates of Docker context "{0}" cannot be read, so its daemon is not contacted without them.',
          str(details, 'name') ?? '?',
        ),
        nextStep: vscode.l10n.t(
          'Check its folder under contexts/tls in the Docker configuration folder (for "default": DOCKER_CERT_PATH, which must hold ca.pem).',
        ),
      };
    case 'fileChangedMeanwhile':
      return {
        message: vscode.l10n.t(
          '{0} kept changing while it was being edited, so it was left as it is.',
          fileRef(details),
        ),
        nextStep: vscode.l10n.t('Try again.'),
      };
  }
}
