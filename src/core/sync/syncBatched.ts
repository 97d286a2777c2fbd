/**
 * A plan carried out with few remote commands, for runs with many entries: the deletions in one
 * `rm` run, every new directory, file and symlink in one tar stream, modes and mtimes with one
 * `chmod`/`touch` per distinct value, then what is left over SFTP (files replacing a remote copy,
 * written aside and renamed so a reader never sees half of one; the rare entries a ustar header
 * or a shell word cannot carry).
 */
import type { Client } from 'ssh2';
import { deleteRemote, setAttributesRemote } from './remoteBatch';
import type { SftpSession } from './sftpSession';
import { executePlan, type ExecuteOptions } from './syncExecutor';
import type { SyncPlan, TreeEntry } from './syncTypes';
import { TAR_MAX_FILE, tarUpload } from './tarUpload';

/** The entries the tar stream would carry. */
export function tarEntries(plan: SyncPlan): TreeEntry[] {
  const fits = (e: TreeEntry): boolean => e.type !== 'file' || (!plan.overwrites.has(e.path) && e.size <= TAR_MAX_FILE);
  return [...plan.mkdirs, ...plan.uploads.filter(fits), ...plan.symlinks].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
}

/** True when a run is large enough for the batched path to pay for its extra command. */
export function worthBatching(plan: SyncPlan, minEntries: number): boolean {
  return (
    tarEntries(plan).length >= minEntries || plan.deletes.length >= minEntries || plan.attributes.length >= minEntries
  );
}

export async function executeBatched(
  client: Client,
  session: SftpSession,
  plan: SyncPlan,
  o: ExecuteOptions,
): Promise<void> {
  const advance = o.onAdvance ?? (() => undefined);
  await deleteRemote(client, o.remoteRoot, plan.deletes, o.signal);
  advance(plan.deletes.length, 0);
  const viaTar = tarEntries(plan);
  const inTar = new Set(viaTar.map((e) => e.path));
  if (viaTar.length > 0) {
    await tarUpload({
      client,
      localRoot: o.localRoot,
      remoteRoot: o.remoteRoot,
      entries: viaTar,
      signal: o.signal,
      onAdvance: advance,
    });
  }
  const rest: SyncPlan = {
    ...plan,
    deletes: [],
    mkdirs: [],
    symlinks: [],
    uploads: plan.uploads.filter((e) => !inTar.has(e.path)),
    attributes: [],
  };
  await executePlan(session, rest, o);
  // Modes last, so a directory made read-only is written into no more. tar-stream writes a mode
  // of 0 as its default (0644/0755): such entries get theirs here too (counted twice in the
  // progress: they are rare).
  const modeZero = viaTar.filter((e) => e.mode === 0 && e.type !== 'symlink');
  const left = await setAttributesRemote(client, o.remoteRoot, [...plan.attributes, ...modeZero], o.signal);
  advance(plan.attributes.length + modeZero.length - left.length, 0);
  await executePlan(session, { ...rest, uploads: [], attributes: left }, o);
}
