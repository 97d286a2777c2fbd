/**
 * A sudoers entry for a test user, in a file of its own under /etc/sudoers.d (a unique name
 * without a dot, which sudo would skip), checked by `visudo -cf` before it is put in place and
 * removed by the test (or, after a crash, by the cleanup hooks, which remove it like a dir).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProcess } from '../../src/core/common/exec';
import { register } from './cleanup';
import { requireRoot } from './requireRoot';

export interface SudoersEntry {
  file: string;
  /** Removes the file. Idempotent. */
  remove(): void;
}

/** `USER ALL=(ALL:ALL) ALL` (a password is required), or with `NOPASSWD:` when asked. */
export async function grantSudo(user: string, o: { noPassword?: boolean } = {}): Promise<SudoersEntry> {
  requireRoot('grantSudo');
  if (!/^[a-z_][a-z0-9_-]*$/.test(user)) {
    throw new Error(`not a plain user name: ${user}`);
  }
  const file = path.join('/etc/sudoers.d', `rdc-test-${randomBytes(6).toString('hex')}`);
  const tmp = `${file}.tmp`; // sudo ignores names with a dot while it is checked
  fs.writeFileSync(tmp, `${user} ALL=(ALL:ALL) ${o.noPassword ? 'NOPASSWD: ' : ''}ALL\n`, { mode: 0o440 });
  const release = register({ kind: 'dir', path: file });
  try {
    const check = await runProcess('visudo', ['-cf', tmp], { timeoutMs: 30_000 });
    if (check.code !== 0) {
      throw new Error(`visudo -cf refused the entry: ${check.stdout}${check.stderr}`);
    }
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  let removed = false;
  return {
    file,
    remove: () => {
      if (!removed) {
        removed = true;
        fs.rmSync(file, { force: true });
        release();
      }
    },
  };
}
