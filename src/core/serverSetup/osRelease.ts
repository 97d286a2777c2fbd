/**
 * What the remote host is (its `/etc/os-release`, whether systemd runs it), read with one
 * constant command, and the commands that install Docker Engine there, as Docker's install
 * pages give them for each distribution. The commands are shown for the person to run; the
 * extension runs none of them (and never a download script).
 */
import type { Client } from 'ssh2';
import type { ChannelDeadline } from '../engine/remoteSocket';
import { execRemote } from '../ssh/remoteExec';
import { adminCommand } from './sudo';

export interface OsRelease {
  /** Lower-case `ID`, e.g. `debian`; `linux` when the file says nothing (its default). */
  id: string;
  /** `ID_LIKE`, split. */
  idLike: string[];
  /** `PRETTY_NAME` (or `NAME VERSION`), for sentences; data, never markup. */
  prettyName?: string;
  versionCodename?: string;
}

export interface RemoteFacts {
  /** systemd is PID 1 (`/run/systemd/system` exists): `systemctl` can start the daemon. */
  systemd: boolean;
  os: OsRelease;
}

/** One exec through `/bin/sh` (the login shell may be fish or csh): the systemd mark, then os-release. */
export const REMOTE_FACTS_COMMAND =
  `exec /bin/sh -c 'if [ -d /run/systemd/system ]; then echo rdc-systemd:yes; else echo rdc-systemd:no; fi; ` +
  `echo rdc-os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null; exit 0'`;

export async function readRemoteFacts(client: Client, d: ChannelDeadline): Promise<RemoteFacts> {
  const r = await execRemote(client, REMOTE_FACTS_COMMAND, {
    timeoutMs: d.timeoutMs,
    signal: d.signal,
    maxOutputBytes: 64 * 1024,
  });
  return parseRemoteFacts(r.stdout);
}

export function parseRemoteFacts(stdout: string): RemoteFacts {
  const lines = stdout.split(/\r?\n/);
  const mark = lines.indexOf('rdc-os-release');
  return {
    systemd: lines.includes('rdc-systemd:yes'),
    os: parseOsRelease(mark >= 0 ? lines.slice(mark + 1).join('\n') : ''),
  };
}

/** os-release(5): `KEY=value` lines, values possibly quoted with `"` or `'`, `\` escaping in double quotes. */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(raw);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      fields.set(m[1], unquote(m[2].trim()));
    }
  }
  const name = fields.get('NAME');
  const version = fields.get('VERSION');
  return {
    id: (fields.get('ID') || 'linux').toLowerCase(),
    idLike: (fields.get('ID_LIKE') ?? '')
      .toLowerCase()
      .split(/\s+/)
      .filter((x) => x !== ''),
    prettyName: fields.get('PRETTY_NAME') || (name ? [name, version].filter((x) => x).join(' ') : undefined),
    versionCodename: fields.get('VERSION_CODENAME') || undefined,
  };
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) {
    return v.slice(1, -1);
  }
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\(["\\`$])/g, '$1');
  }
  return v;
}

export type DistroFamily = 'debian' | 'ubuntu' | 'fedora' | 'rhel' | 'centos' | 'other';

export interface InstallGuide {
  family: DistroFamily;
  /** Docker's install page for that distribution (or the index of them). */
  url: string;
  /** Lines to run in order, as Docker's page gives them; empty for `other` (the page says). */
  commands: string[];
  /** After installing: start the daemon and let the user use it without sudo. */
  afterwards: string[];
}

const INSTALL_BASE = 'https://docs.docker.com/engine/install/';
const DOWNLOAD_BASE = 'https://download.docker.com/linux/';

/** Which of Docker's install pages fits: the ID itself, else the first ID_LIKE that has one. */
export function distroFamily(os: OsRelease): DistroFamily {
  const known: Record<string, DistroFamily> = {
    debian: 'debian',
    raspbian: 'debian',
    ubuntu: 'ubuntu',
    fedora: 'fedora',
    rhel: 'rhel',
    centos: 'centos',
    rocky: 'centos',
    almalinux: 'centos',
  };
  for (const id of [os.id, ...os.idLike]) {
    const f = known[id];
    if (f) {
      return f;
    }
  }
  return 'other';
}

export function installGuide(os: OsRelease, user: string): InstallGuide {
  const family = distroFamily(os);
  const afterwards = [
    adminCommand({ kind: 'enableDaemon' }),
    adminCommand({ kind: 'addToGroup', group: 'docker', user }),
  ].filter((c): c is string => c !== undefined);
  const page = (p: string): string => `${INSTALL_BASE}${p}/`;
  switch (family) {
    case 'debian':
    case 'ubuntu':
      return { family, url: page(family), commands: aptCommands(family), afterwards };
    case 'fedora':
      return {
        family,
        url: page('fedora'),
        commands: [
          `sudo dnf config-manager addrepo --from-repofile ${DOWNLOAD_BASE}fedora/docker-ce.repo`,
          `sudo dnf install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin`,
        ],
        afterwards,
      };
    case 'rhel':
    case 'centos':
      return {
        family,
        url: page(family),
        commands: [
          'sudo dnf -y install dnf-plugins-core',
          `sudo dnf config-manager --add-repo ${DOWNLOAD_BASE}${family}/docker-ce.repo`,
          'sudo dnf install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin',
        ],
        afterwards,
      };
    case 'other':
      return { family, url: INSTALL_BASE, commands: [], afterwards };
  }
}

/** Docker's apt repository, its key in /etc/apt/keyrings; the codename is read on the host when it runs. */
function aptCommands(family: 'debian' | 'ubuntu'): string[] {
  const codename = family === 'ubuntu' ? '${UBUNTU_CODENAME:-$VERSION_CODENAME}' : '$VERSION_CODENAME';
  return [
    'sudo apt-get update',
    'sudo apt-get install ca-certificates curl',
    'sudo install -m 0755 -d /etc/apt/keyrings',
    `sudo curl -fsSL ${DOWNLOAD_BASE}${family}/gpg -o /etc/apt/keyrings/docker.asc`,
    'sudo chmod a+r /etc/apt/keyrings/docker.asc',
    `echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] ${DOWNLOAD_BASE}${family} $(. /etc/os-release && echo "${codename}") stable" | sudo tee /etc/apt/sources.list.d/docker.list > /dev/null`,
    'sudo apt-get update',
    'sudo apt-get install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin',
  ];
}
