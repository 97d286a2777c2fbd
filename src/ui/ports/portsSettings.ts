import * as vscode from 'vscode';
import type { PortsSettings } from '../../core/ports/portForwarder';
import { SETTINGS_SECTION } from '../base/ids';

/** Port numbers from the settings box: integers 1–65535, each once, in the order given. */
export function parseIgnoredPorts(value: unknown): number[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const out: number[] = [];
  for (const v of value as unknown[]) {
    const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65_535 && !out.includes(n)) {
      out.push(n);
    }
  }
  return out;
}

/** `remoteDocker.ports.*` as plain values for the forwarder. */
export function readPortsSettings(): PortsSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return {
    autoForward: c.get<boolean>('ports.autoForward', true) !== false,
    ignorePorts: parseIgnoredPorts(c.get<unknown>('ports.ignore', [])),
  };
}

export function samePortsSettings(a: PortsSettings, b: PortsSettings): boolean {
  return (
    a.autoForward === b.autoForward &&
    a.ignorePorts.length === b.ignorePorts.length &&
    a.ignorePorts.every((p, i) => p === b.ignorePorts[i])
  );
}
