/**
 * What the forwarder asks the remote daemon, over the pool's dockerode (so its channels ride the
 * pooled SSH connection and its deadline applies until an answer starts): the running
 * containers, one container's networks, and the long-lived `/events` stream. Bodies are read
 * with the limits the status path has: a whole answer at most 8 MiB, one event line at most
 * 1 MiB, JSON not nested beyond 64 levels.
 */
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { CoreError, cancelledError, describeError } from '../common/errors';
import { checkJsonDepth } from '../engine/engineHttp';

export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
export const MAX_EVENT_LINE_BYTES = 1024 * 1024;

interface DialOptions {
  path: string;
  method: 'GET';
  options: Record<string, unknown>;
  abortSignal?: AbortSignal;
  isStream: true;
  statusCodes: Record<number, true | string>;
}
type Dial = (o: DialOptions, cb: (err: unknown, res: unknown) => void) => void;

/**
 * A streamed GET through the modem's `dial` (wrapped by the pool with its deadline and error
 * reasons); the stream comes back as soon as the daemon's headers do. dockerode's own helpers
 * would buffer answers without a size limit and put `abortSignal` into the query string.
 */
function streamGet(
  docker: Dockerode,
  path: string,
  query: Record<string, unknown>,
  signal: AbortSignal,
): Promise<Readable> {
  const modem = docker.modem as unknown as { dial: Dial };
  return new Promise((resolve, reject) => {
    modem.dial(
      {
        path: `${path}?`,
        method: 'GET',
        options: query,
        abortSignal: signal,
        isStream: true,
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
      },
      (err, res) =>
        err ? reject(err instanceof Error ? err : new Error(describeError(err))) : resolve(res as Readable),
    );
  });
}

function tooLarge(request: string, limit: number): CoreError {
  return new CoreError('engineApiError', `The answer to ${request} is larger than ${limit} bytes.`, {
    request,
    detail: 'tooLarge',
    limitBytes: limit,
  });
}

function parseJson(text: string, request: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch {
    throw new CoreError('engineApiError', `The Docker Engine's answer to ${request} is not JSON.`, {
      request,
      detail: 'notJson',
    });
  }
  checkJsonDepth(v, request);
  return v;
}

/**
 * A GET whose JSON answer is read whole (at most MAX_ANSWER_BYTES). The request gets a signal of
 * its own, tied to the caller's only while it runs: the pool's dial leaves its abort listener on
 * the signal it is given, and the caller's may live as long as the session.
 */
async function getJson(docker: Dockerode, path: string, query: Record<string, unknown>, signal: AbortSignal) {
  const request = `GET ${path}`;
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  if (signal.aborted) {
    throw cancelledError();
  }
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await streamGet(docker, path, query, ac.signal);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) {
          throw tooLarge(request, MAX_ANSWER_BYTES);
        }
        chunks.push(c);
      }
    } catch (e) {
      res.destroy();
      throw signal.aborted ? cancelledError() : e;
    }
    return parseJson(Buffer.concat(chunks).toString('utf8'), request);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** One entry of `GET /containers/json` (the fields used here). */
export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
}

export async function listRunning(docker: Dockerode, signal: AbortSignal): Promise<ContainerSummary[]> {
  const v = await getJson(docker, '/containers/json', {}, signal);
  if (!Array.isArray(v)) {
    throw new CoreError('engineApiError', 'The answer to GET /containers/json is not a list.', {
      request: 'GET /containers/json',
      detail: 'notJson',
    });
  }
  return (v as ContainerSummary[]).filter((c) => typeof c?.Id === 'string');
}

/** The container's addresses on its networks (for a port it does not publish), first the first network's. */
export async function containerAddresses(docker: Dockerode, id: string, signal: AbortSignal): Promise<string[]> {
  const v = (await getJson(docker, `/containers/${encodeURIComponent(id)}/json`, {}, signal)) as {
    NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
  };
  const out: string[] = [];
  for (const n of Object.values(v?.NetworkSettings?.Networks ?? {})) {
    if (typeof n?.IPAddress === 'string' && n.IPAddress) {
      out.push(n.IPAddress);
    }
  }
  const legacy = v?.NetworkSettings?.IPAddress;
  if (typeof legacy === 'string' && legacy && !out.includes(legacy)) {
    out.push(legacy);
  }
  return out;
}

export interface DaemonEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** The events that change which ports are published where (docker events --filter …). */
const EVENT_FILTERS = {
  type: ['container', 'network'],
  event: ['start', 'die', 'destroy', 'rename', 'connect', 'disconnect'],
};

export interface EventStream {
  /** Settles when the stream ends: with its error, or undefined when the daemon closed it. */
  readonly done: Promise<CoreError | Error | undefined>;
  close(): void;
}

/**
 * Opens `GET /events` and resolves once the daemon has answered (from then on no event is
 * missed, so a listing made after this is current). Each line is one event; a line longer than
 * MAX_EVENT_LINE_BYTES ends the stream with an error (a daemon never sends one).
 */
export async function openEvents(
  docker: Dockerode,
  signal: AbortSignal,
  onEvent: (e: DaemonEvent) => void,
): Promise<EventStream> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let res: Readable;
  try {
    res = await streamGet(docker, '/events', { filters: EVENT_FILTERS }, ac.signal);
  } catch (e) {
    signal.removeEventListener('abort', onAbort);
    throw e;
  }
  const done = new Promise<CoreError | Error | undefined>((resolve) => {
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const finish = (e: CoreError | Error | undefined): void => {
      signal.removeEventListener('abort', onAbort);
      res.destroy();
      resolve(e);
    };
    res.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        const line = Buffer.concat([...pending, chunk.subarray(start, nl)]).toString('utf8');
        pending = [];
        pendingSize = 0;
        start = nl + 1;
        if (line.trim()) {
          try {
            onEvent(parseJson(line, 'GET /events') as DaemonEvent);
          } catch (e) {
            finish(e as Error);
            return;
          }
        }
      }
      pendingSize += chunk.length - start;
      if (pendingSize > MAX_EVENT_LINE_BYTES) {
        finish(tooLarge('GET /events (one event)', MAX_EVENT_LINE_BYTES));
        return;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
      }
    });
    res.on('error', (e) => finish(ac.signal.aborted ? cancelledError() : e));
    res.on('end', () => finish(undefined));
    res.on('close', () => finish(ac.signal.aborted ? cancelledError() : undefined));
  });
  return {
    done,
    close: () => {
      ac.abort();
      res.destroy();
    },
  };
}
