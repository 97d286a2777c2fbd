/**
 * Process bookkeeping from /proc, shared by the harness, its exit hooks and the reaper.
 * Everything here works by pid: nothing is ever killed by name.
 *
 * Both async and sync variants exist because cleanup must also run inside `process.on('exit')`
 * (where only synchronous code runs) and in the reaper after the test process died.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  comm: string;
  /** Kernel start time (clock ticks since boot): with the pid it identifies a process. */
  startTime: string;
}

/** Reads one process's stat line; undefined when it is gone. */
export function procInfo(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself contain spaces and parentheses.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  return {
    pid,
    comm: stat.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    startTime: rest[19] ?? '',
  };
}

/** Every process visible in /proc. */
export function procTable(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(name)) {
      const info = procInfo(Number(name));
      if (info) {
        out.push(info);
      }
    }
  }
  return out;
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  const info = procInfo(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/** All descendants of `pid` (children, grandchildren, ...), found through parent links. */
export function descendants(pid: number, table: ProcInfo[] = procTable()): number[] {
  const children = new Map<number, number[]>();
  for (const p of table) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const c of children.get(next) ?? []) {
      if (!out.includes(c)) {
        out.push(c);
        queue.push(c);
      }
    }
  }
  return out;
}

/** Members of a process group. */
export function groupMembers(pgid: number, table: ProcInfo[] = procTable()): number[] {
  return table.filter((p) => p.pgrp === pgid).map((p) => p.pid);
}

/** Processes whose real uid is `uid` (a test user's sessions, shells, dial-stdio ...). */
export function processesOfUid(uid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      if (m && Number(m[1]) === uid) {
        out.push(Number(name));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** The live process, its descendants and (when `group`) the members of its process group; zombies excluded. */
export function familyOf(pid: number, group = false): number[] {
  const table = procTable();
  const set = new Set<number>([pid, ...descendants(pid, table)]);
  if (group) {
    for (const m of groupMembers(pid, table)) {
      set.add(m);
      for (const d of descendants(m, table)) {
        set.add(d);
      }
    }
  }
  const live = new Set(table.filter((p) => p.state !== 'Z' && p.state !== 'X').map((p) => p.pid));
  return [...set].filter((p) => p !== process.pid && live.has(p));
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends SIGTERM to the given pids, waits up to `graceMs` for them to go, then SIGKILLs the rest
 * and waits for those too. Resolves with the pids that are still alive (normally none).
 */
export async function terminate(pids: readonly number[], graceMs = 10_000): Promise<number[]> {
  for (const p of pids) {
    signal(p, 'SIGTERM');
  }
  let alive = await waitGone(pids, graceMs);
  for (const p of alive) {
    signal(p, 'SIGKILL');
  }
  alive = await waitGone(alive, 5_000);
  return alive;
}

/** Synchronous `terminate`, for exit hooks and the reaper. */
export function terminateSync(pids: readonly number[], graceMs = 5_000): number[] {
  for (const p of pids) {
    signal(p, 'SIGTERM');
  }
  let alive = waitGoneSync(pids, graceMs);
  for (const p of alive) {
    signal(p, 'SIGKILL');
  }
  alive = waitGoneSync(alive, 3_000);
  return alive;
}

export async function waitGone(pids: readonly number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(50);
    alive = alive.filter(isAlive);
  }
  return alive;
}

export function waitGoneSync(pids: readonly number[], ms: number): number[] {
  const deadline = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    sleepSync(50);
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Mount points at or below `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) {
      continue;
    }
    const mountPoint = field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mountPoint === dir || mountPoint.startsWith(prefix)) {
      out.push(mountPoint);
    }
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Removes a directory tree that a daemon may have left in a hard state: mounts below it (a killed
 * dockerd leaves shm and netns mounts), read-only directories (vfs layers), root-owned files.
 * Synchronous so that exit hooks can use it.
 */
export function removeTreeSync(dir: string): void {
  for (const m of mountsUnder(dir)) {
    spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  }
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    return;
  } catch {
    // fall through: make everything writable and try once more
  }
  spawnSync('chmod', ['-R', 'u+rwx', dir], { stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
