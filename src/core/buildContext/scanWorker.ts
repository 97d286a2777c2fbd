/**
 * The worker thread's entry (bundled as dist/buildContextWorker.js): scans one build context and
 * posts the result. Cancelling terminates the thread (runScan.ts), so the walk needs no checks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readIgnoreRules } from './dockerignore';
import { scanContext } from './scanContext';
import type { ScanRequest, ScanReply } from './runScan';

function run(req: ScanRequest): ScanReply {
  try {
    const rules = readIgnoreRules(req.contextDir, req.dockerfile);
    const scan = scanContext(req.contextDir, rules.patterns, { top: req.top, list: req.list });
    return { ok: true, scan, ignoreFile: rules.file };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

parentPort?.postMessage(run(workerData as ScanRequest));
