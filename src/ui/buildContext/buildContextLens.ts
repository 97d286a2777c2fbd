/**
 * "build context 412 MB, 3,120 files · ≈ 41 s to prod-eu" above a Dockerfile's first instruction
 * and each compose `build:`; the hover of that line lists the ten largest entries, each with an
 * "Add to .dockerignore" link, and the same line offers them as code actions. The numbers come
 * from the worker-thread scan (BuildContextService); nothing here reads the disk.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { firstInstructionLine, patternFor } from '../../core/buildContext/dockerignore';
import { estimateUploadSeconds } from '../../core/buildContext/linkThroughput';
import type { ScanResult } from '../../core/buildContext/runScan';
import { isComposeFile, isDockerfile } from '../../core/compose/composeFiles';
import { hostPathOf } from '../../core/compose/composeMounts';
import { documentMounts } from '../../core/compose/documentMounts';
import { isRemoteEndpoint } from '../../core/compose/mountCheck';
import type { EngineService } from '../engine/engineService';
import type { BuildContextService, BuildTarget } from './buildContextService';

/** Internal (not in the palette): the hover's links and the code actions run it. */
export const ADD_TO_DOCKERIGNORE_COMMAND = 'remoteDocker.addToDockerignore';

interface LensTarget extends BuildTarget {
  line: number;
}

export async function buildTargets(doc: vscode.TextDocument): Promise<LensTarget[]> {
  const file = doc.uri.fsPath;
  if (isDockerfile(file)) {
    const line = firstInstructionLine(doc.getText());
    return line < 0 ? [] : [{ line, contextDir: path.dirname(file), dockerfile: file }];
  }
  if (!isComposeFile(file)) {
    return [];
  }
  const read = await documentMounts(file, doc.getText(), process.env);
  return (read?.mounts ?? [])
    .filter((m) => m.kind === 'build')
    .map((m) => {
      const contextDir = hostPathOf(m.source, read?.baseDir ?? path.dirname(file), os.homedir());
      return {
        line: doc.positionAt((m.keySpan ?? m.span).start).line,
        contextDir,
        dockerfile: path.resolve(contextDir, m.dockerfile ?? 'Dockerfile'),
      };
    });
}

/** 412 MB: decimal units, as `docker build` prints the context it sends. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(1)} s` : s < 120 ? `${s.toFixed(0)} s` : `${Math.round(s / 60)} min`;
}

class TargetLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly target: LensTarget,
  ) {
    super(range);
  }
}

export class BuildContextLens implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.CodeActionProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(
    private readonly service: BuildContextService,
    private readonly engine: EngineService,
  ) {
    this.onDidChangeCodeLenses = service.onDidChange;
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const targets = await buildTargets(doc);
    return targets.map((t) => new TargetLens(doc.lineAt(t.line).range, t));
  }

  async resolveCodeLens(lens: vscode.CodeLens): Promise<vscode.CodeLens> {
    const t = (lens as TargetLens).target;
    let title: string;
    try {
      title = this.title(await this.service.scan(t));
    } catch {
      title = vscode.l10n.t('build context: could not be measured (see the log)');
    }
    lens.command = { title, command: '' };
    return lens;
  }

  private title(r: ScanResult): string {
    const size = vscode.l10n.t(
      'build context {0}, {1} files',
      formatBytes(r.scan.bytes),
      r.scan.files.toLocaleString(vscode.env.language),
    );
    const subject = this.engine.statusSubject;
    if (!subject || !isRemoteEndpoint(subject.endpoint)) {
      return size;
    }
    // Known, or being probed in the background: the lens asks again when the answer comes.
    const link = this.service.linkSpeed(subject);
    if (!link) {
      return size;
    }
    const seconds = estimateUploadSeconds(r.scan.tarBytes, link);
    return size + ' · ' + vscode.l10n.t('≈ {0} to {1}', formatSeconds(seconds), subject.name);
  }

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    const t = (await buildTargets(doc)).find((x) => x.line === pos.line);
    if (!t) {
      return undefined;
    }
    const r = await this.service.scan(t);
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [ADD_TO_DOCKERIGNORE_COMMAND] };
    md.appendMarkdown(`**${vscode.l10n.t('Build context')}** `).appendText(t.contextDir);
    md.appendMarkdown('\n\n');
    md.appendText(
      r.ignoreFile
        ? vscode.l10n.t('Ignore rules from {0}.', path.basename(r.ignoreFile))
        : vscode.l10n.t('No .dockerignore: every file is sent.'),
    );
    md.appendMarkdown('\n\n| | | |\n|---|---:|---:|\n');
    for (const e of r.scan.largest) {
      const args = encodeURIComponent(JSON.stringify([this.ignoreFileOf(t, r), patternFor(e.path), t.contextDir]));
      const name = e.path.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&') + (e.directory ? '/' : '');
      md.appendMarkdown(
        `| ${name} | ${formatBytes(e.bytes)} | [${vscode.l10n.t('Add to .dockerignore')}](command:${ADD_TO_DOCKERIGNORE_COMMAND}?${args}) |\n`,
      );
    }
    return new vscode.Hover(md, doc.lineAt(t.line).range);
  }

  async provideCodeActions(doc: vscode.TextDocument, range: vscode.Range): Promise<vscode.CodeAction[]> {
    const t = (await buildTargets(doc)).find((x) => x.line === range.start.line);
    if (!t) {
      return [];
    }
    const r = await this.service.scan(t);
    return r.scan.largest.map((e) => {
      const a = new vscode.CodeAction(
        vscode.l10n.t('Add {0} to .dockerignore ({1})', e.path, formatBytes(e.bytes)),
        vscode.CodeActionKind.QuickFix,
      );
      a.command = {
        command: ADD_TO_DOCKERIGNORE_COMMAND,
        title: a.title,
        arguments: [this.ignoreFileOf(t, r), patternFor(e.path), t.contextDir],
      };
      return a;
    });
  }

  private ignoreFileOf(t: BuildTarget, r: ScanResult): string {
    return r.ignoreFile ?? path.join(t.contextDir, '.dockerignore');
  }
}
