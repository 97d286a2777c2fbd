/**
 * One privileged command on the remote host through `sudo`, over an open SSH connection.
 *
 * The command string is made here from constant words and values that went through the
 * project's shell quoting (`shellWord`); the password never appears in it: it goes to sudo's
 * stdin (`-S`, with an empty prompt), once, and is not kept. `-k` makes sudo ignore and not
 * update its cached credentials, so the password is checked every time and nothing stays
 * unlocked after the fix. The first try is `-n` (never ask): a user whose sudo needs no
 * password is not asked one. sudo's own messages are read in the C locale.
 *
 * A refused sudo (wrong password, no rights, no sudo) runs nothing, so a failure here leaves
 * the host as it was.
 */
import type { Client } from 'ssh2';
import { CoreError, cancelledError, type ErrorDetails } from '../common/errors';
import type { ChannelDeadline } from '../engine/remoteSocket';
import { shellWord } from '../diagnose/fixCommands';
import { execRemote, type ExecRemoteResult } from '../ssh/remoteExec';

/** What the extension can do with sudo, with consent. */
export type PrivilegedFix =
  /** `usermod -aG GROUP USER`: a new login of USER may use the Docker socket. */
  | { kind: 'addToGroup'; group: string; user: string }
  /** `systemctl enable --now docker`: the daemon starts now and at every boot. */
  | { kind: 'enableDaemon' };

/** The command after `sudo`, its values as shell words; undefined when a value cannot be one. */
export function privilegedCommand(fix: PrivilegedFix): string | undefined {
  switch (fix.kind) {
    case 'addToGroup': {
      const group = shellWord(fix.group);
      const user = shellWord(fix.user);
      return group && user ? `usermod -aG ${group} ${user}` : undefined;
    }
    case 'enableDaemon':
      return 'systemctl enable --now docker';
  }
}

/** What to hand to an administrator: the same command, run by someone who may. */
export function adminCommand(fix: PrivilegedFix): string | undefined {
  const c = privilegedCommand(fix);
  return c ? `sudo ${c}` : undefined;
}

/** The remote command line: `env` so any login shell runs it; the password (if any) comes on stdin. */
export function sudoInvocation(command: string, withPassword: boolean): string {
  return `env LC_ALL=C LANG=C sudo -k ${withPassword ? "-S -p ''" : '-n'} -- ${command}`;
}

export type SudoOutcome =
  | { kind: 'ok' }
  /** `-n` and a password is needed. */
  | { kind: 'passwordRequired' }
  | { kind: 'wrongPassword' }
  /** The user may not run this command as root (not in sudoers, or not this command). */
  | { kind: 'notAllowed' }
  /** No sudo on the remote PATH. */
  | { kind: 'noSudo' }
  /** sudo ran the command and it failed. */
  | { kind: 'commandFailed'; code: number | null; stderr: string };

/** sudo's answer, from its exit status and its own (C locale) messages on stderr. */
export function classifySudo(r: Pick<ExecRemoteResult, 'code' | 'stderr'>): SudoOutcome {
  if (r.code === 0) {
    return { kind: 'ok' };
  }
  const err = r.stderr;
  if (r.code === 127 && !/^sudo:/m.test(err)) {
    return { kind: 'noSudo' };
  }
  if (/is not in the sudoers file|is not allowed to execute|may not run sudo|not allowed to run sudo/i.test(err)) {
    return { kind: 'notAllowed' };
  }
  if (/incorrect password attempt|^Sorry, try again|no password was provided/im.test(err)) {
    return { kind: 'wrongPassword' };
  }
  if (/^sudo: a (terminal|password) is required/im.test(err)) {
    return { kind: 'passwordRequired' };
  }
  return { kind: 'commandFailed', code: r.code, stderr: firstLines(err) };
}

export interface RunSudoOptions {
  /** Asked only when sudo wants a password; undefined = the person cancelled. Used once, never kept. */
  askPassword(): Promise<string | undefined>;
  /** For the error's details and the log: who and where (never the password). */
  where: { user: string; host: string };
  deadline: ChannelDeadline;
}

/**
 * Runs `fix` as root: first without a password, then (when sudo wants one) with the password
 * asked once. Resolves when the command succeeded; otherwise a CoreError whose details hold
 * the command to hand to an administrator: `sudoPasswordWrong`, `sudoNotAllowed`,
 * `sudoMissing`, `sudoCommandFailed`; `cancelled` when no password was given.
 */
export async function runSudo(
  client: Client,
  fix: PrivilegedFix,
  o: RunSudoOptions,
): Promise<'noPassword' | 'password'> {
  const command = privilegedCommand(fix);
  const details: ErrorDetails = { ...o.where, command: adminCommand(fix) };
  if (!command) {
    throw new CoreError('sudoCommandFailed', 'A value of the command cannot be passed to a shell safely.', details);
  }
  const exec = { timeoutMs: o.deadline.timeoutMs, signal: o.deadline.signal };
  const first = classifySudo(await execRemote(client, sudoInvocation(command, false), exec));
  if (first.kind === 'ok') {
    return 'noPassword';
  }
  if (first.kind !== 'passwordRequired') {
    throw sudoError(first, details);
  }
  const password = await o.askPassword();
  if (password === undefined) {
    throw cancelledError();
  }
  if (/[\r\n]/.test(password)) {
    // sudo reads one line: the rest would reach the command's stdin.
    throw new CoreError('sudoPasswordWrong', 'The password holds a line break.', details);
  }
  const second = classifySudo(
    await execRemote(client, sudoInvocation(command, true), { ...exec, input: `${password}\n` }),
  );
  if (second.kind === 'ok') {
    return 'password';
  }
  throw sudoError(second.kind === 'passwordRequired' ? { kind: 'wrongPassword' } : second, details);
}

function sudoError(o: Exclude<SudoOutcome, { kind: 'ok' }>, details: ErrorDetails): CoreError {
  switch (o.kind) {
    case 'wrongPassword':
    case 'passwordRequired':
      return new CoreError('sudoPasswordWrong', 'sudo did not accept the password.', details);
    case 'notAllowed':
      return new CoreError('sudoNotAllowed', `${String(details.user)} may not run this command with sudo.`, details);
    case 'noSudo':
      return new CoreError('sudoMissing', 'sudo is not installed on the remote host.', details);
    case 'commandFailed':
      return new CoreError('sudoCommandFailed', `The command failed (exit ${String(o.code)}).`, {
        ...details,
        code: o.code ?? undefined,
        stderr: o.stderr,
      });
  }
}

function firstLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 3)
    .join(' ')
    .slice(0, 300);
}
