/**
 * How fast this link carries a build context: a short probe on a connection the caller holds
 * (the pooled one) — the time of an empty remote command (the fixed cost of a round of channel
 * set-up, which every `docker build` over ssh:// pays several times), then a few MB written to a
 * remote `dd`, which times the transfer itself.
 */
import type { Client } from 'ssh2';
import { CoreError } from '../common/errors';
import { execRemote } from '../ssh/remoteExec';

export interface LinkSpeed {
  bytesPerSecond: number;
  /** Opening a channel, running a command and seeing it exit. */
  roundTripMs: number;
  /** When measured (for the cache). */
  at: number;
}

export interface ProbeOptions {
  /** Per round; default 4 MiB. */
  bytes?: number;
  /** The median of this many rounds counts (default 3: one round on a busy machine says little). */
  rounds?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  now?: () => number;
}

export async function probeLinkSpeed(client: Client, o: ProbeOptions): Promise<LinkSpeed> {
  const bytes = o.bytes ?? 4 * 1024 * 1024;
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  await run(execRemote(client, 'true', { timeoutMs: o.timeoutMs, signal: o.signal }));
  const roundTripMs = now() - t0;
  const rates: number[] = [];
  for (let i = 0; i < (o.rounds ?? 3); i++) {
    const t1 = now();
    // A constant command: the payload goes on stdin, never into the command line. dd times the
    // transfer on the far side, from its start to the end of its input, so the channel's set-up and
    // close (and a delayed ACK there) stay out of the rate; the wall time is the fallback.
    const r = await run(
      execRemote(client, 'LC_ALL=C dd of=/dev/null bs=65536', {
        input: Buffer.alloc(bytes),
        timeoutMs: o.timeoutMs,
        signal: o.signal,
      }),
    );
    const wallMs = now() - t1 - roundTripMs;
    const remoteMs = ddSeconds(r.stderr) * 1000;
    const ms = Math.max(1, Number.isFinite(remoteMs) && remoteMs > 0 ? remoteMs : wallMs);
    rates.push((bytes * 1000) / ms);
  }
  rates.sort((a, b) => a - b);
  return { bytesPerSecond: rates[rates.length >> 1], roundTripMs, at: Date.now() };
}

/** The seconds in dd's summary (`… bytes … copied, 0.0123 s, …`, coreutils or busybox), or NaN. */
export function ddSeconds(stderr: string): number {
  const m = /bytes.*copied,\s*([\d.,]+)\s*s/.exec(stderr);
  return m ? Number(m[1].replace(',', '.')) : NaN;
}

async function run(p: ReturnType<typeof execRemote>): Promise<{ stderr: string }> {
  const r = await p;
  if (r.code !== 0) {
    throw new CoreError('remoteCommandFailed', `The link probe's remote command failed: ${r.stderr.trim()}`, {
      code: r.code ?? undefined,
    });
  }
  return r;
}

/**
 * Seconds a `docker build` takes to hand the context to a daemon over this link: the tar stream at
 * the measured rate, plus the CLI's fixed cost — its own SSH connection (key exchange, login),
 * `docker system dial-stdio` started on the remote, the ping and the build request — counted as
 * eight of the probe's round trips (each one a channel opened, a command started and its exit).
 */
export function estimateUploadSeconds(tarBytes: number, link: LinkSpeed, fixedRoundTrips = 8): number {
  return tarBytes / link.bytesPerSecond + (fixedRoundTrips * link.roundTripMs) / 1000;
}
