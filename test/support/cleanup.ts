/**
 * The harness's safety net. Every server, user and temp dir the harness creates is registered
 * here and released when the test stops it normally. Whatever is still registered is cleaned:
 *
 * - on `process.exit` / an uncaught exception (the 'exit' hook, synchronously), and on
 *   SIGINT/SIGTERM/SIGHUP (the hook runs, then the signal is re-raised);
 * - when the test process is killed outright (SIGKILL, OOM, a runner's timeout): a detached
 *   reaper process (`reaper.ts`) watches this pid and cleans from a state file kept in tmpdir.
 *
 * Processes are killed by pid (with their descendants and, for process-group leaders, their
 * group), after checking the kernel start time so a recycled pid is never hit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { familyOf, procInfo, processesOfUid, removeTreeSync, terminateSync } from './processes';

export type Resource =
  | { kind: 'process'; pid: number; startTime: string; group: boolean; label: string }
  | { kind: 'user'; name: string; uid: number }
  | { kind: 'dir'; path: string };

interface Entry {
  id: string;
  resource: Resource;
}

const entries: Entry[] = [];
let stateFile: string | undefined;
let hooksInstalled = false;

/**
 * Registers a resource for emergency cleanup; call the returned function once the test has
 * cleaned it up itself. Processes should be registered right after spawn.
 */
export function register(resource: Resource): () => void {
  installHooks();
  const entry: Entry = { id: randomBytes(6).toString('hex'), resource };
  entries.push(entry);
  saveState();
  return () => {
    const i = entries.indexOf(entry);
    if (i >= 0) {
      entries.splice(i, 1);
      saveState();
    }
  };
}

/** Registers a process we just spawned (pid must still be alive). */
export function registerProcess(pid: number, label: string, group = false): () => void {
  const info = procInfo(pid);
  return register({ kind: 'process', pid, startTime: info?.startTime ?? '', group, label });
}

/** Cleans the given resources synchronously: processes first, then users, then dirs. */
export function cleanupResourcesSync(resources: readonly Resource[]): void {
  const procs = resources.filter((r): r is Extract<Resource, { kind: 'process' }> => r.kind === 'process').reverse();
  const pids = new Set<number>();
  for (const p of procs) {
    const info = procInfo(p.pid);
    if (info && (p.startTime === '' || info.startTime === p.startTime)) {
      for (const pid of familyOf(p.pid, p.group)) {
        pids.add(pid);
      }
    }
  }
  terminateSync([...pids]);
  for (const r of resources) {
    if (r.kind === 'user') {
      removeUserSync(r.name, r.uid);
    }
  }
  for (const r of resources) {
    if (r.kind === 'dir') {
      try {
        removeTreeSync(r.path);
      } catch {
        // best effort in an emergency path
      }
    }
  }
}

/** Kills what a user still runs and deletes the account with its home. */
export function removeUserSync(name: string, uid: number): void {
  const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (id.status !== 0 || Number(id.stdout.trim()) !== uid) {
    return; // already gone (or the name now belongs to someone else: leave it)
  }
  terminateSync(processesOfUid(uid), 2_000);
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = spawnSync('userdel', ['-r', name], { encoding: 'utf8' });
    // 0 = done, 6 = no such user, 12 = home/mail spool not removed (account is gone anyway).
    if (r.status === 0 || r.status === 6 || r.status === 12) {
      return;
    }
    // 8 = user logged in (a process appeared meanwhile), 10 = passwd file locked by a parallel run.
    terminateSync(processesOfUid(uid), 1_000);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100 + Math.floor(Math.random() * 400));
  }
}

/** Runs the emergency cleanup now for everything still registered (used by the hooks). */
export function cleanupAllSync(): void {
  const resources = entries.splice(0).map((e) => e.resource);
  if (resources.length > 0) {
    cleanupResourcesSync(resources);
  }
  if (stateFile) {
    fs.rmSync(stateFile, { force: true });
    stateFile = undefined;
  }
}

function saveState(): void {
  if (!stateFile) {
    return;
  }
  const tmp = `${stateFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entries.map((e) => e.resource)), { mode: 0o600 });
  fs.renameSync(tmp, stateFile);
}

function installHooks(): void {
  if (hooksInstalled) {
    return;
  }
  hooksInstalled = true;
  stateFile = path.join(os.tmpdir(), `rdc-harness-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(stateFile, '[]', { mode: 0o600 });
  const self = procInfo(process.pid);
  const reaper = spawn(
    process.execPath,
    [path.join(__dirname, 'reaper.js'), String(process.pid), self?.startTime ?? '', stateFile],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  reaper.unref();
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(sig) > 1) {
        return; // the program handles this signal itself (the demo stops gracefully); 'exit' still cleans
      }
      cleanupAllSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
