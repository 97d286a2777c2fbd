/**
 * How long `docker --context X build` takes to hand a context to the daemon, probed the way the
 * CLI uploads. The docker CLI runs the system's OpenSSH client (`ssh -o ConnectTimeout=30 -T
 * [-l USER] [-p PORT] -- HOST docker [--host unix://PATH] system dial-stdio`), one process per
 * build, and streams the tar through it into the daemon's `POST /build`, which unpacks it. What
 * bounds that is not always the network: on a fast link it is the CPU of that whole pipeline (the
 * OpenSSH client's copy loop and cipher, sshd, the remote dial-stdio, the daemon writing the
 * files), none of which the extension's own ssh2 connection shares — a probe on the pooled
 * connection read 2–7× the rate the CLI got on loopback. So the probe runs that very pipeline,
 * twice per round, and fits a line through the two points: each time the same `ssh … dial-stdio`
 * carries a `POST /build` (the classic builder, as the CLI's upload) of a tar of random files
 * without a Dockerfile — the daemon receives and unpacks all of it, then refuses the build for
 * want of its Dockerfile, so no image, no container and no cache entry is left behind — once
 * small (8 MiB, or what 1.5 s lets through on a slow link) and once large (32 MiB, or 5 s). The
 * slope is the cost per byte; the intercept is what every build pays whatever its size: the
 * login, the remote CLI's start, the daemon's answer, and the pause at the start of the stream
 * while the remote command starts and the channel window and TCP's slow start open (0.5–1.5 s on
 * a loaded machine, which a single transfer would have charged to every byte).
 *
 * One round by default: the probe runs in the background of an editor and crosses the user's
 * real link, so it sends at most 40 MiB (about 6.5 s of upload on a slow link) each time. More
 * rounds (medians count) steady the figure on a busy machine at that cost.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as tarStream from 'tar-stream';
import { CoreError, cancelledError } from '../common/errors';
import { DIAL_STDIO_COMMAND } from '../engine/remoteSocket';
import { openSshError } from '../engine/systemSshLink';
import type { LinkSpeed } from './linkThroughput';

/** Where the CLI's `ssh` goes for an `ssh://[user@]host[:port][/path]` context. */
export interface UploadProbeTarget {
  /** `ssh`, or the client's path. */
  binary: string;
  /** The URL's host, passed after `--` as the CLI does (an alias of the SSH configuration, or a name). */
  destination: string;
  user?: string;
  port?: number;
  /** The URL's socket path; the remote CLI's default daemon otherwise. */
  socketPath?: string;
  env: NodeJS.ProcessEnv;
}

export interface TransferLimit {
  bytes: number;
  ms: number;
}

const SMALL: TransferLimit = { bytes: 8 * 1024 * 1024, ms: 1500 };
const LARGE: TransferLimit = { bytes: 32 * 1024 * 1024, ms: 5000 };

export interface UploadProbeOptions {
  /** Default 1 (see the file's comment). */
  rounds?: number;
  /** The small and the large transfer: at most this many bytes, or this long after ssh took the first (a slow link). */
  small?: TransferLimit;
  large?: TransferLimit;
  /** Per process. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const CHUNK = 256 * 1024;
const CRLF = Buffer.from('\r\n');
const AGENT = 'User-Agent: remote-docker-contexts\r\nConnection: close\r\n';
/** The classic builder (`version=1`), as the CLI without BuildKit; a Dockerfile name no context has. */
const BUILD_HEAD =
  'POST /build?version=1&q=1&rm=1&forcerm=1&dockerfile=.remote-docker-upload-probe HTTP/1.1\r\nHost: docker\r\n' +
  `${AGENT}Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n`;

export interface ProcessTiming {
  /** Spawn to exit. */
  totalMs: number;
  /** Bytes written to the daemon beyond the request line and headers. */
  bytes: number;
  stdout: string;
}

function sshArgs(t: UploadProbeTarget, command: string, timeoutMs: number): string[] {
  return [
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${Math.max(1, Math.ceil(timeoutMs / 1000))}`,
    '-T',
    ...(t.user !== undefined ? ['-l', t.user] : []),
    ...(t.port !== undefined ? ['-p', String(t.port)] : []),
    '--',
    t.destination,
    command,
  ];
}

/** One `ssh … dial-stdio` process whose stdin `feed` writes (after the socket line), timed from spawn to exit. */
function timeDialStdio(
  t: UploadProbeTarget,
  feed: (stdin: NodeJS.WritableStream) => Promise<number>,
  o: UploadProbeOptions,
): Promise<ProcessTiming> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const start = performance.now();
    const child = spawn(t.binary, sshArgs(t, DIAL_STDIO_COMMAND, o.timeoutMs), {
      env: t.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let bytes = 0;
    let failure: Error | undefined;
    const fail = (e: unknown): void => {
      failure ??= e instanceof Error ? e : new Error(String(e));
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => fail(new CoreError('timeout', 'The upload probe did not finish in time.', { timeoutMs: o.timeoutMs })),
      o.timeoutMs,
    );
    const onAbort = (): void => fail(cancelledError());
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString('latin1')).slice(0, 4096)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-8192)));
    child.stdin.on('error', () => undefined); // an early exit is reported by 'close' below
    child.on('error', fail);
    child.stdin.write(`${t.socketPath ?? ''}\n`);
    feed(child.stdin).then((n) => (bytes = n), fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      const totalMs = performance.now() - start;
      if (failure !== undefined) {
        reject(failure);
      } else if (!/^HTTP\/1\.[01] \d{3}/.test(stdout)) {
        reject(
          (code !== 0 ? openSshError(stderr, t.destination, { transport: 'system-ssh' }) : undefined) ??
            new CoreError('remoteCommandFailed', `The daemon did not answer the upload probe: ${stderr.trim()}`, {
              code: code ?? undefined,
            }),
        );
      } else {
        resolve({ totalMs, bytes, stdout });
      }
    });
  });
}

function write(stdin: NodeJS.WritableStream, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => stdin.write(data, (e?: Error | null) => (e ? reject(e) : resolve())));
}

/**
 * A `POST /build` of random files without a Dockerfile, in HTTP chunks as the tar is made, until
 * `limit.bytes`, or `limit.ms` after the first chunk was taken (ssh takes it once logged in).
 */
async function feedBuild(stdin: NodeJS.WritableStream, chunk: Buffer, limit: TransferLimit): Promise<number> {
  await write(stdin, BUILD_HEAD);
  const pack = tarStream.pack();
  let sent = 0;
  const flush = async (): Promise<void> => {
    for (let b = pack.read() as Buffer | null; b !== null; b = pack.read() as Buffer | null) {
      // One write per HTTP chunk: its size line, data and end travel together.
      await write(stdin, Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, CRLF]));
      sent += b.length;
    }
  };
  let since: number | undefined;
  for (let i = 0; sent < limit.bytes; i++) {
    if (since !== undefined && performance.now() - since >= limit.ms) {
      break;
    }
    pack.entry({ name: `probe/${i}`, size: chunk.length }, chunk);
    await flush();
    since ??= performance.now();
  }
  pack.finalize();
  await flush();
  await write(stdin, '0\r\n\r\n');
  stdin.end();
  return sent;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The line through (bytes, time) of the rounds' small and large transfers: the median slope and
 * intercept. Rounds whose two sizes are too close (a link so slow that both hit their time
 * limit early) say nothing about the slope and are left out. Exported for its unit test.
 */
export function fitUpload(
  rounds: readonly { small: ProcessTiming; large: ProcessTiming }[],
): Pick<LinkSpeed, 'bytesPerSecond' | 'fixedMs'> | undefined {
  const slopes: number[] = [];
  const intercepts: number[] = [];
  for (const { small, large } of rounds) {
    const db = large.bytes - small.bytes;
    const dt = large.totalMs - small.totalMs;
    if (db >= small.bytes / 2 && db > 0 && dt > 0) {
      const slope = dt / db;
      slopes.push(slope);
      intercepts.push(Math.max(0, small.totalMs - slope * small.bytes));
    }
  }
  if (slopes.length === 0) {
    return undefined;
  }
  return { bytesPerSecond: 1000 / median(slopes), fixedMs: median(intercepts) };
}

/** The fixed cost and the rate of an upload through the system's `ssh` into the daemon's build, as the docker CLI makes it. */
export async function probeUpload(t: UploadProbeTarget, o: UploadProbeOptions): Promise<LinkSpeed> {
  const rounds: { small: ProcessTiming; large: ProcessTiming }[] = [];
  // Random, so that an SSH configuration with `Compression yes` does not inflate the rate.
  const chunk = randomBytes(CHUNK);
  for (let i = 0; i < (o.rounds ?? 1); i++) {
    const small = await timeDialStdio(t, (stdin) => feedBuild(stdin, chunk, o.small ?? SMALL), o);
    const large = await timeDialStdio(t, (stdin) => feedBuild(stdin, chunk, o.large ?? LARGE), o);
    rounds.push({ small, large });
  }
  const fit = fitUpload(rounds);
  if (!fit) {
    throw new CoreError('remoteCommandFailed', 'The upload probe measured nothing.', {});
  }
  return { ...fit, via: 'openssh', at: Date.now() };
}
