/**
 * dockerode instances the pool hands out: every connection field given explicitly, nothing
 * taken from this process's DOCKER_* environment, and every call given a deadline and
 * CoreError reasons.
 */
import type * as http from 'node:http';
import type Dockerode from 'dockerode';
import { CoreError, cancelledError } from '../common/errors';
import { apiError } from './engineHttp';

/** Variables docker-modem's constructor reads (lib/modem.js defaultOpts). */
const MODEM_ENV = [
  'DOCKER_HOST',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
  'DOCKER_PATH_PREFIX',
  'DOCKER_CLIENT_TIMEOUT',
] as const;

export interface DockerodeTransport {
  /** unix / npipe socket path (host then undefined). */
  socketPath?: string;
  /** tcp host, or a placeholder name for channel transports. */
  host?: string;
  port?: number;
  protocol: 'http' | 'https';
  agent: http.Agent;
}

export interface DockerodeCallOptions {
  /** Deadline until the answer starts (streams then run on without one). */
  timeoutMs: number;
  /** Turns a failure that is not an HTTP answer into a CoreError. */
  mapError: (error: unknown) => CoreError | Promise<CoreError>;
}

/**
 * docker-modem merges `DOCKER_HOST` & co. from process.env under the given options, and its
 * constructor throws on a DOCKER_HOST it cannot parse or a DOCKER_CERT_PATH without files.
 * Every field is passed explicitly (undefined included, so the environment's value is
 * overwritten), and the variables are hidden for the duration of the synchronous constructor
 * call, so no other code can observe the change.
 */
export function createDockerode(t: DockerodeTransport, call: DockerodeCallOptions): Dockerode {
  const saved = new Map<string, string>();
  for (const name of MODEM_ENV) {
    const v = process.env[name];
    if (v !== undefined) {
      saved.set(name, v);
      delete process.env[name];
    }
  }
  let docker: Dockerode;
  try {
    const options: Dockerode.DockerOptions & { agent: http.Agent; pathPrefix?: string; connectionTimeout?: number } = {
      socketPath: t.socketPath,
      host: t.host,
      port: t.port,
      protocol: t.protocol,
      username: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      timeout: undefined,
      version: undefined,
      sshOptions: {},
      pathPrefix: undefined,
      connectionTimeout: undefined,
      agent: t.agent,
    };
    docker = new (loadDockerode())(options);
  } finally {
    for (const [name, v] of saved) {
      process.env[name] = v;
    }
  }
  wrapDial(docker, call);
  return docker;
}

/**
 * dockerode is loaded on first use, not when the bundle is evaluated: with docker-modem and its
 * gRPC/protobuf parts it is most of the extension's start-up cost, and activation never needs it.
 */
function loadDockerode(): typeof Dockerode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deliberate lazy load (see above)
  return require('dockerode') as typeof Dockerode;
}

interface DialOptions {
  abortSignal?: AbortSignal;
  [key: string]: unknown;
}
type DialCallback = (err: unknown, result: unknown) => void;
type Dial = (options: DialOptions, callback: DialCallback) => void;

/**
 * Wraps this instance's `modem.dial` (the single call every dockerode method goes through):
 * a deadline until the answer starts, the caller's abortSignal kept working for streams, and
 * failures as CoreErrors (the daemon's HTTP errors as engineApiError with status and message).
 */
function wrapDial(docker: Dockerode, call: DockerodeCallOptions): void {
  // The modem is docker-modem's; only its dial method is replaced, on this instance.
  const modem = docker.modem as unknown as { dial: Dial };
  const original: Dial = modem.dial.bind(modem);
  modem.dial = (options: DialOptions, callback: DialCallback): void => {
    const ac = new AbortController();
    const user = options.abortSignal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, call.timeoutMs);
    const onUserAbort = (): void => ac.abort();
    if (user?.aborted) {
      ac.abort();
    } else {
      user?.addEventListener('abort', onUserAbort, { once: true });
    }
    original({ ...options, abortSignal: ac.signal }, (err: unknown, result: unknown) => {
      clearTimeout(timer);
      if (!err) {
        // A stream answer (events, logs) keeps the caller's signal until it closes; any other
        // answer is complete, so the listener goes now (a long-lived signal would collect them).
        const stream = result as { once?: (event: string, listener: () => void) => unknown } | null;
        if (user && stream && typeof stream.once === 'function') {
          stream.once('close', () => user.removeEventListener('abort', onUserAbort));
        } else {
          user?.removeEventListener('abort', onUserAbort);
        }
        callback(null, result);
        return;
      }
      user?.removeEventListener('abort', onUserAbort);
      Promise.resolve()
        .then(() =>
          mapDialError(
            err,
            {
              timedOut,
              userAborted: !!user?.aborted,
              timeoutMs: call.timeoutMs,
              path: typeof options.path === 'string' ? options.path : '',
            },
            call.mapError,
          ),
        )
        .then(
          (e) => callback(e, null),
          (e: unknown) => callback(e, null),
        );
    });
  };
}

async function mapDialError(
  err: unknown,
  s: { timedOut: boolean; userAborted: boolean; timeoutMs: number; path: string },
  mapError: (e: unknown) => CoreError | Promise<CoreError>,
): Promise<CoreError> {
  if (err instanceof CoreError) {
    return err;
  }
  const e = err as { statusCode?: unknown; json?: unknown; message?: unknown; name?: unknown };
  if (typeof e?.statusCode === 'number') {
    const body =
      e.json !== undefined && e.json !== null
        ? Buffer.isBuffer(e.json)
          ? e.json
          : JSON.stringify(e.json)
        : typeof e.message === 'string'
          ? e.message
          : '';
    return apiError(e.statusCode, body, s.path.replace(/\?.*$/, ''));
  }
  if (s.timedOut) {
    return new CoreError(
      'timeout',
      `The Docker Engine did not answer ${s.path.replace(/\?.*$/, '')} within ${s.timeoutMs} ms.`,
      { timeoutMs: s.timeoutMs },
    );
  }
  if (s.userAborted) {
    return cancelledError();
  }
  return mapError(err);
}
