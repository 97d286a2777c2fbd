import * as path from 'node:path';
import * as vscode from 'vscode';
import { contextsByAlias } from '../../core/connect/sshHostUsage';
import type { ContextsSnapshot } from '../contexts/contextsModel';
import { errorSentence, joinNextStep, reasonText } from '../base/errorMessages';
import { codeSpan, escapeMarkdown } from '../base/presentation';
import type { SshHostsSnapshot } from './sshService';
import { SshHostValueBase, sshHostItemValue } from '../base/contextValues';
import type { SshHostNode, SshHostsTreeNode, SshProblemNode } from './sshHostNodes';

/** Tree item ids are stable selectors for tests and keep selection across refreshes. */
export function sshHostItemId(alias: string): string {
  return `remoteDocker.sshHost:${alias}`;
}

/** Problems first (they explain missing hosts), then the hosts in file order. */
export function sshHostsTreeNodes(snap: SshHostsSnapshot, contexts: ContextsSnapshot | undefined): SshHostsTreeNode[] {
  const nodes: SshHostsTreeNode[] = snap.problems.map((problem, i) => ({
    kind: 'sshProblem',
    id: `remoteDocker.sshProblem:${i}`,
    problem,
  }));
  const used = contextsByAlias(contexts?.contexts ?? []);
  for (const entry of snap.hosts) {
    nodes.push({
      kind: 'sshHost',
      id: sshHostItemId(entry.host.alias),
      entry,
      contexts: used.get(entry.host.alias.toLowerCase()) ?? [],
    });
  }
  return nodes;
}

export function sshTreeItemFor(node: SshHostsTreeNode): vscode.TreeItem {
  return node.kind === 'sshHost' ? hostItem(node) : problemItem(node);
}

/** `user@hostname:port`, always with the port: the description is where people check it. */
export function hostDestination(node: SshHostNode): string | undefined {
  const e = node.entry.effective;
  if (!e) {
    return undefined;
  }
  const host = e.hostname.includes(':') ? `[${e.hostname}]` : e.hostname;
  return `${e.user}@${host}:${e.port}`;
}

function hostItem(node: SshHostNode): vscode.TreeItem {
  const alias = node.entry.host.alias;
  const item = new vscode.TreeItem(alias, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  const used = node.contexts.length > 0;
  item.contextValue = sshHostItemValue({ used, editable: node.entry.host.editable });
  const dest = hostDestination(node) ?? vscode.l10n.t('settings cannot be resolved');
  item.description = used ? vscode.l10n.t('{0} · context: {1}', dest, node.contexts.join(', ')) : dest;
  item.iconPath = used
    ? new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('charts.green'))
    : new vscode.ThemeIcon('vm');
  item.tooltip = hostTooltip(node);
  item.accessibilityInformation = {
    label: used
      ? vscode.l10n.t('SSH host {0}, {1}, used by Docker context {2}', alias, dest, node.contexts.join(', '))
      : vscode.l10n.t('SSH host {0}, {1}', alias, dest),
  };
  return item;
}

function hostTooltip(node: SshHostNode): vscode.MarkdownString {
  const { host, effective, resolveError } = node.entry;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(host.alias)}**\n\n`);
  const row = (label: string, value: string): void => {
    md.appendMarkdown(`${escapeMarkdown(label)} ${codeSpan(value)}  \n`);
  };
  if (effective) {
    row(vscode.l10n.t('HostName:'), effective.hostname);
    row(vscode.l10n.t('User:'), effective.user);
    row(vscode.l10n.t('Port:'), String(effective.port));
    for (const f of effective.identityFiles) {
      row(vscode.l10n.t('IdentityFile:'), f);
    }
    if (effective.proxyJump) {
      row(vscode.l10n.t('ProxyJump:'), effective.proxyJump);
    }
  } else if (resolveError !== undefined) {
    md.appendMarkdown(`$(warning) ${escapeMarkdown(errorSentence(resolveError))}  \n`);
  }
  row(vscode.l10n.t('Defined in:'), `${host.file}:${host.line}`);
  md.appendMarkdown('\n');
  if (node.contexts.length > 0) {
    md.appendMarkdown(
      `$(vm-active) ${escapeMarkdown(vscode.l10n.t('Used by Docker context: {0}', node.contexts.join(', ')))}\n\n`,
    );
  } else {
    md.appendMarkdown(`${escapeMarkdown(vscode.l10n.t('No Docker context uses this host yet.'))}\n\n`);
  }
  if (!host.editable) {
    md.appendMarkdown(
      `$(info) ${escapeMarkdown(vscode.l10n.t('Edit this host in the SSH configuration file (it shares its block, holds an Include, or is in an included file).'))}\n\n`,
    );
  }
  return md;
}

function problemItem(node: SshProblemNode): vscode.TreeItem {
  const p = node.problem;
  const text = reasonText(p.reason, { file: p.file, line: p.line });
  const item = new vscode.TreeItem(text.message, vscode.TreeItemCollapsibleState.None);
  item.id = node.id;
  item.contextValue = SshHostValueBase.sshProblem;
  item.description = p.line ? `${path.basename(p.file)}:${p.line}` : path.basename(p.file);
  item.tooltip = [text.message, text.nextStep, p.message].filter((x) => x).join('\n\n');
  item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  item.accessibilityInformation = { label: joinNextStep(text) };
  const line = Math.max(0, (p.line ?? 1) - 1);
  item.command = {
    title: vscode.l10n.t('Open File'),
    command: 'vscode.open',
    arguments: [vscode.Uri.file(p.file), { selection: new vscode.Range(line, 0, line, 0), preview: true }],
  };
  return item;
}
