import * as vscode from 'vscode';
import type { DockerContextSummary } from '../../core/contexts/contextStore';
import { statusFacts } from '../../core/engine/engineStatusFormat';
import { CommandIds } from '../base/commandIds';
import type { ContextsSnapshot } from './contextsModel';
import type { DaemonState } from '../../core/engine/engineStates';
import { shortReason } from '../engine/enginePresentation';
import { appendEngineSection, ENGINE_SECTION_COMMANDS, isConnecting } from '../engine/engineTooltip';
import { joinNextStep, reasonText } from '../base/errorMessages';
import {
  brokenDescription,
  codeSpan,
  envMarker,
  envOverrideWarnings,
  escapeMarkdown,
  whyCurrent,
} from '../base/presentation';
import { contextItemValue, ContextValueBase } from '../base/contextValues';
import type { ContextNode, ContextsTreeNode, MessageNode } from './contextNodes';
import { protectedIcon } from './protectionPresentation';

/** Tree item ids are stable selectors for tests and keep selection across refreshes. */
export function contextItemId(name: string): string {
  return `remoteDocker.context:${name}`;
}

/** The rows of the Docker Contexts view for one snapshot: state rows first, then the contexts. */
export function contextsTreeNodes(snap: ContextsSnapshot, workspace?: string): ContextsTreeNode[] {
  if (snap.listError !== undefined) {
    // Nothing could be listed: the empty view shows its welcome content (Refresh, Show Log,
    // settings) under the view message that names the problem.
    return [];
  }
  const nodes: ContextsTreeNode[] = [];
  const configError = snap.current?.configError;
  if (configError) {
    const text = reasonText(configError.reason, { file: configError.file });
    nodes.push({
      kind: 'message',
      id: 'remoteDocker.message:configError',
      label: vscode.l10n.t('config.json cannot be used'),
      description: configError.file,
      tooltip: joinNextStep(text),
      severity: 'warning',
      command: {
        title: vscode.l10n.t('Open File'),
        command: 'vscode.open',
        arguments: [vscode.Uri.file(configError.file)],
      },
    });
  }
  if (snap.currentError) {
    nodes.push({
      kind: 'message',
      id: 'remoteDocker.message:currentError',
      label: vscode.l10n.t('The current context cannot be determined'),
      tooltip: vscode.l10n.t('See the log for details.'),
      severity: 'error',
      command: { title: vscode.l10n.t('Show Log'), command: CommandIds.showLog },
    });
  }
  const seen = new Map<string, number>();
  for (const summary of snap.contexts) {
    const current = snap.current?.name === summary.name;
    // VS Code rejects a tree whose ids repeat; a hand-copied meta.json can repeat a name.
    const n = (seen.get(summary.name) ?? 0) + 1;
    seen.set(summary.name, n);
    const id = n === 1 ? contextItemId(summary.name) : `${contextItemId(summary.name)}#${n}`;
    nodes.push({
      kind: 'context',
      id,
      summary,
      current,
      source: current ? snap.current?.source : undefined,
      ...(summary.name === workspace ? { workspace: true } : {}),
    });
  }
  return nodes;
}

/** What a row needs to know about its daemon. */
export interface RowEngine {
  state: DaemonState;
  /** The platform images built on this machine would have (for the architecture warning). */
  localPlatform: string;
}

export function treeItemFor(node: ContextsTreeNode, snap: ContextsSnapshot, engine?: RowEngine): vscode.TreeItem {
  return node.kind === 'context' ? contextTreeItem(node, snap, engine) : messageTreeItem(node);
}

/** What the row says about its daemon: OS and architecture, "…" while the first probe runs, or why it cannot be reached. */
function engineSummary(s: DaemonState | undefined): {
  text?: string;
  spoken?: string;
  unreachable: boolean;
  alarming: boolean;
} {
  if (!s || s.kind === 'unknown') {
    return isConnecting(s)
      ? { text: '…', unreachable: false, alarming: false }
      : { unreachable: false, alarming: false };
  }
  if (s.kind === 'failed') {
    const reason = shortReason(s.error.reason, s.error.details);
    return { text: reason, spoken: reason, unreachable: true, alarming: !s.calm };
  }
  const facts = s.kind === 'ok' ? s.info : s.facts;
  return {
    text: statusFacts('full', facts).join(' · ') || undefined,
    spoken: statusFacts('full', facts).join(', ') || undefined,
    unreachable: false,
    alarming: false,
  };
}

function contextTreeItem(node: ContextNode, snap: ContextsSnapshot, engine?: RowEngine): vscode.TreeItem {
  const c = node.summary;
  const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  const daemon = c.error ? { unreachable: false, alarming: false } : engineSummary(engine?.state);
  item.contextValue = contextItemValue({
    isDefault: c.isDefault,
    current: node.current,
    broken: !!c.error,
    missing: c.error?.reason === 'contextNotFound',
    unreachable: daemon.unreachable,
    workspace: node.workspace,
    protected: !!c.protection,
  });
  item.tooltip = contextTooltip(node, snap, engine);

  if (c.error) {
    const problem = reasonText(c.error.reason, { name: c.name, file: c.metaPath, endpoint: c.endpoint });
    item.description = brokenDescription(c.error.reason, problem.message);
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    item.accessibilityInformation = { label: vscode.l10n.t('{0}, broken context: {1}', c.name, problem.message) };
    if (c.metaPath) {
      item.command = { title: vscode.l10n.t('Open meta.json'), command: CommandIds.openContextMeta, arguments: [node] };
    }
    return item;
  }

  const marker = envMarker(node.current ? snap.current : undefined);
  // The endpoint first and "current" last, so both stay where people (and tests) look for them.
  const where = daemon.text ? `${c.endpoint} · ${daemon.text}` : c.endpoint;
  const spokenWhere = daemon.spoken ? `${c.endpoint}, ${daemon.spoken}` : c.endpoint;
  // A warning first, then the protection mark, then where it is used: the description says the rest.
  const warning = daemon.alarming
    ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
    : c.protection
      ? protectedIcon(c.protection)
      : node.workspace
        ? new vscode.ThemeIcon('root-folder', new vscode.ThemeColor('charts.blue'))
        : undefined;
  const inWorkspace = node.workspace ? ` · ${vscode.l10n.t('this workspace')}` : '';
  const spokenExtra =
    (node.workspace ? `, ${vscode.l10n.t('used in this workspace')}` : '') +
    (c.protection ? `, ${vscode.l10n.t('protected')}` : '');
  if (node.current) {
    item.description =
      (marker ? vscode.l10n.t('{0} · current ({1})', where, marker) : vscode.l10n.t('{0} · current', where)) +
      inWorkspace;
    item.iconPath = warning ?? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('charts.green'));
    item.accessibilityInformation = {
      label: vscode.l10n.t('{0}, {1}, current context', c.name, spokenWhere) + spokenExtra,
    };
  } else {
    item.description = where + inWorkspace;
    item.iconPath = warning ?? new vscode.ThemeIcon('circle-large-outline');
    item.accessibilityInformation = { label: `${c.name}, ${spokenWhere}${spokenExtra}` };
    // A click switches: the view is a switcher first.
    item.command = { title: vscode.l10n.t('Use Docker Context'), command: CommandIds.useContext, arguments: [node] };
  }
  return item;
}

function contextTooltip(node: ContextNode, snap: ContextsSnapshot, engine?: RowEngine): vscode.MarkdownString {
  const c: DockerContextSummary = node.summary;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(c.name)}**`);
  if (node.current) {
    md.appendMarkdown(` — ${escapeMarkdown(vscode.l10n.t('current'))}`);
  }
  md.appendMarkdown('\n\n');
  if (node.workspace) {
    md.appendMarkdown(
      `$(root-folder) ${escapeMarkdown(vscode.l10n.t('Used in this workspace only (DOCKER_CONTEXT in its terminals).'))}\n\n`,
    );
  }
  if (c.protection) {
    md.appendMarkdown(
      `$(shield) ${escapeMarkdown(vscode.l10n.t('Protected: switching to it globally asks first.'))}\n\n`,
    );
  }
  if (c.description) {
    md.appendMarkdown(`${escapeMarkdown(c.description)}\n\n`);
  }
  md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('Endpoint:'))} ${codeSpan(c.endpoint || '—')}\n\n`);
  if (c.skipTLSVerify) {
    md.appendMarkdown(
      `$(warning) ${escapeMarkdown(vscode.l10n.t('TLS verification is turned off for this context.'))}\n\n`,
    );
  }
  if (c.error) {
    const problem = reasonText(c.error.reason, { name: c.name, file: c.metaPath, endpoint: c.endpoint });
    md.appendMarkdown(`$(warning) ${escapeMarkdown(problem.message)}`);
    if (problem.nextStep) {
      md.appendMarkdown(` ${escapeMarkdown(problem.nextStep)}`);
    }
    md.appendMarkdown('\n\n');
  }
  if (node.current && snap.current) {
    md.appendMarkdown(
      `${escapeMarkdown(vscode.l10n.t('Why current:'))} ${escapeMarkdown(whyCurrent(snap.current, snap.configFile))}\n\n`,
    );
  }
  if (engine && !c.error) {
    md.isTrusted = { enabledCommands: [...ENGINE_SECTION_COMMANDS] };
    appendEngineSection(md, engine.state, { context: c.name, localPlatform: engine.localPlatform });
  }
  for (const w of envOverrideWarnings(snap.env)) {
    md.appendMarkdown(`$(info) ${escapeMarkdown(w)}\n\n`);
  }
  return md;
}

function messageTreeItem(node: MessageNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = ContextValueBase.message;
  item.description = node.description;
  item.tooltip = node.tooltip;
  const icon = node.severity === 'error' ? 'error' : node.severity === 'warning' ? 'warning' : 'info';
  const color =
    node.severity === 'error'
      ? 'list.errorForeground'
      : node.severity === 'warning'
        ? 'list.warningForeground'
        : undefined;
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  item.accessibilityInformation = { label: `${node.label}. ${node.tooltip}` };
  item.command = node.command;
  return item;
}
