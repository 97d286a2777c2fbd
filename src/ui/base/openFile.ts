import * as vscode from 'vscode';

/**
 * Opens a file in an editor: at the start of a 1-based `line` (a `Host` block), or, with
 * `preview`, in the preview tab (a meta.json glanced at to repair a context).
 */
export async function openFile(file: string, o: { line?: number; preview?: boolean } = {}): Promise<void> {
  if (o.preview) {
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    return;
  }
  const l = Math.max(0, (o.line ?? 1) - 1);
  await vscode.window.showTextDocument(vscode.Uri.file(file), {
    preview: false,
    selection: new vscode.Range(l, 0, l, 0),
  });
}
