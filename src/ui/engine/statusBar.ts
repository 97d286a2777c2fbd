import * as vscode from 'vscode';
import type { CurrentSource } from '../../core/contexts/contextStore';
import type { EngineInfo } from '../../core/engine/engineInfo';
import { statusFacts, type StatusFormat } from '../../core/engine/engineStatusFormat';
import type { ErrorDetails, Reason } from '../../core/common/errors';
import { CommandIds } from '../base/commandIds';
import { STATUS_BAR_ITEM_ID } from '../base/ids';
import type { EnvOverrides } from '../../core/contexts/envOverrides';
import { currentSummary, type ContextsSnapshot } from '../contexts/contextsModel';
import {
  appendEngineFacts,
  architectureWarning,
  commandLink,
  FAILURE_LINK_COMMANDS,
  failureLinks,
  shortReason,
} from './enginePresentation';
import { errorSentence, reasonText } from '../base/errorMessages';

function reasonSentence(reason: Reason, details: Record<string, string>): string {
  const t = reasonText(reason, details);
  return t.nextStep ? `${t.message} ${t.nextStep}` : t.message;
}
import { codeSpan, envMarker, envOverrideWarnings, escapeMarkdown, whyCurrent } from '../base/presentation';

/** What is known about the daemon behind the current context. Filled in by the engine probes (EngineService). */
export type EngineState =
  | { kind: 'unknown' }
  | { kind: 'connecting' }
  | {
      kind: 'ok';
      info: EngineInfo;
      /** The platform images built on this machine would have (for the architecture warning). */
      localPlatform: string;
    }
  | {
      kind: 'error';
      reason: Reason;
      details?: ErrorDetails;
      /** A normal state rather than a problem (no daemon behind a local socket): no warning colours. */
      calm?: boolean;
      /** A prompt can resolve it (trust the host key, enter the passphrase). */
      interactive?: boolean;
      /** SSH endpoints get the diagnose report. */
      ssh?: boolean;
      /** When the failure was seen (Date.now()). */
      at?: number;
    };

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
  /** How much the text says after the context name. */
  format?: StatusFormat;
}

export interface RenderedStatus {
  text: string;
  tooltip: vscode.MarkdownString;
  accessibilityLabel: string;
  backgroundColor?: vscode.ThemeColor;
}

export function statusFromSnapshot(snap: ContextsSnapshot, engine: EngineState, format?: StatusFormat): StatusModel {
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
    format,
  };
}

/** Commands the tooltip's links may run (a MarkdownString runs only those it lists). */
const TOOLTIP_COMMANDS = [
  CommandIds.useContext,
  CommandIds.showLog,
  CommandIds.showEngineInfo,
  CommandIds.refresh,
  ...FAILURE_LINK_COMMANDS,
];

/** The one place that decides how the item looks: `$(server) context · OS · arch`, a spinner while connecting, a warning with the reason. */
export function renderStatus(m: StatusModel): RenderedStatus {
  const name = m.context ?? '…';
  const marker = m.source ? envMarker({ name, source: m.source }) : undefined;
  const e = m.engine;
  const format = m.format ?? 'full';
  const alarming = !!m.problem || (e.kind === 'error' && !e.calm);
  const icon = !m.loaded
    ? '$(sync~spin)'
    : e.kind === 'connecting'
      ? '$(loading~spin)'
      : alarming
        ? '$(warning)'
        : e.kind === 'error'
          ? '$(debug-disconnect)'
          : '$(server)';
  let text = `${icon} ${name}`;
  if (marker) {
    text += ` (${marker})`;
  }
  if (e.kind === 'ok') {
    for (const fact of statusFacts(format, e.info)) {
      text += ` · ${fact}`;
    }
  } else if (e.kind === 'error' && format !== 'name') {
    text += ` · ${shortReason(e.reason, e.details)}`;
  }

  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
  md.appendMarkdown(`**${escapeMarkdown(vscode.l10n.t('Docker context:'))}** ${codeSpan(name)}\n\n`);
  if (m.description) {
    md.appendMarkdown(`${escapeMarkdown(m.description)}\n\n`);
  }
  if (m.endpoint) {
    md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Endpoint:'))} ${codeSpan(m.endpoint)}\n\n`);
  }
  if (m.source && m.context) {
    md.appendMarkdown(
      `${escapeMarkdown(vscode.l10n.t('Why current:'))} ${escapeMarkdown(whyCurrent({ name: m.context, source: m.source }, m.configFile ?? 'config.json'))}\n\n`,
    );
  }
  appendEngine(md, e, m.context);
  if (m.problem) {
    md.appendMarkdown(`$(warning) ${escapeMarkdown(m.problem)}\n\n`);
  }
  for (const w of envOverrideWarnings(m.env)) {
    md.appendMarkdown(`$(info) ${escapeMarkdown(w)}\n\n`);
  }
  const links = [commandLink(vscode.l10n.t('Switch Docker context…'), CommandIds.useContext)];
  if (m.context && e.kind === 'ok') {
    links.push(commandLink(vscode.l10n.t('Show Remote Engine Info'), CommandIds.showEngineInfo, [m.context]));
  }
  if (m.context && e.kind !== 'connecting') {
    links.push(commandLink(vscode.l10n.t('Refresh'), CommandIds.refresh));
  }
  md.appendMarkdown(links.join(' · '));

  const parts = [vscode.l10n.t('Docker context {0}', name)];
  if (marker) {
    parts.push(vscode.l10n.t('set by {0}', marker));
  }
  if (e.kind === 'ok') {
    parts.push(...statusFacts('full', e.info));
  } else if (e.kind === 'connecting') {
    parts.push(vscode.l10n.t('connecting'));
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
    backgroundColor: alarming ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined,
  };
}

function appendEngine(md: vscode.MarkdownString, e: EngineState, context: string | undefined): void {
  switch (e.kind) {
    case 'unknown':
      return;
    case 'connecting':
      md.appendMarkdown(`$(loading~spin) ${escapeMarkdown(vscode.l10n.t('Connecting to the Docker daemon…'))}\n\n`);
      return;
    case 'ok': {
      md.appendMarkdown('---\n\n');
      appendEngineFacts(md, e.info);
      const arch = architectureWarning(e.info, e.localPlatform);
      if (arch) {
        md.appendMarkdown(`$(warning) ${escapeMarkdown(arch)}\n\n`);
      }
      return;
    }
    case 'error': {
      md.appendMarkdown('---\n\n');
      const t = reasonText(e.reason, e.details ?? {});
      md.appendMarkdown(
        `${e.calm ? '$(info)' : '$(warning)'} ${escapeMarkdown(t.nextStep ? `${t.message} ${t.nextStep}` : t.message)}\n\n`,
      );
      if (e.at) {
        md.appendMarkdown(
          `${escapeMarkdown(vscode.l10n.t('Last checked:'))} ${codeSpan(new Date(e.at).toLocaleTimeString())}\n\n`,
        );
      }
      if (context) {
        const actions = [...failureLinks(context, e), commandLink(vscode.l10n.t('Show Log'), CommandIds.showLog)];
        md.appendMarkdown(`${actions.join(' · ')}\n\n`);
      }
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
  private format: StatusFormat = 'full';
  private scheduled: NodeJS.Timeout | undefined;

  constructor(enabled: boolean) {
    this.item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 100);
    this.item.name = vscode.l10n.t('Remote Docker');
    this.item.command = CommandIds.useContext;
    this.enabled = enabled;
    this.paint();
  }

  setContexts(snap: ContextsSnapshot): void {
    this.model = statusFromSnapshot(
      snap,
      this.model.context === snap.current?.name ? this.model.engine : { kind: 'unknown' },
      this.format,
    );
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

  setFormat(format: StatusFormat): void {
    this.format = format;
    this.model = { ...this.model, format };
    this.schedule();
  }

  /** The context the item shows (the engine probes report for it). */
  get context(): string | undefined {
    return this.model.context;
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
