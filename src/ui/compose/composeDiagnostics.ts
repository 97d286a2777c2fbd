/**
 * Warnings in compose files and devcontainer.json while this window's daemon is on another
 * machine: each host path, the absolute path that daemon receives, and what is at that path
 * on its machine (asked over SFTP on the pooled connection). Follows the status subject: a
 * switch to a local daemon clears them, a switch to another remote checks again.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { describeError } from '../../core/common/errors';
import type { Logger } from '../../core/common/log';
import { documentMounts, type DocumentMounts } from '../../core/compose/documentMounts';
import { canStatRemote, checkMounts, isRemoteEndpoint, type MountFinding } from '../../core/compose/mountCheck';
import { withSftpStat, type RemoteKind, type RemoteStat } from '../../core/compose/remoteStat';
import type { EngineSubject } from '../../core/engine/engineMonitor';
import type { EngineService } from '../engine/engineService';
import { findingMessage } from './composeTexts';

/** `Diagnostic.source` of these warnings (the code actions find theirs by it). */
export const COMPOSE_DIAGNOSTIC_SOURCE = 'Remote Docker';
/** How long an answer about a remote path is reused while the user types. */
const STAT_TTL_MS = 30_000;
const TYPING_DELAY_MS = 400;
const CHECK_TIMEOUT_MS = 15_000;

export class ComposeDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('remoteDocker.compose');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly running = new Map<string, { timer?: NodeJS.Timeout; abort?: AbortController }>();
  /** `<context>\0<path>` → what was there, and when asked. */
  private readonly statCache = new Map<string, { kind: Promise<RemoteKind>; at: number }>();

  constructor(
    private readonly engine: EngineService,
    private readonly logger: Logger,
  ) {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, TYPING_DELAY_MS)),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (d.uri.path.endsWith('/.env')) {
          this.recheckAll();
        }
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      engine.onDidChangeStatusSubject(() => {
        this.statCache.clear();
        this.recheckAll();
      }),
      engine.onDidChangeConnection(() => this.statCache.clear()),
    );
    this.recheckAll();
  }

  /** The remote daemon this window talks to, or undefined when its paths are this machine's. */
  remoteSubject(): EngineSubject | undefined {
    const s = this.engine.statusSubject;
    return s && isRemoteEndpoint(s.endpoint) ? s : undefined;
  }

  private recheckAll(): void {
    for (const d of vscode.workspace.textDocuments) {
      this.schedule(d, 0);
    }
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    const r = this.running.get(key);
    clearTimeout(r?.timer);
    r?.abort?.abort();
    this.running.delete(key);
    this.collection.delete(uri);
  }

  private schedule(doc: vscode.TextDocument, delayMs: number): void {
    if (doc.uri.scheme !== 'file') {
      return;
    }
    const key = doc.uri.toString();
    const prev = this.running.get(key);
    clearTimeout(prev?.timer);
    prev?.abort?.abort();
    const entry: { timer?: NodeJS.Timeout; abort?: AbortController } = {};
    entry.timer = setTimeout(() => {
      entry.abort = new AbortController();
      void this.check(doc, entry.abort.signal);
    }, delayMs);
    this.running.set(key, entry);
  }

  private async check(doc: vscode.TextDocument, signal: AbortSignal): Promise<void> {
    const version = doc.version;
    try {
      const read = await documentMounts(doc.uri.fsPath, doc.getText(), process.env);
      const subject = this.remoteSubject();
      if (!read || !subject || read.mounts.length === 0) {
        this.collection.delete(doc.uri);
        return;
      }
      const findings = await this.findings(subject, read, signal);
      if (signal.aborted || doc.isClosed || doc.version !== version) {
        return;
      }
      this.collection.set(
        doc.uri,
        findings.map((f) => this.diagnostic(doc, subject, f)),
      );
    } catch (e) {
      if (!signal.aborted) {
        this.logger.warn(`Checking the mounts of ${doc.uri.fsPath} failed: ${describeError(e)}`);
      }
    }
  }

  private async findings(subject: EngineSubject, read: DocumentMounts, signal: AbortSignal): Promise<MountFinding[]> {
    const base = { baseDir: read.baseDir, home: os.homedir() };
    const needsStat = read.mounts.some((m) => m.kind !== 'build');
    if (!needsStat || !canStatRemote(subject.endpoint)) {
      return checkMounts(read.mounts, base);
    }
    let lease;
    try {
      lease = await this.engine.lease(subject, { interactive: false, signal });
    } catch (e) {
      // Not connected and not allowed to ask now (a passphrase, an unknown host key): say "not checked".
      this.logger.debug(`No SFTP check of bind mounts on ${subject.name}: ${describeError(e)}`);
      return checkMounts(read.mounts, base);
    }
    try {
      const client = lease.client;
      return await withSftpStat(client, { timeoutMs: CHECK_TIMEOUT_MS, signal }, (stat) =>
        checkMounts(read.mounts, { ...base, stat: this.cached(subject, stat) }),
      );
    } finally {
      lease.release();
    }
  }

  private cached(subject: EngineSubject, stat: RemoteStat): RemoteStat {
    return (p) => {
      const key = `${subject.name}\0${p}`;
      const hit = this.statCache.get(key);
      if (hit && Date.now() - hit.at < STAT_TTL_MS) {
        return hit.kind;
      }
      const kind = stat(p);
      this.statCache.set(key, { kind, at: Date.now() });
      kind.catch(() => this.statCache.delete(key));
      return kind;
    };
  }

  private diagnostic(doc: vscode.TextDocument, subject: EngineSubject, f: MountFinding): vscode.Diagnostic {
    const range = new vscode.Range(doc.positionAt(f.mount.span.start), doc.positionAt(f.mount.span.end));
    const d = new vscode.Diagnostic(
      range,
      findingMessage(subject.name, f),
      f.mount.kind === 'build' ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning,
    );
    d.source = COMPOSE_DIAGNOSTIC_SOURCE;
    d.code = f.mount.kind === 'build' ? 'remoteBuildContext' : 'remoteBindMount';
    return d;
  }

  dispose(): void {
    for (const r of this.running.values()) {
      clearTimeout(r.timer);
      r.abort?.abort();
    }
    this.running.clear();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
