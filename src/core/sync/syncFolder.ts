/**
 * One sync of a local folder to its mirror directory on the remote, over an open SSH connection
 * (the pooled one): list both sides (concurrently), plan, compare the doubtful files by hash,
 * then carry out the plan: over one SFTP session, or, for a run with many new entries and a remote
 * with `tar`, with one `rm` and one tar stream (syncBatched).
 */
import * as path from 'node:path';
import type { Client } from 'ssh2';
import { throwIfAborted } from '../common/errors';
import type { Logger } from '../common/log';
import { localSha256, remoteSha256 } from './contentHashes';
import { listLocalTree } from './localTree';
import { parseRemoteDir } from './remotePaths';
import { remoteHasTar } from './remoteBatch';
import { ensureRemoteRoot, listRemoteTree } from './remoteTree';
import { listRemoteTreeSftp } from './remoteTreeSftp';
import { SftpSession } from './sftpSession';
import { makeExcluder, readDockerignore } from './syncExcludes';
import { executeBatched, worthBatching } from './syncBatched';
import { executePlan, runPool, type ExecuteOptions } from './syncExecutor';
import { applyVerification, planSync } from './syncPlan';
import type { SyncPlan, SyncProgress, SyncResult } from './syncTypes';

export interface SyncFolderOptions {
  client: Client;
  localRoot: string;
  /** The remote directory setting (`~/…` or absolute); validated here, before anything is written. */
  remoteDir: string;
  /** Patterns beyond the folder's .dockerignore (Docker's syntax). */
  extraExcludes?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
  logger?: Logger;
  concurrency?: number;
  /**
   * New entries (or deletions) from which a run goes the batched way (one `rm`, one tar stream)
   * when the remote has `tar`; below it, SFTP's few requests cost less than a remote command.
   * Default 32; 0 batches every run, Infinity never.
   */
  batchMinEntries?: number;
}

const BATCH_MIN_ENTRIES = 32;

export async function syncFolder(o: SyncFolderOptions): Promise<SyncResult> {
  const report = o.onProgress ?? (() => undefined);
  report({ phase: 'listing', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 });
  const spec = parseRemoteDir(o.remoteDir);
  // The three independent steps start together: the local walk, the remote listing, and SFTP
  // making the mirror directory safe to write into (which must succeed before anything is written).
  const excluder = makeExcluder([...(await readDockerignore(o.localRoot)), ...(o.extraExcludes ?? [])]);
  const localListing = listLocalTree(o.localRoot, excluder, o.signal);
  const remoteListing = listRemoteTree(o.client, spec, o.signal);
  // Rejections are awaited below; these keep an early failure elsewhere from leaving them unhandled.
  localListing.catch(() => undefined);
  remoteListing.catch(() => undefined);
  const session = await SftpSession.open(o.client, { signal: o.signal });
  try {
    const remoteRoot = await ensureRemoteRoot(session, spec);
    const [local, listed] = await Promise.all([localListing, remoteListing]);
    // No GNU find on the remote: the same listing over SFTP (the directory exists by now).
    const remote = listed ?? (await listRemoteTreeSftp(session, remoteRoot, o.signal));
    let plan = planSync(local, remote, (rel) => excluder.excludes(rel));
    const verified = { checked: plan.verify.length, equal: 0 };
    if (plan.verify.length > 0) {
      report({ phase: 'hashing', filesDone: 0, filesTotal: plan.verify.length, bytesDone: 0, bytesTotal: 0 });
      const equal = await equalContent(o, remoteRoot, plan);
      verified.equal = equal.size;
      plan = applyVerification(plan, equal);
    }
    const total =
      plan.deletes.length + plan.mkdirs.length + plan.uploads.length + plan.symlinks.length + plan.attributes.length;
    let filesDone = 0;
    let bytesDone = 0;
    report({ phase: 'transferring', filesDone, filesTotal: total, bytesDone, bytesTotal: plan.uploadBytes });
    const exec: ExecuteOptions = {
      localRoot: o.localRoot,
      remoteRoot,
      signal: o.signal,
      concurrency: o.concurrency,
      onAdvance: (files, bytes) => {
        filesDone += files;
        bytesDone += bytes;
        report({ phase: 'transferring', filesDone, filesTotal: total, bytesDone, bytesTotal: plan.uploadBytes });
      },
    };
    const batched =
      worthBatching(plan, o.batchMinEntries ?? BATCH_MIN_ENTRIES) && (await remoteHasTar(o.client, o.signal));
    if (batched) {
      await executeBatched(o.client, session, plan, exec);
    } else {
      await executePlan(session, plan, exec);
    }
    // A Cancel that came after the last request left is still a cancel: the user asked to stop.
    throwIfAborted(o.signal);
    report({ phase: 'done', filesDone, filesTotal: total, bytesDone, bytesTotal: plan.uploadBytes });
    const result: SyncResult = {
      remoteDir: remoteRoot,
      uploaded: plan.uploads.length,
      uploadedBytes: bytesDone,
      deleted: plan.deletes.length,
      attributesSet: plan.attributes.length,
      symlinks: plan.symlinks.length,
      directoriesCreated: plan.mkdirs.length,
      verified: verified.checked,
      verifiedEqual: verified.equal,
      batched,
      unchanged:
        local.length - plan.mkdirs.length - plan.uploads.length - plan.symlinks.length - plan.attributes.length,
    };
    o.logger?.info(`Sync ${o.localRoot} → ${remoteRoot}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    session.end();
  }
}

/** The doubtful files whose local and remote SHA-256 agree. */
async function equalContent(o: SyncFolderOptions, remoteRoot: string, plan: SyncPlan): Promise<Set<string>> {
  const rels = plan.verify.map((e) => e.path);
  const remote = await remoteSha256(o.client, remoteRoot, rels, o.signal);
  const equal = new Set<string>();
  await runPool(
    plan.verify.filter((e) => remote.has(e.path)),
    4,
    async (e) => {
      throwIfAborted(o.signal);
      if ((await localSha256(path.join(o.localRoot, ...e.path.split('/')))) === remote.get(e.path)) {
        equal.add(e.path);
      }
    },
    o.signal,
  );
  return equal;
}
