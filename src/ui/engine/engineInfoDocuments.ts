import * as vscode from 'vscode';
import { Schemes } from '../base/ids';

const ENGINE_INFO_SCHEME = Schemes.engineInfo;

/** `remote-docker-engine:/NAME.engine.json`: the tab reads "NAME.engine.json" and the editor highlights JSON. */
export function engineInfoUri(contextName: string): vscode.Uri {
  return vscode.Uri.from({ scheme: ENGINE_INFO_SCHEME, path: `/${contextName}.engine.json` });
}

/**
 * Read-only documents with a daemon's `/info` and `/version`. The command reads them (with
 * progress and a Cancel button) and hands the text over before opening the document, so
 * opening never waits for the network; a second run replaces the text of an open document.
 * The text of a closed document is forgotten.
 */
export class EngineInfoDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      this.emitter,
      vscode.workspace.registerTextDocumentContentProvider(ENGINE_INFO_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme === ENGINE_INFO_SCHEME) {
          this.texts.delete(doc.uri.toString());
        }
      }),
    ];
  }

  /** Stores the text for the URI and tells an open document to show it. */
  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this.texts.get(uri.toString()) ??
      `// ${vscode.l10n.t('Run "Show Remote Engine Info" again to read this daemon\'s information.')}\n`
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
    this.texts.clear();
  }
}
