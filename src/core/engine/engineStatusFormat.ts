/**
 * The language-neutral parts of how a daemon is shown: which facts go into the status bar for
 * each format setting, sizes and durations as people read them, the platform images built on
 * this machine would have, and whether a daemon's differs from it. Sentences are the UI's job.
 */
import type { Reason } from '../common/errors';
import type { EndpointScheme } from '../contexts/endpoint';
import { normalizeArch } from './engineInfo';

/** `remoteDocker.statusBar.format`: how much the status item says after the context name. */
export type StatusFormat = 'full' | 'short' | 'name';

export const STATUS_FORMATS: readonly StatusFormat[] = ['full', 'short', 'name'];

export function parseStatusFormat(value: unknown): StatusFormat {
  return typeof value === 'string' && (STATUS_FORMATS as readonly string[]).includes(value)
    ? (value as StatusFormat)
    : 'full';
}

/** The facts after the context name: full = OS and architecture, short = architecture, name = none. */
export function statusFacts(format: StatusFormat, info: { operatingSystem: string; architecture: string }): string[] {
  const facts =
    format === 'full' ? [info.operatingSystem, info.architecture] : format === 'short' ? [info.architecture] : [];
  return facts.map((f) => f.trim()).filter((f) => f !== '');
}

/** Bytes in binary units with one decimal, as `docker info` prints Total Memory ("15.6GiB"), with a space. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return '?';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** A round trip: two significant decimals below 10 ms, one below 100 ms, whole ms below 1 s, else seconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '?';
  }
  if (ms < 10) {
    return `${ms.toFixed(2)} ms`;
  }
  if (ms < 100) {
    return `${ms.toFixed(1)} ms`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Go architecture names for Node's `process.arch`. */
const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  ppc: 'ppc',
  s390x: 's390x',
  s390: 's390',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * The platform of images built by a Docker engine on this machine: always `linux/…` (Docker
 * Desktop on macOS and Windows runs a Linux VM of the machine's architecture). `armVersion` is
 * Node's `process.config.variables.arm_version` on 32-bit ARM; `endianness` tells ppc64 from ppc64le.
 */
export function localBuildPlatform(
  nodeArch: string,
  o: { armVersion?: string | number; endianness?: 'BE' | 'LE' } = {},
): string {
  let arch = NODE_ARCH[nodeArch] ?? nodeArch.toLowerCase();
  if (nodeArch === 'ppc64' && o.endianness === 'BE') {
    arch = 'ppc64';
  }
  if (arch === 'arm') {
    const v = o.armVersion !== undefined && String(o.armVersion) !== '' ? String(o.armVersion) : '7';
    return `linux/arm/v${v}`;
  }
  return `linux/${arch}`;
}

/**
 * When the daemon builds for another architecture than this machine, both platforms (as
 * `os/arch[/variant]`); undefined when they agree or either is unknown. Only the architecture
 * (and the ARM variant, when both name one) counts: the daemon's OS is what it is.
 */
export function architectureMismatch(
  localPlatform: string,
  remotePlatform: string,
): { local: string; remote: string } | undefined {
  const split = (p: string): { arch: string; variant?: string } | undefined => {
    const parts = p.trim().toLowerCase().split('/');
    if (parts.length < 2 || !parts[1] || parts[1] === 'unknown') {
      return undefined;
    }
    const arch = normalizeArch(parts[1]).arch;
    // Only 32-bit ARM variants (v6, v7) make different images; arm64/v8 is plain arm64.
    return { arch, variant: arch === 'arm' ? parts[2] : undefined };
  };
  const l = split(localPlatform);
  const r = split(remotePlatform);
  if (!l || !r) {
    return undefined;
  }
  const differs = l.arch !== r.arch || (l.variant !== undefined && r.variant !== undefined && l.variant !== r.variant);
  return differs ? { local: localPlatform, remote: remotePlatform } : undefined;
}

/**
 * A failure that is a normal state rather than a problem: a local socket with no daemon behind
 * it (the usual `default` context on a laptop without Docker Desktop). Shown without alarm.
 */
export function isCalmFailure(scheme: EndpointScheme | undefined, reason: Reason): boolean {
  return (
    (scheme === 'unix' || scheme === 'npipe') && (reason === 'dockerSocketMissing' || reason === 'daemonNotRunning')
  );
}

/**
 * How long ago something happened, in the largest unit that is at least 1 (seconds, minutes,
 * hours, days), as a negative value for Intl.RelativeTimeFormat ("2 hours ago" in any language).
 */
export function relativeAge(elapsedMs: number): { value: number; unit: 'second' | 'minute' | 'hour' | 'day' } {
  const s = Math.max(0, Math.floor(elapsedMs / 1000));
  if (s < 60) {
    return { value: -s, unit: 'second' };
  }
  if (s < 3_600) {
    return { value: -Math.floor(s / 60), unit: 'minute' };
  }
  if (s < 86_400) {
    return { value: -Math.floor(s / 3_600), unit: 'hour' };
  }
  return { value: -Math.floor(s / 86_400), unit: 'day' };
}
