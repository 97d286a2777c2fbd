/**
 * Quick fixes of the bind-mount warnings: "Use a named volume instead" (an edit of the source
 * text and the top-level `volumes:`, nothing else) and "Run this project on <context>", which
 * runs the compose project where the daemon is (that command belongs to the remote compose
 * feature; this only invokes it with the compose file).
 */
import * as vscode from 'vscode';
import { documentMounts } from '../../core/compose/documentMounts';
import { namedVolumeFix } from '../../core/compose/namedVolumeEdit';
import { COMPOSE_DIAGNOSTIC_SOURCE, type ComposeDiagnostics } from './composeDiagnostics';

/** The remote compose feature's command; it takes the compose file's URI. */
export const RUN_COMPOSE_PROJECT_COMMAND = 'remoteDocker.runComposeProject';

export class ComposeCodeActions implements vscode.CodeActionProvider {
  /** Read when registering, not when this module is evaluated (activation touches no API it does not need). */
  static get kinds(): vscode.CodeActionKind[] {
    return [vscode.CodeActionKind.QuickFix];
  }

  constructor(private readonly diagnostics: ComposeDiagnostics) {}

  async provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    ctx: vscode.CodeActionContext,
  ): Promise<vscode.CodeAction[]> {
    const ours = ctx.diagnostics.filter((d) => d.source === COMPOSE_DIAGNOSTIC_SOURCE && d.code === 'remoteBindMount');
    const subject = this.diagnostics.remoteSubject();
    if (ours.length === 0 || !subject) {
      return [];
    }
    const read = await documentMounts(doc.uri.fsPath, doc.getText(), process.env);
    if (!read || read.kind !== 'compose') {
      return [];
    }
    const text = doc.getText();
    const actions: vscode.CodeAction[] = [];
    for (const d of ours) {
      const start = doc.offsetAt(d.range.start);
      const mount = read.mounts.find((m) => m.span.start === start && m.kind !== 'build');
      if (!mount) {
        continue;
      }
      const fix = namedVolumeFix(text, mount, read.volumes);
      const edit = new vscode.WorkspaceEdit();
      for (const e of fix.edits) {
        edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.text);
      }
      const volume = new vscode.CodeAction(
        vscode.l10n.t('Use a named volume instead ({0})', fix.name),
        vscode.CodeActionKind.QuickFix,
      );
      volume.edit = edit;
      volume.diagnostics = [d];
      actions.push(volume);
    }
    if (actions.length > 0) {
      const run = new vscode.CodeAction(
        vscode.l10n.t('Run this project on {0}', subject.name),
        vscode.CodeActionKind.QuickFix,
      );
      run.command = {
        command: RUN_COMPOSE_PROJECT_COMMAND,
        title: run.title,
        arguments: [doc.uri],
      };
      run.diagnostics = ours;
      actions.push(run);
    }
    return actions;
  }
}
