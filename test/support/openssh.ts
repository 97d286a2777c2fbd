/**
 * The OpenSSH client tools as oracles for tests that need no server: `ssh-keygen` (keys,
 * fingerprints, known_hosts lookups) and whether an `ssh` client is there for `ssh -G`.
 */
import assert from 'node:assert/strict';
import { runProcess } from '../../src/core/common/exec';

/** Runs `ssh-keygen ARGS` and asserts it succeeded; its stdout. */
export async function sshKeygen(args: string[]): Promise<string> {
  const r = await runProcess('ssh-keygen', args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `ssh-keygen ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Line numbers `ssh-keygen -F NAME -f FILE` reports (markers included). */
export async function sshKeygenFind(name: string, file: string): Promise<number[]> {
  const r = await runProcess('ssh-keygen', ['-F', name, '-f', file], { timeoutMs: 30_000 });
  return [...r.stdout.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
}

/** Why there is no usable `ssh` client on PATH (a reason to skip the cases whose oracle is `ssh -G`), or undefined. */
export async function sshClientMissing(): Promise<string | undefined> {
  try {
    const r = await runProcess('ssh', ['-V'], { timeoutMs: 10_000 });
    return r.code === 0 ? undefined : `ssh -V exited with ${r.code}`;
  } catch (e) {
    return `no ssh client on PATH (${e instanceof Error ? e.message : String(e)}); these cases exercise ssh -G itself`;
  }
}
