/**
 * A throwaway home directory for the code under test, the docker CLI and OpenSSH's client tools,
 * so that nothing ever reads or writes the machine's real `~/.ssh` or `~/.docker`.
 *
 * Why the `bin/` shims: OpenSSH ignores `$HOME`. `ssh`, `ssh-keygen`, `scp`, ... take `~`
 * (default config, known_hosts, identities, `~` and `%d` inside ssh_config) from the passwd
 * entry of the running user. The docker CLI runs `ssh` from `PATH` for `ssh://` contexts, and so
 * will the extension. Each shim therefore runs the real tool in a private mount namespace where
 * the passwd home (e.g. /root) is this temp home, bind-mounted: every OpenSSH default then
 * resolves inside the temp home, exactly as for a user whose home it really is, without adding
 * any flag that could mask a bug (a `-F` added by a shim would silently win over a `-F` the code
 * under test forgot). It needs root (CAP_SYS_ADMIN for the mount namespace), like the rest of the
 * integration harness. Note that OpenSSH's messages then name files as `/root/.ssh/...`.
 *
 * Tests that call the real binaries without the shims use `sshArgs(home)` for explicit paths.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../src/core/common/exec';
import { register } from './cleanup';
import { removeTreeSync } from './processes';

export interface TempHome {
  home: string;
  sshDir: string;
  dockerConfig: string;
  /** Directory with the OpenSSH shims; first on `env.PATH`. */
  binDir: string;
  /** Environment for the docker CLI, ssh and the code under test: no DOCKER_HOST/DOCKER_CONTEXT/SSH_AUTH_SOCK. */
  env: NodeJS.ProcessEnv;
  remove(): void;
}

/** The OpenSSH client tools that get a shim. */
export const SHIMMED_TOOLS = ['ssh', 'ssh-keygen', 'ssh-add', 'scp', 'sftp', 'ssh-copy-id'] as const;

/** The `PATH` after the shims (so the tools the code under test finds are those a login shell finds). */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function tempHome(prefix = 'rdc-home-'): TempHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const release = register({ kind: 'dir', path: home });
  const sshDir = path.join(home, '.ssh');
  const dockerConfig = path.join(home, '.docker');
  const binDir = path.join(home, 'bin');
  fs.mkdirSync(sshDir, { mode: 0o700 });
  fs.mkdirSync(dockerConfig, { mode: 0o700 });
  fs.mkdirSync(binDir, { mode: 0o755 });
  const passwdHome = os.userInfo().homedir;
  for (const tool of SHIMMED_TOOLS) {
    const real = `/usr/bin/${tool}`;
    fs.writeFileSync(path.join(binDir, tool), shimScript(home, passwdHome, real), { mode: 0o755 });
  }
  const user = os.userInfo().username;
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    USER: user,
    LOGNAME: user,
    PATH: `${binDir}:${SYSTEM_PATH}`,
    DOCKER_CONFIG: dockerConfig,
    LANG: 'C.UTF-8',
  };
  return {
    home,
    sshDir,
    dockerConfig,
    binDir,
    env,
    remove: () => {
      removeTreeSync(home);
      release();
    },
  };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function shimScript(home: string, passwdHome: string, real: string): string {
  return [
    '#!/bin/sh',
    '# Test shim: runs the OpenSSH tool with this directory as the passwd home (see test/support/tempHome.ts).',
    `exec unshare --mount --propagation private -- /bin/sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' \\`,
    `  ${shellQuote(home)} ${shellQuote(passwdHome)} ${shellQuote(real)} "$@"`,
    '',
  ].join('\n');
}

/**
 * Explicit-path options for running `/usr/bin/ssh` against a temp home without the shims:
 * its config, its known_hosts only (no global file), its default identities, no agent.
 */
export function sshArgs(home: string): string[] {
  const ssh = path.join(home, '.ssh');
  return [
    '-F',
    path.join(ssh, 'config'),
    '-o',
    `UserKnownHostsFile=${path.join(ssh, 'known_hosts')}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    `IdentityFile=${path.join(ssh, 'id_ed25519')}`,
    '-o',
    'IdentityAgent=none',
  ];
}

/** Appends text to `<home>/.ssh/config` (created 0600 when missing). */
export function appendSshConfig(home: string, text: string): void {
  const file = path.join(home, '.ssh', 'config');
  fs.appendFileSync(file, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 });
}

/** A `Host` block for a loopback test server. Paths are absolute: no `~` surprises. */
export function sshHostBlock(o: {
  alias: string;
  port: number;
  user: string;
  identityFile?: string;
  hostName?: string;
}): string {
  const lines = [`Host ${o.alias}`, `  HostName ${o.hostName ?? '127.0.0.1'}`, `  Port ${o.port}`, `  User ${o.user}`];
  if (o.identityFile) {
    lines.push(`  IdentityFile ${o.identityFile}`, '  IdentitiesOnly yes');
  }
  return `${lines.join('\n')}\n`;
}

/** Appends one line to `<home>/.ssh/known_hosts` (created 0600 when missing). */
export function addKnownHost(home: string, line: string): void {
  fs.appendFileSync(path.join(home, '.ssh', 'known_hosts'), `${line.trim()}\n`, { mode: 0o600 });
}

export interface KeyPair {
  privateKey: string;
  publicKey: string;
  /** `ssh-ed25519 AAAA... comment` */
  publicLine: string;
}

/** Generates an unencrypted ed25519 key with the real ssh-keygen (mode 600). */
export async function generateKey(
  home: string,
  name = 'id_ed25519',
  comment = `rdc-test-${randomBytes(3).toString('hex')}`,
): Promise<KeyPair> {
  const privateKey = path.join(home, '.ssh', name);
  const r = await runProcess(
    '/usr/bin/ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKey],
    { timeoutMs: 30_000 },
  );
  if (r.code !== 0) {
    throw new Error(`ssh-keygen failed: ${r.stderr}`);
  }
  const publicKey = `${privateKey}.pub`;
  return { privateKey, publicKey, publicLine: fs.readFileSync(publicKey, 'utf8').trim() };
}
