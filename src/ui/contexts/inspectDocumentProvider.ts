import * as vscode from 'vscode';
import { errorSentence } from '../base/errorMessages';
import { Schemes } from '../base/ids';
import type { ContextsService } from './contextsService';

const INSPECT_SCHEME = Schemes.inspectContext;

/** `remote-docker-context:/NAME.json` — the `.json` suffix gives the editor JSON highlighting. */
export function inspectUri(name: string): vscode.Uri {
  return vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${name}.json` });
}

function nameFromUri(uri: vscode.Uri): string {
  return uri.path.replace(/^\//, '').replace(/\.json$/, '');
}

/**
 * Read-only documents with what `docker context inspect NAME` prints for one context. They
 * follow the store: an open document is re-read after every refresh.
 */
export class InspectDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly contexts: ContextsService) {
    this.subscriptions = [
      this.emitter,
      vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, this),
      contexts.onDidChange(() => {
        for (const doc of vscode.workspace.textDocuments) {
          if (doc.uri.scheme === INSPECT_SCHEME && !doc.isClosed) {
            this.emitter.fire(doc.uri);
          }
        }
      }),
    ];
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const name = nameFromUri(uri);
    try {
      // Same shape and indentation as the CLI, which prints a JSON array of these objects.
      return JSON.stringify(await this.contexts.inspect(name), null, 4) + '\n';
    } catch (e) {
      // A document cannot show a notification; the text says what happened instead.
      return `// ${errorSentence(e)}\n`;
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
