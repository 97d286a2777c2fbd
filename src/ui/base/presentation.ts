import * as vscode from 'vscode';
import type { CurrentContext } from '../../core/contexts/contextStore';
import type { Reason } from '../../core/common/errors';
import type { EnvOverrides } from '../../core/contexts/envOverrides';
import { oneLine } from '../../core/engine/daemonText';

/** Sentences shared by the tree, the status bar and the pickers, so they explain things alike. */

/**
 * Text as itself in Markdown. `:` is escaped too: VS Code's renderer (marked, GFM) turns a bare
 * `http://…` or `www.…` in text into a link, and an escaped `\:` or `\.` keeps it text.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$:&]/g, (c) => `\\${c}`);
}

/**
 * Inline code that survives backticks in the text. The text is put on one line first: a blank
 * line would end the span and let the rest be read as Markdown (links, images).
 */
export function codeSpan(value: string): string {
  const text = oneLine(value);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Why this context is the one `docker` uses. */
export function whyCurrent(current: CurrentContext, configFile: string): string {
  switch (current.source) {
    case 'DOCKER_HOST':
      return vscode.l10n.t('DOCKER_HOST is set, which forces the "default" context.');
    case 'DOCKER_CONTEXT':
      return vscode.l10n.t('DOCKER_CONTEXT is set to "{0}".', current.name);
    case 'config':
      return vscode.l10n.t('Selected in {0} (as by "docker context use").', configFile);
    case 'default':
      return vscode.l10n.t('No context is selected, so docker uses "default".');
  }
}

/** Short marker for the source when it is an environment variable, e.g. "DOCKER_HOST". */
export function envMarker(current: CurrentContext | undefined): string | undefined {
  return current && (current.source === 'DOCKER_HOST' || current.source === 'DOCKER_CONTEXT')
    ? current.source
    : undefined;
}

/** One warning per override variable set in VS Code's environment. */
export function envOverrideWarnings(env: EnvOverrides): string[] {
  const out: string[] = [];
  if (env.dockerHost) {
    out.push(
      vscode.l10n.t(
        "DOCKER_HOST is set in VS Code's environment ({0}): docker in terminals uses that daemon, and switching contexts here does not change that.",
        env.dockerHost,
      ),
    );
  }
  if (env.dockerContext) {
    out.push(
      env.dockerHost
        ? vscode.l10n.t(
            "DOCKER_CONTEXT is also set in VS Code's environment ({0}), but DOCKER_HOST takes precedence.",
            env.dockerContext,
          )
        : vscode.l10n.t(
            'DOCKER_CONTEXT is set in VS Code\'s environment: docker in terminals uses context "{0}", and switching contexts here does not change that.',
            env.dockerContext,
          ),
    );
  }
  return out;
}

/** Row descriptions are narrow: a few words here, the full sentence in the tooltip. */
export function brokenDescription(reason: Reason, fallback: string): string {
  switch (reason) {
    case 'contextMetaCorrupt':
      return vscode.l10n.t('broken: meta.json is not valid');
    case 'contextMetaUnreadable':
      return vscode.l10n.t('broken: meta.json cannot be read');
    case 'contextNotFound':
      return vscode.l10n.t('does not exist');
    case 'endpointInvalid':
      return vscode.l10n.t('invalid DOCKER_HOST');
    default:
      return fallback;
  }
}
