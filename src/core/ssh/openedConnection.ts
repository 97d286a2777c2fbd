/**
 * An authenticated connection as callers hold it: what logged in, the host key, the jump hosts,
 * a `closed` promise that says whether it died (keepalive timeout, lost) or was closed, and a
 * `close()` that also closes the hops behind it.
 */
import type { Client } from 'ssh2';
import { CoreError, describeError } from '../common/errors';
import type { Logger } from '../common/log';
import type { EffectiveHost } from '../sshConfig/resolveHost';
import type { Authenticator } from './authenticator';
import type { SshConnection } from './connectTypes';
import { keyBlobFingerprint, keyBlobType } from './keyBlob';

export function openedConnection(
  client: Client,
  host: EffectiveHost,
  auth: Authenticator,
  verifier: { outcome(): string | undefined },
  hostKeyBlob: Buffer | undefined,
  via: SshConnection | undefined,
  logger: Logger,
): SshConnection {
  let closing = false;
  let died: CoreError | undefined;
  const where = { host: host.hostname, port: host.port };
  let resolveClosed: (e: CoreError | undefined) => void = () => undefined;
  const closed = new Promise<CoreError | undefined>((r) => (resolveClosed = r));
  client.on('error', (err: Error & { level?: string }) => {
    if (err.level === 'agent' || closing) {
      return;
    }
    died ??=
      err.level === 'client-timeout'
        ? new CoreError('timeout', `${host.hostname}:${host.port} stopped answering keepalives.`, {
            ...where,
            detail: 'keepalive',
          })
        : new CoreError('connectionLost', `The SSH connection to ${host.hostname}:${host.port} was lost.`, {
            ...where,
            message: describeError(err),
          });
  });
  client.on('close', () => {
    via?.close();
    if (!closing && !died) {
      died = new CoreError(
        'connectionLost',
        `The SSH connection to ${host.hostname}:${host.port} was closed by the other side.`,
        where,
      );
    }
    logger.debug(`ssh ${host.user}@${host.hostname}:${host.port}: closed${died ? ` (${died.reason})` : ''}`);
    resolveClosed(closing ? undefined : died);
  });
  const blob = hostKeyBlob ?? Buffer.alloc(0);
  const outcome = verifier.outcome();
  return {
    client,
    host,
    authMethod: auth.succeeded?.method ?? 'none',
    ...(auth.succeeded?.file ? { identityFile: auth.succeeded.file } : {}),
    hostKey: {
      type: keyBlobType(blob) ?? 'unknown',
      fingerprint: keyBlobFingerprint(blob),
      outcome: outcome === 'added' ? 'added' : 'trusted',
    },
    jumpHosts: via ? [...via.jumpHosts, via.host.alias] : [],
    closed,
    close(): void {
      if (closing) {
        return;
      }
      closing = true;
      try {
        client.end();
      } catch {
        // already closed
      }
      // A server that never acknowledges the disconnect must not keep the socket open.
      const t = setTimeout(() => client.destroy(), 2000);
      t.unref();
      void closed.then(() => clearTimeout(t));
      via?.close();
    },
  };
}
