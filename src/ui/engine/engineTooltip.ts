import * as vscode from 'vscode';
import type { DaemonState } from '../../core/engine/engineStates';
import { relativeAge } from '../../core/engine/engineStatusFormat';
import { CommandIds } from '../base/commandIds';
import { joinNextStep, reasonText } from '../base/errorMessages';
import { codeSpan, escapeMarkdown } from '../base/presentation';
import {
  appendEngineFacts,
  architectureWarning,
  commandLink,
  FAILURE_LINK_COMMANDS,
  failureLinks,
} from './enginePresentation';

/**
 * The engine part of the status bar's tooltip and of a Docker Contexts row's tooltip, written
 * once: what is known about the daemon, or why it cannot be reached and what to do.
 */

/** Commands the section's links may run (the MarkdownString must list them). */
export const ENGINE_SECTION_COMMANDS: readonly string[] = [...FAILURE_LINK_COMMANDS, CommandIds.showLog];

/** Shown as connecting: a first probe with nothing to show yet, or a person's probe after a failure. */
export function isConnecting(s: DaemonState | undefined): boolean {
  return !!s && s.probing && (s.kind === 'unknown' || (s.kind === 'failed' && s.personProbing));
}

/** "2 hours ago", in the UI's language. */
export function agoText(at: number, now = Date.now()): string {
  const { value, unit } = relativeAge(now - at);
  return new Intl.RelativeTimeFormat(vscode.env.language, { numeric: 'auto' }).format(value, unit);
}

/** The line that marks facts from an earlier session as not checked again yet. */
export function rememberedNote(checkedAt: number): string {
  return vscode.l10n.t('Last checked {0}; not checked again yet.', agoText(checkedAt));
}

export function appendEngineSection(
  md: vscode.MarkdownString,
  s: DaemonState | undefined,
  o: { context: string; localPlatform: string },
): void {
  if (!s) {
    return;
  }
  if (isConnecting(s)) {
    md.appendMarkdown(`$(loading~spin) ${escapeMarkdown(vscode.l10n.t('Connecting to the Docker daemon…'))}\n\n`);
    return;
  }
  switch (s.kind) {
    case 'unknown':
      return;
    case 'remembered': {
      md.appendMarkdown('---\n\n');
      const rows: [string, string][] = [
        [vscode.l10n.t('Operating system:'), s.facts.operatingSystem],
        [vscode.l10n.t('Architecture:'), `${s.facts.architecture} (${s.facts.platform})`],
        [vscode.l10n.t('Engine version:'), s.facts.serverVersion],
      ];
      for (const [label, value] of rows) {
        if (value.trim()) {
          md.appendMarkdown(`${escapeMarkdown(label)} ${codeSpan(value)}  \n`);
        }
      }
      // Dimmed: italics, as VS Code renders no colours in a hover.
      md.appendMarkdown(`\n$(history) *${escapeMarkdown(rememberedNote(s.facts.checkedAt))}*\n\n`);
      return;
    }
    case 'ok': {
      md.appendMarkdown('---\n\n');
      appendEngineFacts(md, s.info);
      const arch = architectureWarning(s.info, o.localPlatform);
      if (arch) {
        md.appendMarkdown(`$(warning) ${escapeMarkdown(arch)}\n\n`);
      }
      return;
    }
    case 'failed': {
      md.appendMarkdown('---\n\n');
      const t = reasonText(s.error.reason, s.error.details);
      md.appendMarkdown(`${s.calm ? '$(info)' : '$(warning)'} ${escapeMarkdown(joinNextStep(t))}\n\n`);
      md.appendMarkdown(
        `${escapeMarkdown(vscode.l10n.t('Last checked:'))} ${codeSpan(new Date(s.at).toLocaleTimeString())}\n\n`,
      );
      const actions = [
        ...failureLinks(o.context, { reason: s.error.reason, interactive: s.interactive, ssh: s.ssh }),
        commandLink(vscode.l10n.t('Show Log'), CommandIds.showLog),
      ];
      md.appendMarkdown(`${actions.join(' · ')}\n\n`);
      return;
    }
  }
}
