/** The build-context CodeLens, hover, code actions and their internal command, registered in one place. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeError } from '../../core/common/errors';
import { appendIgnorePattern } from '../../core/buildContext/dockerignore';
import type { Services } from '../services';
import { ADD_TO_DOCKERIGNORE_COMMAND, BuildContextLens } from './buildContextLens';
import { BuildContextService } from './buildContextService';

const SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'dockerfile' },
  { scheme: 'file', pattern: '**/{Dockerfile,Dockerfile.*,*.dockerfile,*.Dockerfile}' },
  { scheme: 'file', pattern: '**/{compose,docker-compose}.{yaml,yml}' },
  { scheme: 'file', pattern: '**/*.compose.{yaml,yml}' },
];

export function registerBuildContext(services: Services): vscode.Disposable[] {
  // The worker is a file of the bundle, next to extension.js (esbuild.mjs).
  const worker = path.join(services.extensionContext.extensionPath, 'dist', 'buildContextWorker.js');
  const service = new BuildContextService(worker, services.engine, services.logger);
  const lens = new BuildContextLens(service, services.engine);
  return [
    service,
    vscode.languages.registerCodeLensProvider(SELECTOR, lens),
    vscode.languages.registerHoverProvider(SELECTOR, lens),
    vscode.languages.registerCodeActionsProvider(SELECTOR, lens, {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
    vscode.commands.registerCommand(
      ADD_TO_DOCKERIGNORE_COMMAND,
      async (file: unknown, pattern: unknown, contextDir: unknown) => {
        if (typeof file !== 'string' || typeof pattern !== 'string' || typeof contextDir !== 'string') {
          return;
        }
        try {
          await appendIgnorePattern(file, pattern);
          service.forget(contextDir);
        } catch (e) {
          services.logger.error(`Adding ${pattern} to ${file} failed: ${describeError(e)}`);
          void vscode.window.showErrorMessage(vscode.l10n.t('Could not add {0} to {1}.', pattern, file));
        }
      },
    ),
  ];
}
