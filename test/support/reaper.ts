/**
 * Detached watchdog started by `cleanup.ts`: `node reaper.js <pid> <startTime> <stateFile>`.
 * When the watched test process is gone and its state file is still there (the process was
 * killed before its exit hook ran), it cleans every resource listed in the file. When the state
 * file disappears (normal exit), it simply exits.
 */
import * as fs from 'node:fs';
import { cleanupResourcesSync, type Resource } from './cleanup';
import { procInfo, sleepSync } from './processes';

function main(): void {
  const [pidArg, startTime, stateFile] = process.argv.slice(2);
  const pid = Number(pidArg);
  if (!pid || !stateFile) {
    process.exit(2);
  }
  for (;;) {
    if (!fs.existsSync(stateFile)) {
      return;
    }
    const info = procInfo(pid);
    const alive = info !== undefined && info.state !== 'Z' && (startTime === '' || info.startTime === startTime);
    if (!alive) {
      break;
    }
    sleepSync(500);
  }
  let resources: Resource[] = [];
  try {
    resources = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Resource[];
  } catch {
    // unreadable or removed in the meantime: nothing we can do safely
  }
  cleanupResourcesSync(resources);
  fs.rmSync(stateFile, { force: true });
}

main();
