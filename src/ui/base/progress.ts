import * as vscode from 'vscode';

export interface ProgressStep {
  /** Shows one line for the step now running. */
  report(message: string): void;
  /** Aborted when the user presses Cancel on the notification. */
  readonly signal: AbortSignal;
  /** The same cancellation for VS Code APIs (input boxes opened during the operation). */
  readonly token: vscode.CancellationToken;
}

/**
 * A cancellable progress notification whose Cancel button aborts the core's AbortSignal (the
 * core then throws its `cancelled` error, which the command wrapper keeps silent).
 */
export async function withSshProgress<T>(title: string, run: (p: ProgressStep) => Promise<T>): Promise<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      try {
        return await run({ report: (message) => progress.report({ message }), signal: controller.signal, token });
      } finally {
        sub.dispose();
      }
    },
  );
}
