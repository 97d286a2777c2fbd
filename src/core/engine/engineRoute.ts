/**
 * What the pool's parts share: the target a caller names, the route a request takes (the HTTP
 * base options, how failures are explained, the generation that invalidates cached /info), and
 * the decoration every error gets (the context and endpoint it was about).
 */
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { CoreError, describeError, type ErrorDetails } from '../common/errors';
import type { EngineTransport } from './engineInfo';

export interface EngineTarget {
  contextName: string;
  endpoint: string;
  skipTLSVerify?: boolean;
  /** contexts/tls/<id>/docker holding ca.pem / cert.pem / key.pem (tcp endpoints). */
  tlsDir?: string;
}

export interface Route {
  base: http.RequestOptions;
  transport: () => EngineTransport;
  mapError: (e: unknown, socket: Duplex | undefined) => CoreError | Promise<CoreError>;
  /**
   * Changes whenever what the daemon said may be stale: a new connection, a failed request, or
   * a connection the daemon closed (it stopped, or another daemon took over the socket).
   */
  generation: () => number;
  /** Tells the idle logic that a request runs (ssh only). */
  begin?: () => () => void;
  /** The daemon answered. */
  answered?: () => void;
  /** What an HTTP error answer means on this route, when more than the daemon's words (tcp only). */
  explainAnswer?: (e: CoreError) => CoreError;
}

/** The endpoint plus the TLS choices: two contexts with one URL but other certificates are two entries. */
export function cacheKey(target: EngineTarget): string {
  return `${target.endpoint}\n${target.tlsDir ?? ''}\n${target.skipTLSVerify ? 1 : 0}`;
}

/** True when a cacheKey belongs to this endpoint. */
export function keyOfEndpoint(key: string, endpoint: string): boolean {
  return key.startsWith(`${endpoint}\n`);
}

/** Adds the context and endpoint to an error's details (keys already set are kept). */
export function decorate(e: unknown, target: EngineTarget): CoreError {
  const err = e instanceof CoreError ? e : new CoreError('internal', describeError(e), {}, { cause: e });
  const d: ErrorDetails = err.details;
  if (d.endpoint === undefined) {
    d.endpoint = target.endpoint;
  }
  if (d.context === undefined) {
    d.context = target.contextName;
  }
  return err;
}
