import * as vscode from 'vscode';
import type { ForwardAddress, ForwardRow, PortsSnapshot } from '../../core/ports/portsTypes';
import { errorSentence } from '../base/errorMessages';
import { codeSpan, escapeMarkdown } from '../base/presentation';

/**
 * The words and Markdown of the Ports view, written once for the tree, the pickers and the
 * status bar. Plain functions of a row: they run under plain Node in the unit tests.
 */

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `host:port`, an IPv6 host in brackets. */
export function addressText(a: ForwardAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Where the forward answers on this machine, as people type it (`localhost:8080`); undefined while not listening. */
export function localAddressText(row: ForwardRow): string | undefined {
  if (!row.local) {
    return undefined;
  }
  return LOOPBACK.has(row.local.host) ? `localhost:${row.local.port}` : addressText(row.local);
}

/** What Open in Browser opens: the local address, never the remote one. */
export function localUrl(row: ForwardRow): string | undefined {
  const a = localAddressText(row);
  return a === undefined ? undefined : `http://${a}/`;
}

/** True when a connection to the local address is piped now. */
export function isListening(row: ForwardRow): boolean {
  return row.local !== undefined && (row.state.kind === 'forwarding' || row.state.kind === 'moved');
}

/** Forwards that answer on this machine now (the view's badge and the status bar's count). */
export function forwardCount(snap: PortsSnapshot): number {
  return snap.context === undefined ? 0 : snap.rows.filter(isListening).length;
}

/** The short state word(s) after a row. */
export function stateText(row: ForwardRow): string {
  const s = row.state;
  switch (s.kind) {
    case 'forwarding':
      return vscode.l10n.t('forwarding');
    case 'moved':
      return vscode.l10n.t('local port {0} taken, moved to {1}', s.wantedPort, row.local?.port ?? '?');
    case 'localTaken':
      return vscode.l10n.t('local port taken');
    case 'remoteRefused':
      return vscode.l10n.t('remote refused');
    case 'forbidden':
      return vscode.l10n.t('forwarding forbidden by sshd');
    case 'stopped':
      return vscode.l10n.t('stopped');
  }
}

/** The tree row's label: remote address → local address. */
export function rowLabel(row: ForwardRow): string {
  return `${addressText(row.remote)} → ${localAddressText(row) ?? '—'}`;
}

/** The tree row's description: the state, and "manual" for a port forwarded by hand. */
export function rowDescription(row: ForwardRow): string {
  const parts = [stateText(row)];
  if (row.origin === 'manual') {
    parts.push(vscode.l10n.t('manual'));
  }
  if (row.connections.open > 0) {
    parts.push(vscode.l10n.t('{0} open', row.connections.open));
  }
  return parts.join(' · ');
}

/** What a screen reader says for a row. */
export function rowSpoken(row: ForwardRow): string {
  const local = localAddressText(row);
  return local
    ? vscode.l10n.t(
        'Port {0} of container {1}, published at {2}, answers at {3}: {4}',
        row.containerPort,
        row.container.name,
        addressText(row.remote),
        local,
        stateText(row),
      )
    : vscode.l10n.t(
        'Port {0} of container {1}, published at {2}, not forwarded: {3}',
        row.containerPort,
        row.container.name,
        addressText(row.remote),
        stateText(row),
      );
}

/** The error's sentence carries the fix (e.g. `AllowTcpForwarding yes` for a forbidden forward). */
export function rowTooltip(row: ForwardRow): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(row.container.name)}** ${codeSpan(row.container.image)}\n\n`);
  const line = (label: string, value: string): void => {
    md.appendMarkdown(`${escapeMarkdown(label)} ${codeSpan(value)}  \n`);
  };
  line(vscode.l10n.t('Container port:'), `${row.containerPort}/tcp`);
  line(vscode.l10n.t('Remote address:'), addressText(row.remote));
  const local = localAddressText(row);
  if (local) {
    line(vscode.l10n.t('Local address:'), local);
  }
  line(vscode.l10n.t('State:'), stateText(row));
  line(
    vscode.l10n.t('Connections:'),
    vscode.l10n.t('{0} open, {1} in all', row.connections.open, row.connections.total),
  );
  md.appendMarkdown('\n');
  const s = row.state;
  if (s.kind === 'localTaken' || s.kind === 'remoteRefused' || s.kind === 'forbidden') {
    md.appendMarkdown(`$(warning) ${escapeMarkdown(errorSentence(s.error))}\n\n`);
  }
  if (s.kind === 'stopped') {
    md.appendMarkdown(
      `$(info) ${escapeMarkdown(vscode.l10n.t('Forwarding was stopped. Forward Again listens on this machine again.'))}\n\n`,
    );
  }
  md.appendMarkdown(
    `${escapeMarkdown(vscode.l10n.t("Listens on this machine's loopback only. UDP is not forwarded."))}\n\n`,
  );
  return md;
}

/** The line above the tree: why nothing moves (stream down, auto-forward off), then the scope of forwarding. */
export function viewMessage(snap: PortsSnapshot): string | undefined {
  if (snap.context === undefined) {
    return undefined;
  }
  const parts: string[] = [];
  // sshd forbids every forward alike: the fix once, above the rows, not only in each tooltip.
  const forbidden = snap.rows.find((r) => r.state.kind === 'forbidden')?.state;
  if (forbidden?.kind === 'forbidden') {
    parts.push(errorSentence(forbidden.error));
  }
  const st = snap.stream;
  if (st.kind === 'failed') {
    parts.push(vscode.l10n.t('Cannot follow the containers of {0}: {1}', snap.context, errorSentence(st.error)));
  } else if (st.kind === 'reconnecting') {
    parts.push(vscode.l10n.t('The connection to {0} was lost; reconnecting…', snap.context));
  }
  if (!snap.auto) {
    parts.push(vscode.l10n.t('Auto-forward is off (remoteDocker.ports.autoForward): use Forward a Port…'));
  }
  if (snap.rows.length > 0) {
    parts.push(
      vscode.l10n.t("TCP ports only (UDP is not forwarded); listeners accept on this machine's loopback only."),
    );
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The status bar's line, e.g. "3 ports forwarded to this machine". */
export function forwardsLine(count: number): string {
  return count === 1
    ? vscode.l10n.t('1 port forwarded to this machine')
    : vscode.l10n.t('{0} ports forwarded to this machine', count);
}
