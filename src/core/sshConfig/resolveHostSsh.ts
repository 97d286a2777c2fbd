/**
 * The resolver that asks OpenSSH itself: `ssh -G ALIAS` (argv, never a shell), read back into
 * an EffectiveHost, with ssh's complaints turned into reasons.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreError, throwIfAborted } from '../common/errors';
import { runProcess } from '../common/exec';
import { isNotFound } from '../common/fsutil';
import {
  checkAlias,
  finish,
  type EffectiveHost,
  type ResolveOptions,
  type StrictHostKeyChecking,
} from './effectiveHost';
import { isDefaultUserConfig } from './sshConfig';
import { expandPath, expandTilde, tokenContext } from './sshTokens';

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Runs `ssh -G` (argv, never a shell) and reads its lower-case `key value` lines.
 *
 * `-F` decision: ssh reads the system config (/etc/ssh/ssh_config, where Debian turns on
 * HashKnownHosts) only without `-F`, and it reads `~/.ssh/config` from the passwd home. So when
 * `configFile` is that very file, `home` is the passwd home and the caller did not ask for a
 * particular system config, `-F` is left out and the result is what a plain `ssh ALIAS` (and
 * the docker CLI, which runs plain `ssh`) will do. In every other case `-F configFile` is
 * passed (`-F none` when it does not exist), which skips the system config: callers comparing
 * with the builtin resolver pass `systemConfigFile: null` for that reason.
 *
 * `home` is also given to ssh as HOME, which is what glob(3) uses for `~` in Include. ssh
 * expands `~` and `%d` in UserKnownHostsFile and IdentityAgent with the passwd home instead;
 * when that differs from `home` the passwd home prefix is mapped to `home` so both resolvers
 * describe the same files.
 */
export async function resolveHostWithSsh(
  alias: string,
  options: ResolveOptions & { sshBinary: string },
): Promise<EffectiveHost> {
  // One straight sequence (choose -F, run ssh -G, read each field); split, its parts would only
  // hand the same values to each other.
  checkAlias(alias);
  throwIfAborted(options.signal);
  const passwdHome = passwdHomeDir();
  const args = ['-G'];
  const omitF =
    options.systemConfigFile === undefined &&
    passwdHome !== undefined &&
    path.resolve(options.home) === path.resolve(passwdHome) &&
    isDefaultUserConfig(options.configFile, passwdHome);
  if (!omitF) {
    const exists = await fs
      .stat(options.configFile)
      .then(() => true)
      .catch((e: unknown) => !isNotFound(e));
    args.push('-F', exists ? options.configFile : 'none');
  }
  args.push('--', alias);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (process.platform !== 'win32') {
    env.HOME = options.home;
  }
  const result = await runProcess(options.sshBinary, args, {
    env,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: options.signal,
  });
  if (result.code !== 0) {
    throw sshGError(result.stderr, options.configFile);
  }
  const values = new Map<string, string[]>();
  for (const line of result.stdout.split(/\r?\n/)) {
    const sp = line.indexOf(' ');
    if (sp <= 0) {
      continue;
    }
    const key = line.slice(0, sp).toLowerCase();
    const list = values.get(key) ?? [];
    list.push(line.slice(sp + 1));
    values.set(key, list);
  }
  const one = (k: string): string | undefined => values.get(k)?.[0];
  const mapHome = (p: string): string => {
    if (passwdHome === undefined || passwdHome === '/' || path.resolve(passwdHome) === path.resolve(options.home)) {
      return p;
    }
    if (p === passwdHome) {
      return options.home;
    }
    if (p.startsWith(passwdHome + '/')) {
      return options.home + p.slice(passwdHome.length);
    }
    return p;
  };
  const hostname = one('hostname') ?? alias;
  const user = one('user') ?? options.localUser;
  const port = Number(one('port') ?? '22');
  const hostKeyAlias = one('hostkeyalias');
  const tokens = tokenContext(options, alias, hostname, user, port, hostKeyAlias);
  const agent = one('identityagent');
  const proxyCommand = one('proxycommand');
  const connectTimeout = one('connecttimeout');
  const pkcs11 = one('pkcs11provider');
  const certificates = (values.get('certificatefile') ?? []).map((f) => expandPath(f, tokens));
  return finish({
    alias,
    hostname,
    user,
    port,
    identityFiles: (values.get('identityfile') ?? []).map((f) => expandPath(f, tokens)),
    identitiesOnly: one('identitiesonly') === 'yes',
    identityAgent: agent === undefined ? undefined : mapHome(agent),
    proxyJump: one('proxyjump'),
    proxyCommand: proxyCommand === undefined || proxyCommand === 'none' ? undefined : proxyCommand,
    hostKeyAlias,
    userKnownHostsFiles: splitList(one('userknownhostsfile')).map(mapHome),
    globalKnownHostsFiles: splitList(one('globalknownhostsfile')).map((f) => expandTilde(f, options.home)),
    strictHostKeyChecking: strictFromSsh(one('stricthostkeychecking')),
    hashKnownHosts: one('hashknownhosts') === 'yes',
    connectTimeout: connectTimeout === undefined || connectTimeout === 'none' ? undefined : Number(connectTimeout),
    serverAliveInterval: Number(one('serveraliveinterval') ?? '0'),
    serverAliveCountMax: Number(one('serveralivecountmax') ?? '3'),
    ...(pkcs11 !== undefined && pkcs11 !== 'none' ? { pkcs11Provider: pkcs11 } : {}),
    ...(one('gssapiauthentication') === 'yes' ? { gssapiAuthentication: true } : {}),
    ...(certificates.length > 0 ? { certificateFiles: certificates } : {}),
    source: 'ssh -G',
  });
}

function splitList(v: string | undefined): string[] {
  if (v === undefined) {
    return [];
  }
  return v.split(' ').filter((s) => s !== '');
}

function strictFromSsh(v: string | undefined): StrictHostKeyChecking {
  switch (v) {
    case 'true':
    case 'yes':
      return 'yes';
    case 'false':
    case 'no':
    case 'off':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    default:
      return 'ask';
  }
}

/** Turns ssh's complaint into a reason the UI can explain. */
function sshGError(stderr: string, configFile: string): CoreError {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Pseudo-terminal'));
  const text = lines.join('\n');
  const first = lines[0] ?? 'ssh -G failed';
  let m: RegExpMatchArray | null;
  if (/Too many recursive configuration includes/.test(text)) {
    return new CoreError('sshIncludeLoop', first, { file: configFile });
  }
  if ((m = /Bad owner or permissions on (.+)$/m.exec(text))) {
    return new CoreError('sshConfigPermissions', first, { file: m[1] });
  }
  if ((m = /Can't open user config file (.+?): (.+)$/m.exec(text))) {
    return new CoreError('fileUnreadable', first, { file: m[1] });
  }
  if ((m = /^(.+?):? line (\d+): (.+)$/m.exec(text))) {
    return new CoreError('sshConfigUnparsable', m[0], { file: m[1], line: Number(m[2]) });
  }
  return new CoreError('sshConfigUnparsable', first, { file: configFile });
}

let cachedPasswdHome: string | undefined | null = null;
function passwdHomeDir(): string | undefined {
  if (cachedPasswdHome === null) {
    try {
      cachedPasswdHome = os.userInfo().homedir;
    } catch {
      cachedPasswdHome = undefined;
    }
  }
  return cachedPasswdHome;
}
