/**
 * Installs a public key on a host the way `ssh-copy-id` does (openssh-portable
 * contrib/ssh-copy-id): first try whether the key already logs in and change nothing if it does;
 * otherwise log in once with the password, append the key with the same remote steps (umask 077,
 * mkdir -p, newline fix, append, restorecon) in one `exec sh -c '…'` of a constant command with
 * the key on stdin, and finally prove that the key now logs in.
 */
import { CoreError } from '../common/errors';
import { nullLogger } from '../common/log';
import { connectSsh, type ConnectOptions, type SshConnection } from './connection';
import { readPublicKey } from './keys';
import { PassphraseCache } from './passphraseCache';
import { execRemote } from './remoteExec';

export type CopyIdResult = { status: 'alreadyInstalled' } | { status: 'installed'; authorizedKeysFile: string };

/**
 * Proves that the login shell hands a command to a POSIX `sh`: login shells like csh/tcsh or
 * fish run it fine (hence `exec sh -c`), while nologin, /bin/false or a restricted menu do not.
 * Constant text; single quotes keep `$` away from csh-style shells.
 */
export const POSIX_PROBE_COMMAND = `exec sh -c 'echo "rdc-posix:$((6*7))"'`;
const POSIX_PROBE_EXPECTED = 'rdc-posix:42';

/**
 * ssh-copy-id's `installkeys_sh` (one line "to placate tcsh"), plus a duplicate guard: a key
 * that is already present is not appended again (it is then present but refused, which the
 * final login proof reports). The key arrives on stdin; nothing from the user is in this text.
 * It prints the authorized_keys path it wrote to.
 */
export const INSTALL_KEY_COMMAND =
  `exec sh -c '` +
  `cd || exit 1; umask 077; AUTH_KEY_FILE=".ssh/authorized_keys"; ` +
  `[ -f /etc/openwrt_release ] && { [ "$LOGNAME" = "root" ] || [ "$(id -u)" = "0" ]; } && AUTH_KEY_FILE=/etc/dropbear/authorized_keys; ` +
  `[ "$(uname -s)" = "Haiku" ] && AUTH_KEY_FILE=config/settings/ssh/authorized_keys; ` +
  `AUTH_KEY_DIR=$(dirname "$AUTH_KEY_FILE"); ` +
  `case "$AUTH_KEY_FILE" in /*) SHOWN="$AUTH_KEY_FILE";; *) SHOWN="$(pwd)/$AUTH_KEY_FILE";; esac; ` +
  `KEY=$(cat) || exit 1; [ -n "$KEY" ] || { echo "no key on stdin" >&2; exit 1; }; ` +
  `if [ -f "$AUTH_KEY_FILE" ] && grep -qxF -- "$KEY" "$AUTH_KEY_FILE"; then echo "rdc-present:$SHOWN"; exit 0; fi; ` +
  `mkdir -p "$AUTH_KEY_DIR" && { [ -z "$(tail -c 1 "$AUTH_KEY_FILE" 2>/dev/null)" ] || echo >> "$AUTH_KEY_FILE" || exit 1; } && printf "%s\\n" "$KEY" >> "$AUTH_KEY_FILE" || exit 1; ` +
  `if type restorecon >/dev/null 2>&1; then restorecon -F "$AUTH_KEY_DIR" "$AUTH_KEY_FILE"; fi; ` +
  `echo "rdc-installed:$SHOWN"'`;

const REMOTE_TIMEOUT_MS = 30_000;

export async function copyPublicKey(
  options: ConnectOptions & { privateKeyPath: string; passphrase?: string },
): Promise<CopyIdResult> {
  // ssh-copy-id's three steps in order (does the key log in, install, prove it), read top to bottom.
  const logger = options.logger ?? nullLogger;
  const host = options.host;
  const where = { host: host.hostname, port: host.port, user: host.user };
  const keyPath = options.privateKeyPath;
  const publicKey = (await readPublicKey(keyPath, options.passphrase)).trim();
  if (!/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/.test(publicKey)) {
    // One line, `type base64 [comment]`: anything else could smuggle options into authorized_keys.
    throw new CoreError('keyInvalid', `${keyPath}.pub is not a single OpenSSH public key line.`, { file: keyPath });
  }
  const passphrases = options.passphrases ?? new PassphraseCache();
  if (options.passphrase) {
    passphrases.set(keyPath, options.passphrase);
  }
  const keyOnly: ConnectOptions = {
    ...options,
    passphrases,
    identityFiles: [keyPath],
    useAgent: false,
    allowPassword: false,
  };

  // 1. Does the key already log in? (ssh-copy-id: IdentitiesOnly, publickey only.) This also
  //    settles the host key before any password is typed.
  const first = await tryKeyLogin(keyOnly);
  if (first === 'ok') {
    logger.info(
      `copy-id ${host.user}@${host.hostname}:${host.port}: the key ${keyPath} already logs in; nothing changed.`,
    );
    return { status: 'alreadyInstalled' };
  }

  // 2. Log in with the password only (no agent, no other keys: each failed key would use up
  //    one of the server's MaxAuthTries before the password gets its turn).
  const install = await connectSsh({
    ...options,
    passphrases,
    identityFiles: [],
    useAgent: false,
    allowPassword: true,
  });
  let authorizedKeysFile: string;
  try {
    await requirePosixShell(install, options.signal);
    const result = await execRemote(install.client, INSTALL_KEY_COMMAND, {
      input: publicKey + '\n',
      timeoutMs: REMOTE_TIMEOUT_MS,
      signal: options.signal,
    });
    const marker = /^rdc-(installed|present):(.*)$/m.exec(result.stdout);
    if (result.code !== 0 || !marker) {
      throw new CoreError('remoteCommandFailed', `Adding the key to authorized_keys on ${host.hostname} failed.`, {
        ...where,
        code: result.code ?? undefined,
        signal: result.signal,
        stderr: result.stderr.trim().slice(0, 500),
      });
    }
    if (result.stderr.trim()) {
      logger.warn(`copy-id ${host.user}@${host.hostname}: ${result.stderr.trim().slice(0, 500)}`);
    }
    authorizedKeysFile = (marker[2] ?? '').trim();
    if (marker[1] === 'present') {
      logger.warn(
        `copy-id ${host.user}@${host.hostname}: the key is already in ${authorizedKeysFile} but was refused; not adding it twice.`,
      );
    }
  } finally {
    install.close();
  }

  // 3. Prove it.
  const proof = await tryKeyLogin(keyOnly);
  if (proof !== 'ok') {
    throw new CoreError(
      'authFailed',
      `The key is in ${authorizedKeysFile} on ${host.hostname}, but the server still refuses it. sshd ignores authorized_keys when the home directory, ~/.ssh or the file is writable by others (StrictModes), or when AuthorizedKeysFile points elsewhere.`,
      { ...where, file: authorizedKeysFile, detail: 'installedButRefused' },
    );
  }
  logger.info(
    `copy-id ${host.user}@${host.hostname}:${host.port}: installed ${keyPath}.pub into ${authorizedKeysFile}.`,
  );
  return { status: 'installed', authorizedKeysFile };
}

/** 'ok' when the key logs in, 'refused' when the server says no; every other failure is thrown. */
async function tryKeyLogin(options: ConnectOptions): Promise<'ok' | 'refused'> {
  let conn: SshConnection;
  try {
    conn = await connectSsh(options);
  } catch (e) {
    if (CoreError.is(e, 'authFailed')) {
      return 'refused';
    }
    throw e;
  }
  conn.close();
  return 'ok';
}

/** Throws `remoteShellNotPosix` unless the login shell runs `exec sh -c '…'`. */
export async function requirePosixShell(conn: SshConnection, signal?: AbortSignal): Promise<void> {
  const host = conn.host;
  const probe = await execRemote(conn.client, POSIX_PROBE_COMMAND, { timeoutMs: REMOTE_TIMEOUT_MS, signal });
  if (probe.code === 0 && probe.stdout.trim() === POSIX_PROBE_EXPECTED) {
    return;
  }
  const output = (probe.stdout + '\n' + probe.stderr).trim().replace(/\s+/g, ' ').slice(0, 300);
  throw new CoreError(
    'remoteShellNotPosix',
    `The login shell of ${host.user} on ${host.hostname} does not run commands through sh -c` +
      (output ? `; it answered: ${output}` : '') +
      '. Give the user a login shell that can run commands (e.g. /bin/sh or /bin/bash).',
    {
      host: host.hostname,
      port: host.port,
      user: host.user,
      code: probe.code ?? undefined,
      output: output || undefined,
    },
  );
}
