/**
 * What the status bar and the views show about a daemon, read from the Engine API's `/info`
 * (operating system, kernel, CPUs, memory; `Architecture` is the kernel's `uname -m`) and
 * `/version` (`Os`/`Arch` as Go names them, the basis of the `linux/amd64`-style platform).
 * What a daemon says is data: every string is made one clean, bounded line here (daemonText.ts).
 */
import { daemonText } from './daemonText';

/** How the Engine API was reached. */
export type EngineTransport = 'unix' | 'npipe' | 'tcp' | 'tls' | 'streamlocal' | 'dial-stdio' | 'system-ssh';

export interface EngineInfo {
  /** e.g. "Debian GNU/Linux 12 (bookworm)", "Docker Desktop". */
  operatingSystem: string;
  /** "linux" or "windows". */
  osType: string;
  /** The kernel's machine name (`uname -m`), e.g. x86_64, aarch64. */
  architecture: string;
  /** Normalised "os/arch[/variant]", e.g. linux/amd64, linux/arm64, linux/arm/v7. */
  platform: string;
  kernelVersion: string;
  serverVersion: string;
  /** The daemon's API version (from /version, else the _ping header). */
  apiVersion: string;
  ncpu: number;
  /** Bytes. */
  memTotal: number;
  /** The daemon host's name. */
  name: string;
  /** The daemon's own ID from /info (changes when another daemon answers on the same socket). */
  id?: string;
  /** Round trip of the liveness request (HEAD /_ping), in milliseconds. */
  rttMs: number;
  /** Date.now() of the check. */
  checkedAt: number;
  /** How the request travelled. */
  transport: EngineTransport;
}

/** GOARCH names for the machine names kernels and other tools report. */
const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  x86: '386',
  i386: '386',
  i486: '386',
  i586: '386',
  i686: '386',
  aarch64: 'arm64',
  arm64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  ppc64el: 'ppc64le',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64el: 'mips64le',
  loongarch64: 'loong64',
};

/**
 * `{arch, variant}` in Go/OCI terms for a kernel or Go architecture name: x86_64 → amd64,
 * aarch64 → arm64, armv7l → arm + v7. Unknown names pass through lower-cased.
 */
export function normalizeArch(raw: string): { arch: string; variant?: string } {
  const a = raw.trim().toLowerCase();
  const arm = /^armv(\d+)/.exec(a);
  if (arm) {
    const v = Number(arm[1]);
    // armv8l is a 64-bit kernel running 32-bit userland: OCI calls it arm/v8.
    return { arch: 'arm', variant: `v${v}` };
  }
  if (a === 'arm64' || a === 'aarch64') {
    return { arch: 'arm64' };
  }
  return { arch: ARCH_ALIASES[a] ?? a };
}

/** "linux/amd64", "linux/arm/v7", from /version's Os/Arch, completed by /info's machine name. */
export function platformOf(os: string, goArch: string, machine: string): string {
  const o = token((os || 'unknown').toLowerCase());
  const fromVersion = goArch ? normalizeArch(goArch) : undefined;
  const fromMachine = machine ? normalizeArch(machine) : undefined;
  const arch = token(fromVersion?.arch || fromMachine?.arch || 'unknown');
  // /version says only "arm"; the kernel's name carries the variant.
  const variant = fromVersion?.variant ?? (fromMachine && fromMachine.arch === arch ? fromMachine.variant : undefined);
  return variant ? `${o}/${arch}/${variant}` : `${o}/${arch}`;
}

/** A platform part is a Go/OCI name (`linux`, `amd64`, `v7`); anything else a daemon says is "unknown". */
function token(name: string): string {
  return /^[a-z0-9][a-z0-9._-]{0,31}$/.test(name) ? name : 'unknown';
}

/** Every string shown comes from here: one clean line of bounded length (see daemonText.ts). */
function str(v: unknown): string {
  return daemonText(v);
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/**
 * Builds the EngineInfo from the decoded `/info` and `/version` bodies (either may be missing
 * fields; older daemons lack some). `pingApiVersion` is the `Api-Version` header of `/_ping`.
 */
export function toEngineInfo(
  infoBody: unknown,
  versionBody: unknown,
  extra: { rttMs: number; checkedAt: number; transport: EngineTransport; pingApiVersion?: string },
): EngineInfo {
  const info = obj(infoBody);
  const version = obj(versionBody);
  const osType = str(info.OSType) || str(version.Os);
  const architecture = str(info.Architecture);
  return {
    operatingSystem: str(info.OperatingSystem),
    osType,
    architecture,
    platform: str(platformOf(str(version.Os) || osType, str(version.Arch), architecture)),
    kernelVersion: str(info.KernelVersion) || str(version.KernelVersion),
    serverVersion: str(info.ServerVersion) || str(version.Version),
    apiVersion: str(version.ApiVersion) || str(extra.pingApiVersion),
    ncpu: num(info.NCPU),
    memTotal: num(info.MemTotal),
    name: str(info.Name),
    id: str(info.ID),
    rttMs: extra.rttMs,
    checkedAt: extra.checkedAt,
    transport: extra.transport,
  };
}
