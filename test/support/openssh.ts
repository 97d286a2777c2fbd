/**
 * The OpenSSH client tools as oracles for tests that need no server: `ssh-keygen` (keys,
 * fingerprints, known_hosts lookups), whether an `ssh` client is there for `ssh -G`, and `ssh`
 * itself logging in.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

/**
 * The real `ssh-copy-id` (openssh contrib), run the way a person would with an ssh config and a
 * password: the password comes from an SSH_ASKPASS script that reads it from the environment, so
 * it is in no file and no argv. The oracle for what copy-id should leave on the remote host.
 */
export async function realSshCopyId(o: {
  publicKeyFile: string;
  configFile: string;
  alias: string;
  knownHostsFile: string;
  env: NodeJS.ProcessEnv;
  password: string;
  scratchDir: string;
}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const askpass = path.join(o.scratchDir, 'askpass.sh');
  fs.writeFileSync(askpass, '#!/bin/sh\nprintf "%s\\n" "$RDC_ASKPASS_ANSWER"\n', { mode: 0o700 });
  return runProcess(
    '/usr/bin/ssh-copy-id',
    [
      '-i',
      o.publicKeyFile,
      '-F',
      o.configFile,
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${o.knownHostsFile}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'IdentityAgent=none',
      o.alias,
    ],
    {
      env: {
        ...o.env,
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        DISPLAY: 'none',
        RDC_ASKPASS_ANSWER: o.password,
      },
      input: '',
      timeoutMs: 120_000,
    },
  );
}

/**
 * The real OpenSSH client logging in with one key and nothing else (no config, no agent, only
 * the temp home's known_hosts, host key checked): the oracle for what `ssh` accepts.
 */
export function realSshLogin(
  h: { env: NodeJS.ProcessEnv; sshDir: string },
  port: number,
  user: string,
  key: string,
  extra: string[] = [],
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return runProcess(
    '/usr/bin/ssh',
    [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${path.join(h.sshDir, 'known_hosts')}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-i',
      key,
      '-p',
      String(port),
      ...extra,
      `${user}@127.0.0.1`,
      'true',
    ],
    { env: h.env, timeoutMs: 60_000 },
  );
}
