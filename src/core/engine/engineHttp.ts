/**
 * One Engine API request with a deadline and cancellation, over whatever agent the caller
 * gives (a unix socket, TCP/TLS, or channels of a pooled SSH connection). The deadline covers
 * everything, including the wait for an SSH connection inside the agent: a request never hangs.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { CoreError, cancelledError } from '../common/errors';
import { daemonText } from './daemonText';

export interface EngineResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds from sending to the end of the response. */
  elapsedMs: number;
}

export interface EngineRequestOptions {
  /** Base options: an agent and the socketPath it is reached by (see enginePool.ts for why a path). */
  base: http.RequestOptions;
  method: 'GET' | 'HEAD';
  path: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Turns a transport failure into the CoreError the caller can explain (socket = the stream used, if any). */
  mapError: (error: unknown, socket: Duplex | undefined) => CoreError | Promise<CoreError>;
  /** Bodies beyond this are an error (default 8 MiB): /info and /version are a few KiB. */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
/** Above the agents' maxFreeSockets, so every idle connection may turn out stale. */
const MAX_STALE_RETRIES = 4;

export function engineRequest(o: EngineRequestOptions): Promise<EngineResponse> {
  // One promise whose timer, abort listener, stale-socket retries and body limit all settle it
  // through the same `settle`: split into functions, that shared state would be passed around.
  return new Promise<EngineResponse>((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(cancelledError());
      return;
    }
    let settled = false;
    let current: { req: http.ClientRequest; socket: Duplex | undefined } | undefined;
    const settle = (fn: () => void): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      current?.req.destroy();
      settle(() => reject(cancelledError()));
    };
    const timer = setTimeout(() => {
      current?.req.destroy();
      settle(() =>
        reject(
          new CoreError('timeout', `The Docker Engine did not answer ${o.method} ${o.path} within ${o.timeoutMs} ms.`, {
            timeoutMs: o.timeoutMs,
            request: `${o.method} ${o.path}`,
            stage: current?.socket ? 'response' : 'connect',
          }),
        ),
      );
    }, o.timeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const attempt = (retries: number): void => {
      const started = performance.now();
      const options: http.RequestOptions = {
        ...o.base,
        method: o.method,
        path: o.path,
        headers: { ...(o.base.headers ?? {}), 'User-Agent': 'remote-docker-contexts' },
      };
      const req = http.request(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          const limit = o.maxBodyBytes ?? DEFAULT_MAX_BODY;
          if (size > limit) {
            req.destroy();
            settle(() =>
              reject(
                new CoreError('engineApiError', `The answer to ${o.method} ${o.path} is larger than ${limit} bytes.`, {
                  request: `${o.method} ${o.path}`,
                  detail: 'tooLarge',
                  limitBytes: limit,
                }),
              ),
            );
            return;
          }
          chunks.push(c);
        });
        res.on('error', onError);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            settle(() => reject(apiError(status, body, `${o.method} ${o.path}`)));
            return;
          }
          settle(() => resolve({ status, headers: res.headers, body, elapsedMs: performance.now() - started }));
        });
      });
      const mine = { req, socket: undefined as Duplex | undefined };
      current = mine;
      req.on('socket', (s: Duplex) => {
        mine.socket = s;
      });
      function onError(e: unknown): void {
        if (settled || current !== mine) {
          return;
        }
        // A kept-alive connection the server closed while it sat idle (its close may still be
        // on the way): the request never reached the daemon, so trying again is safe (GET/HEAD
        // only). Each retry uses up one such connection; a fresh one failing ends it.
        if (retries < MAX_STALE_RETRIES && req.reusedSocket && isReset(e)) {
          attempt(retries + 1);
          return;
        }
        const s = mine.socket;
        settled = true;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        Promise.resolve()
          .then(() => (e instanceof CoreError ? e : o.mapError(e, s)))
          .then(reject, reject);
      }
      req.on('error', onError);
      req.end();
    };
    attempt(0);
  });
}

function isReset(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** The daemon's own message for an HTTP error (`{"message": "..."}`), with the status. */
export function apiError(status: number, body: Buffer | string, request: string): CoreError {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') {
      message = parsed.message;
    }
  } catch {
    // not JSON: keep the text
  }
  // The daemon's words reach tooltips and messages: one clean line, bounded.
  message = daemonText(message, 500);
  return new CoreError(
    'engineApiError',
    `The Docker Engine answered ${request} with HTTP ${status}${message ? `: ${message}` : ''}.`,
    {
      status,
      message,
      request,
    },
  );
}

/** The body as JSON, or an engineApiError naming the request. */
export function jsonBody(r: EngineResponse, request: string): unknown {
  try {
    return JSON.parse(r.body.toString('utf8')) as unknown;
  } catch {
    throw new CoreError('engineApiError', `The Docker Engine's answer to ${request} is not JSON.`, {
      status: r.status,
      request,
      detail: 'notJson',
    });
  }
}

/** Deeper than any real /info or /version; deeper still cannot be written back out as JSON safely. */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses a decoded answer nested deeper than `MAX_JSON_DEPTH` (walked without recursion, so
 * a hostile depth cannot exhaust the stack here).
 */
export function checkJsonDepth(value: unknown, request: string, maxDepth = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') {
      continue;
    }
    if (depth > maxDepth) {
      throw new CoreError('engineApiError', `The Docker Engine's answer to ${request} is nested too deeply.`, {
        request,
        detail: 'tooDeep',
        limit: maxDepth,
      });
    }
    for (const child of Object.values(v)) {
      stack.push([child, depth + 1]);
    }
  }
}
