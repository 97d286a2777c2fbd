/**
 * What "nothing left behind" means for the harness: no sshd, dockerd, containerd(-shim) or
 * code-server process whose command line points into a temp dir the harness made
 * (`rdc-dockerd-*`, `rdc-sshd-*`, `rdc-code-*`), and no process of a test user (`rdc` + 8 hex).
 * Other people's servers on the same machine are not counted.
 */
import * as fs from 'node:fs';
import { procTable } from './processes';

export interface LeakedProcess {
  pid: number;
  cmdline: string;
}

const HARNESS_DIR = /\/rdc-(dockerd|sshd|code)-[A-Za-z0-9]{6}\b/;
const HARNESS_USER = /^rdc[0-9a-f]{8}$/;

/**
 * Processes left by the harness. With `scope`, only those whose command line mentions one of
 * `scope.dirs` or one of `scope.users` (sshd's `sshd: NAME [priv]` monitors), or that run as one
 * of those users: what one test started, ignoring parallel test runs.
 */
export function harnessProcesses(scope?: { dirs?: string[]; users?: string[] }): LeakedProcess[] {
  const users = new Map<number, string>();
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] && HARNESS_USER.test(f[0])) {
      users.set(Number(f[2]), f[0]);
    }
  }
  const out: LeakedProcess[] = [];
  for (const p of procTable()) {
    if (p.state === 'Z') {
      continue;
    }
    let cmdline = '';
    let uid = -1;
    try {
      cmdline = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? -1);
    } catch {
      continue;
    }
    const hit = scope
      ? (scope.dirs ?? []).some((d) => cmdline.includes(d)) ||
        (scope.users ?? []).some((u) => users.get(uid) === u || new RegExp(`^sshd: ${u}\\b`).test(cmdline))
      : HARNESS_DIR.test(cmdline) || users.has(uid) || /^sshd: rdc[0-9a-f]{8}\b/.test(cmdline);
    if (hit && p.pid !== process.pid) {
      out.push({ pid: p.pid, cmdline });
    }
  }
  return out;
}
