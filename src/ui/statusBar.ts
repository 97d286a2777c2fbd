import * as vscode from 'vscode';
import type { CurrentSource } from '../core/docker/contextStore';
import type { Reason } from '../core/errors';
import { CommandIds } from './commands/commandIds';
import { currentSummary, type ContextsSnapshot, type EnvOverrides } from './contextsModel';
import { errorSentence, reasonText } from './errorMessages';

function reasonSentence(reason: Reason, details: Record<string, string>): string {
  const t = reasonText(reason, details);
  return t.nextStep ? `${t.message} ${t.nextStep}` : t.message;
}
import { codeSpan, envMarker, envOverrideWarnings, escapeMarkdown, whyCurrent } from './presentation';

export const STATUS_BAR_ITEM_ID = 'remoteDocker.status';

/** What is known about the daemon behind the current context. Filled in by the engine probes. */
export type EngineState =
  | { kind: 'unknown' }
  | { kind: 'connecting' }
  | {
      kind: 'ok';
      operatingSystem: string;
      architecture: string;
      /** e.g. `linux/amd64` */
      platform?: string;
      kernelVersion?: string;
      serverVersion?: string;
      ncpu?: number;
      memTotal?: number;
      roundTripMs?: number;
      checkedAt?: Date;
    }
  | { kind: 'error'; reason: Reason; details?: Record<string, string | number | boolean | undefined> };

/** Everything the status item shows, as plain data; `renderStatus` turns it into the item. */
export interface StatusModel {
  /** False until the first reading of the store. */
  loaded: boolean;
  context?: string;
  source?: CurrentSource;
  endpoint?: string;
  description?: string;
  configFile?: string;
  env: EnvOverrides;
  /** The store could not be read; shown as a warning state. */
  problem?: string;
  engine: EngineState;
}

export interface RenderedStatus {
  text: string;
  tooltip: vscode.MarkdownString;
  accessibilityLabel: string;
  backgroundColor?: vscode.ThemeColor;
}

export function statusFromSnapshot(snap: ContextsSnapshot, engine: EngineState): StatusModel {
  const summary = currentSummary(snap);
  const problem = snap.listError ?? snap.currentError;
  const configError = snap.current?.configError;
  return {
    loaded: true,
    context: snap.current?.name,
    source: snap.current?.source,
    endpoint: summary?.endpoint,
    description: summary?.description,
    configFile: snap.configFile,
    env: snap.env,
    problem:
      problem !== undefined
        ? errorSentence(problem)
        : configError
          ? reasonSentence(configError.reason, { file: configError.file })
          : undefined,
    engine,
  };
}

/** The one place that decides how the item looks, so new parts (OS/arch, spinner) slot in here. */
export function renderStatus(m: StatusModel): RenderedStatus {
  const name = m.context ?? '…';
  const marker = m.source ? envMarker({ name, source: m.source }) : undefined;
  const e = m.engine;
  const icon = !m.loaded || e.kind === 'connecting' ? '$(sync~spin)' : m.problem || e.kind === 'error' ? '$(warning)' : '$(server)';
  let text = `${icon} ${name}`;
  if (marker) {
    text += ` (${marker})`;
  }
  if (e.kind === 'ok') {
    text += ` · ${e.operatingSystem} · ${e.architecture}`;
  }

  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: [CommandIds.useContext, CommandIds.showLog] };
  md.appendMarkdown(`**${escapeMarkdown(vscode.l10n.t('Docker context:'))}** ${codeSpan(name)}\n\n`);
  if (m.description) {
    md.appendMarkdown(`${escapeMarkdown(m.description)}\n\n`);
  }
  if (m.endpoint) {
    md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Endpoint:'))} ${codeSpan(m.endpoint)}\n\n`);
  }
  if (m.source && m.context) {
    md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Why current:'))} ${escapeMarkdown(whyCurrent({ name: m.context, source: m.source }, m.configFile ?? 'config.json'))}\n\n`);
  }
  appendEngine(md, e);
  if (m.problem) {
    md.appendMarkdown(`$(warning) ${escapeMarkdown(m.problem)}\n\n`);
  }
  for (const w of envOverrideWarnings(m.env)) {
    md.appendMarkdown(`$(info) ${escapeMarkdown(w)}\n\n`);
  }
  md.appendMarkdown(`[${escapeMarkdown(vscode.l10n.t('Switch Docker context…'))}](command:${CommandIds.useContext})`);

  const parts = [vscode.l10n.t('Docker context {0}', name)];
  if (marker) {
    parts.push(vscode.l10n.t('set by {0}', marker));
  }
  if (e.kind === 'ok') {
    parts.push(e.operatingSystem, e.architecture);
  } else if (e.kind === 'error') {
    parts.push(reasonText(e.reason, e.details ?? {}).message);
  }
  if (m.problem) {
    parts.push(m.problem);
  }
  return {
    text,
    tooltip: md,
    accessibilityLabel: parts.join(', '),
    backgroundColor: m.problem || e.kind === 'error' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined,
  };
}

function appendEngine(md: vscode.MarkdownString, e: EngineState): void {
  switch (e.kind) {
    case 'unknown':
      return;
    case 'connecting':
      md.appendMarkdown(`$(sync~spin) ${escapeMarkdown(vscode.l10n.t('Connecting to the Docker daemon…'))}\n\n`);
      return;
    case 'ok': {
      const rows: [string, string | undefined][] = [
        [vscode.l10n.t('Operating system:'), e.operatingSystem],
        [vscode.l10n.t('Architecture:'), e.platform ? `${e.architecture} (${e.platform})` : e.architecture],
        [vscode.l10n.t('Kernel:'), e.kernelVersion],
        [vscode.l10n.t('Engine version:'), e.serverVersion],
      ];
      for (const [label, value] of rows) {
        if (value) {
          md.appendMarkdown(`${escapeMarkdown(label)} ${codeSpan(value)}\n\n`);
        }
      }
      return;
    }
    case 'error': {
      const t = reasonText(e.reason, e.details ?? {});
      md.appendMarkdown(`$(warning) ${escapeMarkdown(t.nextStep ? `${t.message} ${t.nextStep}` : t.message)}\n\n`);
      return;
    }
  }
}

/**
 * The status bar item. It has one owner (this class), a stable id and name, and coalesces
 * updates so a burst of refreshes paints once.
 */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private model: StatusModel = { loaded: false, env: {}, engine: { kind: 'unknown' } };
  private enabled: boolean;
  private scheduled: NodeJS.Timeout | undefined;

  constructor(enabled: boolean) {
    this.item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 100);
    this.item.name = vscode.l10n.t('Remote Docker');
    this.item.command = CommandIds.useContext;
    this.enabled = enabled;
    this.paint();
  }

  setContexts(snap: ContextsSnapshot): void {
    this.model = statusFromSnapshot(snap, this.model.context === snap.current?.name ? this.model.engine : { kind: 'unknown' });
    this.schedule();
  }

  /** For the engine probes: the state of the daemon behind the context shown. */
  setEngine(context: string, engine: EngineState): void {
    if (context !== this.model.context) {
      return; // a late answer about a context that is no longer current
    }
    this.model = { ...this.model, engine };
    this.schedule();
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.schedule();
  }

  private schedule(): void {
    this.scheduled ??= setTimeout(() => {
      this.scheduled = undefined;
      this.paint();
    }, 16);
  }

  private paint(): void {
    const r = renderStatus(this.model);
    this.item.text = r.text;
    this.item.tooltip = r.tooltip;
    this.item.accessibilityInformation = { label: r.accessibilityLabel, role: 'button' };
    this.item.backgroundColor = r.backgroundColor;
    if (this.enabled) {
      this.item.show();
    } else {
      this.item.hide();
    }
  }

  dispose(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled);
    }
    this.item.dispose();
  }
}
