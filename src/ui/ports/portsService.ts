import * as vscode from 'vscode';
import { describeError } from '../../core/common/errors';
import type { EngineSubject } from '../../core/engine/engineMonitor';
import { PortForwarder, type PortsSubject } from '../../core/ports/portForwarder';
import type { ContainerRef, ForwardRow, PortsSnapshot } from '../../core/ports/portsTypes';
import { WhenKeys } from '../base/ids';
import type { OutputChannelLogger } from '../base/logging';
import type { SettingsService } from '../base/settings';
import type { EngineService } from '../engine/engineService';
import { readPortsSettings, samePortsSettings } from './portsSettings';

/** Only an ssh:// daemon is forwarded: a local socket or a tcp:// daemon is reached directly. */
export function isSshSubject(s: EngineSubject | undefined): s is EngineSubject {
  return !!s && s.endpoint.toLowerCase().startsWith('ssh://');
}

/** The forwarder's view of a context: its pooled connection and its daemon, never asking anything (background work). */
export function portsSubjectOf(engine: Pick<EngineService, 'lease' | 'docker'>, summary: EngineSubject): PortsSubject {
  return {
    name: summary.name,
    lease: (signal) => engine.lease(summary, { interactive: false, signal }),
    docker: (signal) => engine.docker(summary, { interactive: false, signal }),
  };
}

/**
 * The edge of the ports forwarder (src/core/ports/portForwarder.ts): it owns the forwarder,
 * points it at the daemon this window talks to (EngineService's status subject, ssh:// only),
 * hands it the settings when they change, and turns its snapshots into a VS Code event the Ports
 * view and the status bar subscribe to.
 */
export class PortsService implements vscode.Disposable {
  private readonly forwarder: PortForwarder;
  private readonly emitter = new vscode.EventEmitter<PortsSnapshot>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private settingsValue = readPortsSettings();
  private subject: EngineSubject | undefined;
  /** False until the first follow, and after a restart: the next follow runs even for the same daemon. */
  private following = false;
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly engine: EngineService,
    settings: SettingsService,
    private readonly logger: OutputChannelLogger,
  ) {
    this.forwarder = new PortForwarder({ logger, settings: this.settingsValue });
    this.subscriptions.push(
      this.emitter,
      this.forwarder.onDidChange((s) => this.emitter.fire(s)),
      engine.onDidChangeStatusSubject((s) => this.follow(s)),
      settings.onDidChange(() => this.applySettings()),
    );
    this.follow(engine.statusSubject);
  }

  /** The context whose ports are forwarded (undefined: the current daemon is not ssh://). */
  get context(): string | undefined {
    return this.subject?.name;
  }

  snapshot(): PortsSnapshot {
    return this.forwarder.snapshot();
  }

  row(id: string): ForwardRow | undefined {
    return this.snapshot().rows.find((r) => r.id === id);
  }

  stop(rowId: string): void {
    this.forwarder.stop(rowId);
  }

  resume(rowId: string): Promise<void> {
    return this.forwarder.resume(rowId);
  }

  unpublished(signal?: AbortSignal): Promise<{ container: ContainerRef; ports: number[] }[]> {
    return this.forwarder.unpublished(signal);
  }

  forwardManual(containerId: string, containerPort: number, signal?: AbortSignal): Promise<ForwardRow> {
    return this.forwarder.forwardManual(containerId, containerPort, signal);
  }

  /**
   * Refresh: the settings read again; a forwarder whose events stream failed starts over (one
   * that is live or reconnecting by itself keeps its listeners).
   */
  refresh(): void {
    this.applySettings();
    if (this.forwarder.snapshot().stream.kind === 'failed') {
      this.forwarder.follow(undefined);
      this.following = false;
    }
    this.follow(this.engine.statusSubject);
    this.emitter.fire(this.forwarder.snapshot());
  }

  private follow(s: EngineSubject | undefined): void {
    const next = isSshSubject(s) ? s : undefined;
    if (this.following && next?.name === this.subject?.name && next?.endpoint === this.subject?.endpoint) {
      return;
    }
    this.following = true;
    this.subject = next;
    this.logger.info(
      next
        ? `Ports: forwarding the ports of context ${next.name}`
        : 'Ports: the current daemon is not ssh://, nothing forwarded',
    );
    this.updateWhenKey();
    try {
      this.forwarder.follow(next && portsSubjectOf(this.engine, next));
    } catch (e) {
      // This runs in the engine's event loop: a fault of the ports feature must not break the status.
      this.logger.error(`Ports: could not follow ${next?.name ?? 'no context'}: ${describeError(e)}`);
    }
    this.emitter.fire(this.forwarder.snapshot());
  }

  private applySettings(): void {
    const next = readPortsSettings();
    if (samePortsSettings(next, this.settingsValue)) {
      return;
    }
    this.settingsValue = next;
    this.logger.info(
      `Ports: auto-forward ${next.autoForward ? 'on' : 'off'}, ignored ports: ${next.ignorePorts.join(', ') || 'none'}`,
    );
    this.forwarder.configure(next);
    this.updateWhenKey();
  }

  /** Which welcome content an empty view shows: not ssh://, nothing published, or auto-forward off. */
  private updateWhenKey(): void {
    const value = !this.subject ? 'none' : this.settingsValue.autoForward ? 'ssh' : 'sshManual';
    void vscode.commands.executeCommand('setContext', WhenKeys.portsSubject, value);
  }

  dispose(): void {
    // Every local listener closes with it.
    this.forwarder.dispose();
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}
