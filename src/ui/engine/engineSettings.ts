import * as vscode from 'vscode';
import { parseStatusFormat, type StatusFormat } from '../../core/engine/engineStatusFormat';
import { SETTINGS_SECTION } from '../base/ids';

/** The `remoteDocker.*` settings of the engine features, as plain values (milliseconds) for the core. */
export interface EngineSettings {
  readonly statusFormat: StatusFormat;
  /** 0 = no periodic refresh. */
  readonly refreshIntervalMs: number;
  /** Deadline of one Engine API call, including the connection it waits for. */
  readonly requestTimeoutMs: number;
  /** An SSH connection of the pool without requests for this long is closed. */
  readonly idleTimeoutMs: number;
  /** SSH keepalive for hosts whose configuration sets no ServerAliveInterval; 0 = off. */
  readonly keepaliveIntervalMs: number;
  /** How long a row's probe result counts as fresh. */
  readonly probeTtlMs: number;
}

export const ENGINE_DEFAULTS = {
  refreshIntervalSeconds: 30,
  requestTimeoutSeconds: 30,
  idleTimeoutSeconds: 300,
  keepaliveIntervalSeconds: 15,
  probeTtlSeconds: 60,
} as const;

/** A periodic refresh faster than this would only load the remote host. */
const MIN_REFRESH_INTERVAL_MS = 200;

function seconds(c: vscode.WorkspaceConfiguration, key: string, fallback: number, min: number, max: number): number {
  const v = c.get<number>(key, fallback);
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(Math.max(v, min), max) : fallback;
}

export function readEngineSettings(): EngineSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const interval = seconds(c, 'statusBar.refreshInterval', ENGINE_DEFAULTS.refreshIntervalSeconds, 0, 86_400) * 1000;
  return {
    statusFormat: parseStatusFormat(c.get<string>('statusBar.format', 'full')),
    refreshIntervalMs: interval <= 0 ? 0 : Math.max(interval, MIN_REFRESH_INTERVAL_MS),
    requestTimeoutMs: seconds(c, 'engine.requestTimeout', ENGINE_DEFAULTS.requestTimeoutSeconds, 1, 600) * 1000,
    idleTimeoutMs: seconds(c, 'engine.idleTimeout', ENGINE_DEFAULTS.idleTimeoutSeconds, 1, 86_400) * 1000,
    keepaliveIntervalMs: seconds(c, 'ssh.keepaliveInterval', ENGINE_DEFAULTS.keepaliveIntervalSeconds, 0, 3_600) * 1000,
    probeTtlMs: seconds(c, 'contexts.probeTtl', ENGINE_DEFAULTS.probeTtlSeconds, 0, 86_400) * 1000,
  };
}
