/** The compose and devcontainer warnings with their quick fixes, registered in one place. */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { ComposeCodeActions } from './composeCodeActions';
import { ComposeDiagnostics } from './composeDiagnostics';

const SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/{compose,docker-compose}.{yaml,yml}' },
  { scheme: 'file', pattern: '**/*.compose.{yaml,yml}' },
  { scheme: 'file', pattern: '**/{.devcontainer/devcontainer.json,.devcontainer.json}' },
];

export function registerCompose(services: Services): vscode.Disposable[] {
  const diagnostics = new ComposeDiagnostics(services.engine, services.logger);
  return [
    diagnostics,
    vscode.languages.registerCodeActionsProvider(SELECTOR, new ComposeCodeActions(diagnostics), {
      providedCodeActionKinds: ComposeCodeActions.kinds,
    }),
  ];
}
