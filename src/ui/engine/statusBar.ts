import * as vscode from 'vscode';
import { type WindowSource, windowContext } from '../../core/contexts/workspaceContext';
import { engineKey, sameKey } from '../../core/engine/engineKey';
import type { DaemonState } from '../../core/engine/engineStates';
import { statusFacts, type StatusFormat } from '../../core/engine/engineStatusFormat';
import { escapeThemeIcons } from '../../core/engine/daemonText';
import type { Reason } from '../../core/common/errors';
import { CommandIds } from '../base/commandIds';
import type { EnvOverrides } from '../../core/contexts/envOverrides';
import { STATUS_BAR_ITEM_ID, ViewIds } from '../base/ids';
import { currentSummary, type ContextsSnapshot } from '../contexts/contextsModel';
import { commandLink, shortReason } from './enginePresentation';
import { agoText, appendEngineSection, ENGINE_SECTION_COMMANDS, isConnecting } from './engineTooltip';
import type { EngineService } from './engineService';
import { errorSentence, joinNextStep, reasonText } from '../base/errorMessages';
import { codeSpan, envMarker, envOverrideWarnings, escapeMarkdown, whyCurrent } from '../base/presentation';
import type { SettingsService } from '../base/settings';
import type { ContextsService } from '../contexts/contextsService';
import type { WorkspaceContextService } from '../workspace/workspaceContextService';

function reasonSentence(reason: Reason, details: Record<string, string>): string {
  return joinNextStep(reasonText(reason, details));
}

/** Everything the status item shows, as plain data; `renderStatus` turns it into the item. */
export interface StatusModel {
  /** False until the first reading of the store. */
  loaded: boolean;
  context?: string;
  source?: WindowSource;
  endpoint?: string;
  description?: string;
  configFile?: string;
  env: EnvOverrides;
  /** The store could not be read; shown as a warning state. */
  problem?: string;
  /** What is known about the daemon behind the context (undefined: nothing to ask, e.g. a broken context). */
  engine?: DaemonState;
  /** The platform images built on this machine would have (for the architecture warning). */
  localPlatform?: string;
  /** How much the text says after the context name. */
  format?: StatusFormat;
  /** Ports of the current daemon answering on this machine (the Ports view's forwards). */
  forwards?: number;
  /** The context this workspace uses instead of the global one (also when DOCKER_HOST overrides it). */
  workspace?: string;
  /** The global current context, shown beside the workspace's. */
  global?: string;
  /** The protected contexts among this window's and the global one. */
  protectedInUse?: string[];
}

export interface RenderedStatus {
  text: string;
  tooltip: vscode.MarkdownString;
  accessibilityLabel: string;
  backgroundColor?: vscode.ThemeColor;
}

export function statusFromSnapshot(
  snap: ContextsSnapshot,
  engine: DaemonState | undefined,
  format?: StatusFormat,
  workspace?: string,
): StatusModel {
  const win = snap.current ? windowContext(snap.current, snap.env, workspace) : undefined;
  const summary = win ? snap.contexts.find((c) => c.name === win.name) : currentSummary(snap);
  const inUse = [...new Set([win?.name, snap.current?.name])];
  const problem = snap.listError ?? snap.currentError;
  const configError = snap.current?.configError;
  return {
    loaded: true,
    context: win?.name,
    source: win?.source,
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
    ...(win?.workspace !== undefined ? { workspace: win.workspace, global: win.global.name } : {}),
    protectedInUse: snap.contexts.filter((c) => c.protection && inUse.includes(c.name)).map((c) => c.name),
  };
}

/** "(DOCKER_HOST)", "(workspace)": why the item names this context, when it is not config.json's choice. */
function sourceMarker(name: string, source: WindowSource | undefined): string | undefined {
  if (source === 'workspace') {
    return vscode.l10n.t('workspace');
  }
  return source ? envMarker({ name, source }) : undefined;
}

/** The tooltip lines about a workspace context and protection. */
function appendWorkspaceSection(md: vscode.MarkdownString, m: StatusModel): void {
  if (m.workspace !== undefined) {
    md.appendMarkdown(
      `$(root-folder) ${escapeMarkdown(vscode.l10n.t('this workspace: {0} · global: {1}', m.workspace, m.global ?? '…'))}\n\n`,
    );
    if (m.source !== 'workspace') {
      md.appendMarkdown(
        `$(warning) ${escapeMarkdown(vscode.l10n.t('DOCKER_HOST is set in VS Code\'s environment and wins over this workspace\'s context "{0}".', m.workspace))}\n\n`,
      );
    }
  }
  for (const name of m.protectedInUse ?? []) {
    md.appendMarkdown(
      `$(shield) ${escapeMarkdown(vscode.l10n.t('"{0}" is protected: switching to it globally asks first.', name))}\n\n`,
    );
  }
}

/** What a screen reader says for the item: the same facts as the text, in words. */
function spokenStatus(m: StatusModel, name: string, marker: string | undefined): string {
  const e = m.engine;
  const connecting = isConnecting(e);
  const parts = [vscode.l10n.t('Docker context {0}', name)];
  if (marker) {
    parts.push(vscode.l10n.t('set by {0}', marker));
  }
  if (connecting) {
    parts.push(vscode.l10n.t('connecting'));
  } else if (e?.kind === 'ok') {
    parts.push(...statusFacts('full', e.info));
  } else if (e?.kind === 'remembered') {
    parts.push(...statusFacts('full', e.facts), vscode.l10n.t('last checked {0}', agoText(e.facts.checkedAt)));
  } else if (e?.kind === 'failed') {
    parts.push(reasonText(e.error.reason, e.error.details).message);
  }
  if (m.problem) {
    parts.push(m.problem);
  }
  return parts.join(', ');
}

/** VS Code's own command that shows a view, `<view id>.focus`. */
const FOCUS_PORTS_VIEW = `${ViewIds.ports}.focus`;

/** "3 ports forwarded to this machine", a link to the Ports view. */
function forwardsLink(count: number): string {
  const text =
    count === 1
      ? vscode.l10n.t('1 port forwarded to this machine')
      : vscode.l10n.t('{0} ports forwarded to this machine', count);
  return `$(radio-tower) ${commandLink(text, FOCUS_PORTS_VIEW)}`;
}

/** Commands the tooltip's links may run (a MarkdownString runs only those it lists). */
const TOOLTIP_COMMANDS = [
  FOCUS_PORTS_VIEW,
  CommandIds.useContext,
  CommandIds.showEngineInfo,
  CommandIds.refresh,
  ...ENGINE_SECTION_COMMANDS,
];

/** The one place that decides how the item looks: `$(server) context · OS · arch`, a spinner while connecting, a warning with the reason. */
export function renderStatus(m: StatusModel): RenderedStatus {
  const name = m.context ?? '…';
  const marker = sourceMarker(name, m.source);
  const isProtected = (m.protectedInUse?.length ?? 0) > 0;
  const e = m.engine;
  const format = m.format ?? 'full';
  const connecting = isConnecting(e);
  const failed = !connecting && e?.kind === 'failed' ? e : undefined;
  const facts = connecting ? undefined : e?.kind === 'ok' ? e.info : e?.kind === 'remembered' ? e.facts : undefined;
  const alarming = !!m.problem || (!!failed && !failed.calm);
  const icon = !m.loaded
    ? '$(sync~spin)'
    : connecting
      ? '$(loading~spin)'
      : alarming
        ? '$(warning)'
        : failed
          ? '$(debug-disconnect)'
          : m.context !== undefined && m.protectedInUse?.includes(m.context)
            ? '$(shield)'
            : '$(server)';
  let text = `${icon} ${name}`;
  if (marker) {
    text += ` (${marker})`;
  }
  if (facts) {
    for (const fact of statusFacts(format, facts)) {
      // The daemon's words are text: `$(…)` in them must not become an icon.
      text += ` · ${escapeThemeIcons(fact)}`;
    }
  } else if (failed && format !== 'name') {
    text += ` · ${shortReason(failed.error.reason, failed.error.details)}`;
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
    const why =
      m.source === 'workspace'
        ? vscode.l10n.t('Used in this workspace only (DOCKER_CONTEXT in its terminals).')
        : whyCurrent({ name: m.context, source: m.source }, m.configFile ?? 'config.json');
    md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Why current:'))} ${escapeMarkdown(why)}\n\n`);
  }
  appendWorkspaceSection(md, m);
  if (m.context) {
    appendEngineSection(md, e, { context: m.context, localPlatform: m.localPlatform ?? '' });
  }
  if (m.forwards) {
    md.appendMarkdown(`${forwardsLink(m.forwards)}\n\n`);
  }
  if (m.problem) {
    md.appendMarkdown(`$(warning) ${escapeMarkdown(m.problem)}\n\n`);
  }
  for (const w of envOverrideWarnings(m.env)) {
    md.appendMarkdown(`$(info) ${escapeMarkdown(w)}\n\n`);
  }
  const links = [commandLink(vscode.l10n.t('Switch Docker context…'), CommandIds.useContext)];
  if (m.context && e?.kind === 'ok') {
    links.push(commandLink(vscode.l10n.t('Show Remote Engine Info'), CommandIds.showEngineInfo, [m.context]));
  }
  if (m.context && !connecting) {
    links.push(commandLink(vscode.l10n.t('Refresh'), CommandIds.refresh));
  }
  md.appendMarkdown(links.join(' · '));

  return {
    text,
    tooltip: md,
    accessibilityLabel: spokenStatus(m, name, marker),
    backgroundColor: alarming || isProtected ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined,
  };
}

/**
 * The status bar item. It has one owner (this class), a stable id and name, and coalesces
 * updates so a burst of changes paints once. It subscribes to what it shows: the contexts
 * snapshot, the daemon state of the current context, and the settings; nothing is pushed to it.
 */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[];
  private scheduled: NodeJS.Timeout | undefined;
  private forwards: { count(): number } | undefined;

  constructor(
    private readonly contexts: ContextsService,
    private readonly engine: EngineService,
    private readonly settings: SettingsService,
    private readonly workspace?: WorkspaceContextService,
  ) {
    this.item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM_ID, vscode.StatusBarAlignment.Left, 100);
    this.item.name = vscode.l10n.t('Remote Docker');
    this.item.command = CommandIds.useContext;
    this.subscriptions = [
      contexts.onDidChange(() => this.schedule()),
      engine.onDidChangeState((key) => {
        const snap = contexts.peek();
        const summary = snap && this.windowSummary(snap);
        if (summary && sameKey(key, engineKey(summary))) {
          this.schedule();
        }
      }),
      engine.onDidChangeFormat(() => this.schedule()),
      settings.onDidChange(() => this.schedule()),
    ];
    if (workspace) {
      this.subscriptions.push(workspace.onDidChange(() => this.schedule()));
    }
    this.paint();
  }

  /** What the item shows now, from the sources it follows. */
  model(): StatusModel {
    const snap = this.contexts.peek();
    if (!snap) {
      return { loaded: false, env: {} };
    }
    const summary = this.windowSummary(snap);
    const engine = summary && !summary.error && summary.endpoint ? this.engine.state(summary) : undefined;
    return {
      ...statusFromSnapshot(snap, engine, this.engine.statusFormat, this.workspace?.name),
      localPlatform: this.engine.localPlatform,
      forwards: this.forwards?.count(),
    };
  }

  /** The tooltip counts the forwards of the Ports feature (registered by it: the status bar does not own ports). */
  showForwards(source: { count(): number; onDidChange(listener: () => void): vscode.Disposable }): vscode.Disposable {
    this.forwards = source;
    const sub = source.onDidChange(() => this.schedule());
    this.schedule();
    return new vscode.Disposable(() => {
      sub.dispose();
      this.forwards = undefined;
    });
  }

  private windowSummary(snap: ContextsSnapshot): ReturnType<typeof currentSummary> {
    return this.workspace ? this.workspace.windowSummary(snap) : currentSummary(snap);
  }

  private schedule(): void {
    this.scheduled ??= setTimeout(() => {
      this.scheduled = undefined;
      this.paint();
    }, 16);
  }

  private paint(): void {
    const r = renderStatus(this.model());
    this.item.text = r.text;
    this.item.tooltip = r.tooltip;
    this.item.accessibilityInformation = { label: r.accessibilityLabel, role: 'button' };
    this.item.backgroundColor = r.backgroundColor;
    if (this.settings.current.statusBarEnabled) {
      this.item.show();
    } else {
      this.item.hide();
    }
  }

  dispose(): void {
    if (this.scheduled) {
      clearTimeout(this.scheduled);
    }
    for (const s of this.subscriptions) {
      s.dispose();
    }
    this.item.dispose();
  }
}
