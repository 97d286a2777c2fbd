/**
 * How fast this link carries a build context, and the estimate made from it. The probe that
 * models the CLI's upload runs the system's `ssh` as the CLI does (uploadProbe.ts); this file
 * keeps the fallback for when that client cannot run unattended (no `ssh`, a key that needs a
 * passphrase): a probe on a connection the caller holds (the pooled ssh2 one) — the time of an
 * empty remote command (the fixed cost of a round of channel set-up), then MBs written to a
 * remote `dd`, which times the transfer itself.
 */
import type { Client } from 'ssh2';
import { CoreError } from '../common/errors';
import { execRemote } from '../ssh/remoteExec';

export interface LinkSpeed {
  bytesPerSecond: number;
  /** What one upload costs whatever its size (the CLI's login, its remote dial-stdio, the daemon's answer). */
  fixedMs: number;
  /** The client the probe went through: the system's OpenSSH as the CLI runs it, or the pooled ssh2 connection. */
  via: 'openssh' | 'ssh2';
  /** When measured (for the cache). */
  at: number;
}

/**
 * The CLI's fixed cost in ssh2 channel rounds, when only the pooled connection could be probed:
 * its own SSH connection (key exchange, login), `docker system dial-stdio` started on the remote,
 * the ping and the build request.
 */
const FIXED_ROUND_TRIPS = 8;

export interface ProbeOptions {
  /** Per round; default 16 MiB (4 MiB hardly left TCP's slow start and read 2–4× low). */
  bytes?: number;
  /** The median of this many rounds counts (default 3: one round on a busy machine says little). */
  rounds?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  now?: () => number;
}

export async function probeLinkSpeed(client: Client, o: ProbeOptions): Promise<LinkSpeed> {
  const bytes = o.bytes ?? 16 * 1024 * 1024;
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
  return {
    bytesPerSecond: rates[rates.length >> 1],
    fixedMs: FIXED_ROUND_TRIPS * roundTripMs,
    via: 'ssh2',
    at: Date.now(),
  };
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

/** Seconds a `docker build` takes to hand a context of `tarBytes` to the daemon over this link. */
export function estimateUploadSeconds(tarBytes: number, link: LinkSpeed): number {
  return tarBytes / link.bytesPerSecond + link.fixedMs / 1000;
}
