import * as vscode from 'vscode';
import { PortsCommandIds, type PortsCommandKey } from '../base/commandIds';
import { wrapCommand } from '../base/runCommand';
import type { Services } from '../services';
import {
  copyLocalAddress,
  forwardAgain,
  forwardPort,
  openInBrowser,
  stopForwarding,
  type PortsCommandDeps,
} from './portCommands';
import { forwardCount } from './portPresentation';
import { PortsService } from './portsService';
import { PortsView } from './portsView';

/**
 * The ports feature in one call from activate(): the service that owns the forwarder, the Ports
 * view, its commands, and the status bar's count. Disposing the result closes every listener.
 */
export function registerPorts(s: Services): vscode.Disposable[] {
  const ports = new PortsService(s.engine, s.settings, s.logger);
  const d: PortsCommandDeps = { ports, logger: s.logger };
  const handlers: Record<PortsCommandKey, (...args: unknown[]) => unknown> = {
    openInBrowser: (arg) => openInBrowser(d, arg),
    copyLocalAddress: (arg) => copyLocalAddress(d, arg),
    stopForwarding: (arg) => stopForwarding(d, arg),
    forwardAgain: (arg) => forwardAgain(d, arg),
    forwardPort: () => forwardPort(d),
    refresh: () => ports.refresh(),
  };
  return [
    ports,
    new PortsView(ports),
    s.statusBar.showForwards({
      count: () => forwardCount(ports.snapshot()),
      onDidChange: (listener) => ports.onDidChange(() => listener()),
    }),
    ...(Object.keys(PortsCommandIds) as PortsCommandKey[]).map((key) =>
      vscode.commands.registerCommand(PortsCommandIds[key], wrapCommand(PortsCommandIds[key], handlers[key], s.logger)),
    ),
  ];
}
