/**
 * A build-context scan in a worker thread: the walk of a large tree never holds up the thread
 * that called it (the extension host's, where typing is handled). Cancelling terminates the
 * worker at once.
 */
import { Worker } from 'node:worker_threads';
import { CoreError, cancelledError } from '../common/errors';
import type { ContextScan } from './scanContext';

export interface ScanRequest {
  contextDir: string;
  /** Absolute path of the Dockerfile (its `<name>.dockerignore` wins over `.dockerignore`). */
  dockerfile?: string;
  top?: number;
  list?: boolean;
}

export type ScanReply = { ok: true; scan: ContextScan; ignoreFile?: string } | { ok: false; message: string };

export interface ScanResult {
  scan: ContextScan;
  ignoreFile?: string;
}

/** `workerFile`: the compiled scanWorker (dist/buildContextWorker.js in the extension). */
export function runScanInWorker(workerFile: string, req: ScanRequest, signal?: AbortSignal): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    const worker = new Worker(workerFile, { workerData: req });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (!settled) {
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      }
    };
    const onAbort = (): void => {
      settle(() => reject(cancelledError()));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: ScanReply) => {
      settle(() =>
        reply.ok
          ? resolve({ scan: reply.scan, ...(reply.ignoreFile ? { ignoreFile: reply.ignoreFile } : {}) })
          : reject(new CoreError('fileUnreadable', reply.message, { path: req.contextDir })),
      );
      void worker.terminate();
    });
    worker.once('error', (e) => settle(() => reject(new CoreError('internal', e.message, {}, { cause: e }))));
    worker.once('exit', (code) =>
      settle(() => reject(new CoreError('internal', `The scan worker stopped (exit ${code}).`))),
    );
  });
}
