/**
 * Remembers what `ssh -G` said about each alias, so a reconnect (after the idle close, a dropped
 * connection, a switch back) does not start a process each time. The answer only changes when a
 * file the configuration reads changes, so the owner of the configuration's watch (the UI's
 * SshService) calls `invalidate()` on every change it sees, and does not use the cache at all
 * while nothing watches the files or when the configuration can answer differently with no file
 * changed (`Match exec`, `Match localnetwork`: see `volatileSshConfig`).
 *
 * Only settled answers are kept: a resolution under way is not shared, so one caller's
 * cancellation never fails another's. A resolution that started before an `invalidate()` is not
 * stored (it may have read the old files).
 */
import type { EffectiveHost } from './effectiveHost';
import { readConfigText } from './sshConfig';

export class ResolveCache {
  private readonly answers = new Map<string, EffectiveHost>();
  private epoch = 0;

  /** The cached answer for `key`, else `compute()`'s, stored when no invalidate() came in between. */
  async resolve(key: string, compute: () => Promise<EffectiveHost>): Promise<EffectiveHost> {
    const hit = this.answers.get(key);
    if (hit) {
      return hit;
    }
    const epoch = this.epoch;
    const answer = await compute();
    if (epoch === this.epoch) {
      this.answers.set(key, answer);
    }
    return answer;
  }

  invalidate(): void {
    this.epoch++;
    this.answers.clear();
  }

  get size(): number {
    return this.answers.size;
  }
}

/** `Match exec` and `Match localnetwork` depend on more than the files: ssh must be asked every time. */
const VOLATILE = /^\s*match\b[^#\n]*\b(exec|localnetwork)\b/im;

/** True when any of these configuration files has a Match whose answer can change without the files changing. */
export async function volatileSshConfig(files: readonly string[]): Promise<boolean> {
  for (const f of files) {
    let text: string;
    try {
      text = await readConfigText(f);
    } catch {
      continue; // gone since it was read: the watch reports that, and the cache is invalidated
    }
    if (VOLATILE.test(text)) {
      return true;
    }
  }
  return false;
}
