import * as vscode from 'vscode';
import type { ContainerRef, ForwardRow } from '../../core/ports/portsTypes';
import { inputStep, pickOne, BACK } from '../base/prompts';
import { UserCancelledError } from '../base/userCancelledError';
import type { OutputChannelLogger } from '../base/logging';
import { asPortForwardNode } from './portNodes';
import { addressText, isListening, localAddressText, localUrl, rowDescription } from './portPresentation';
import type { PortsService } from './portsService';

/**
 * The Ports view's commands. Each takes the row the view passes (inline button, context menu)
 * and, from the command palette, asks for one with a picker: one code path for all three.
 */

export interface PortsCommandDeps {
  readonly ports: PortsService;
  readonly logger: OutputChannelLogger;
}

/** The row a command acts on: the node's row as the forwarder knows it now, else one picked from those that qualify. */
async function targetRow(
  d: PortsCommandDeps,
  arg: unknown,
  title: string,
  qualifies: (r: ForwardRow) => boolean,
): Promise<ForwardRow> {
  const node = asPortForwardNode(arg);
  if (node) {
    const row = d.ports.row(node.row.id);
    if (!row) {
      throw new UserCancelledError(vscode.l10n.t('The port is no longer forwarded.'));
    }
    return row;
  }
  const rows = d.ports.snapshot().rows.filter(qualifies);
  if (rows.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No forwarded port to choose from.'));
    throw new UserCancelledError(title);
  }
  const picked = await pickOne({
    title,
    placeholder: vscode.l10n.t('Choose a forwarded port'),
    items: rows.map((row) => ({
      label: `${row.container.name}: ${addressText(row.remote)} → ${localAddressText(row) ?? '—'}`,
      description: rowDescription(row),
      row,
    })),
  });
  return picked.row;
}

export async function openInBrowser(d: PortsCommandDeps, arg?: unknown): Promise<void> {
  const row = await targetRow(d, arg, vscode.l10n.t('Open in Browser'), isListening);
  const url = localUrl(row);
  if (!url) {
    throw new UserCancelledError('not listening');
  }
  // The local address, never the remote one: that is what answers on this machine.
  d.logger.info(`Ports: opening ${url} (container ${row.container.name} port ${row.containerPort})`);
  await vscode.env.openExternal(vscode.Uri.parse(url));
}

export async function copyLocalAddress(d: PortsCommandDeps, arg?: unknown): Promise<void> {
  const row = await targetRow(d, arg, vscode.l10n.t('Copy Local Address'), isListening);
  const address = localAddressText(row);
  if (!address) {
    throw new UserCancelledError('not listening');
  }
  await vscode.env.clipboard.writeText(address);
  d.logger.info(`Ports: copied ${address} (container ${row.container.name} port ${row.containerPort})`);
  void vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', address), 3000);
}

export async function stopForwarding(d: PortsCommandDeps, arg?: unknown): Promise<void> {
  const row = await targetRow(d, arg, vscode.l10n.t('Stop Forwarding'), (r) => r.state.kind !== 'stopped');
  d.logger.info(`Ports: stop forwarding ${row.container.name} ${addressText(row.remote)}`);
  d.ports.stop(row.id);
}

export async function forwardAgain(d: PortsCommandDeps, arg?: unknown): Promise<void> {
  const row = await targetRow(d, arg, vscode.l10n.t('Forward Again'), (r) => !isListening(r));
  d.logger.info(`Ports: forward again ${row.container.name} ${addressText(row.remote)}`);
  await d.ports.resume(row.id);
}

interface PortPick extends vscode.QuickPickItem {
  container: ContainerRef;
  /** Undefined: ask for the number. */
  port?: number;
}

function parsePort(v: string): number | undefined {
  const n = /^\s*\d{1,5}\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65_535 ? n : undefined;
}

/** "Forward a Port…": a port of a running container that is not published, reached from the remote side. */
export async function forwardPort(d: PortsCommandDeps): Promise<void> {
  const title = vscode.l10n.t('Forward a Port');
  if (d.ports.context === undefined) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('The current Docker context does not reach its daemon over SSH: there is nothing to forward.'),
    );
    return;
  }
  const candidates = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Listing containers…') },
    () => d.ports.unpublished(AbortSignal.timeout(30_000)),
  );
  const items: PortPick[] = candidates.flatMap(({ container, ports }) => [
    ...ports.map((port) => ({
      label: `${container.name}: ${port}/tcp`,
      description: container.image,
      container,
      port,
    })),
    { label: vscode.l10n.t('{0}: another port…', container.name), description: container.image, container },
  ]);
  if (items.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No running container on {0}.', d.ports.context));
    return;
  }
  const picked = await pickOne({ title, placeholder: vscode.l10n.t('Container port to forward'), items });
  let port = picked.port;
  if (port === undefined) {
    const typed = await inputStep({
      title,
      step: 1,
      totalSteps: 1,
      prompt: vscode.l10n.t('Port of {0} (TCP)', picked.container.name),
      placeholder: '8080',
      validate: (v) => (parsePort(v) === undefined ? vscode.l10n.t('A port number from 1 to 65535') : undefined),
    });
    port = typed === BACK ? undefined : parsePort(typed);
    if (port === undefined) {
      throw new UserCancelledError(title);
    }
  }
  const row = await d.ports.forwardManual(picked.container.id, port, AbortSignal.timeout(30_000));
  const local = localAddressText(row);
  d.logger.info(`Ports: forwarding ${picked.container.name} port ${port} at ${local ?? '(not listening)'}`);
  if (local) {
    const open = vscode.l10n.t('Open in Browser');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Port {0} of {1} answers at {2}.', port, picked.container.name, local),
      open,
    );
    if (choice === open) {
      await vscode.env.openExternal(vscode.Uri.parse(`http://${local}/`));
    }
  }
}
