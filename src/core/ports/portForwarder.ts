/**
 * The ports forwarder: every TCP port a running container publishes on the remote daemon of the
 * context this window talks to answers on this machine's loopback, piped through `direct-tcpip`
 * channels of the pooled SSH connection. (Skeleton: the behaviour follows.)
 */
import type Dockerode from 'dockerode';
import { CoreError } from '../common/errors';
import type { Logger } from '../common/log';
import type { SshLease } from '../engine/enginePool';
import type { ContainerRef, ForwardRow, PortsSnapshot } from './portsTypes';

/** The context this window talks to (ssh:// only). */
export interface PortsSubject {
  name: string;
  /** From EngineService.lease(summary, { interactive: false, signal }). */
  lease(signal: AbortSignal): Promise<SshLease>;
  /** From EngineService.docker(...). */
  docker(signal: AbortSignal): Promise<Dockerode>;
}

export interface PortsSettings {
  autoForward: boolean;
  ignorePorts: readonly number[];
}

export interface PortForwarderOptions {
  logger: Logger;
  settings: PortsSettings;
}

export class PortForwarder {
  constructor(private readonly o: PortForwarderOptions) {}

  follow(_subject: PortsSubject | undefined): void {
    throw new CoreError('internal', 'not yet');
  }

  configure(_settings: PortsSettings): void {
    throw new CoreError('internal', 'not yet');
  }

  snapshot(): PortsSnapshot {
    return { context: undefined, auto: this.o.settings.autoForward, stream: { kind: 'idle' }, rows: [] };
  }

  onDidChange(_listener: (s: PortsSnapshot) => void): { dispose(): void } {
    return { dispose: () => undefined };
  }

  stop(_rowId: string): void {
    throw new CoreError('internal', 'not yet');
  }

  resume(_rowId: string): Promise<void> {
    return Promise.reject(new CoreError('internal', 'not yet'));
  }

  unpublished(_signal?: AbortSignal): Promise<{ container: ContainerRef; ports: number[] }[]> {
    return Promise.reject(new CoreError('internal', 'not yet'));
  }

  forwardManual(_containerId: string, _containerPort: number, _signal?: AbortSignal): Promise<ForwardRow> {
    return Promise.reject(new CoreError('internal', 'not yet'));
  }

  dispose(): void {}
}
