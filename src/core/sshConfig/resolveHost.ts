import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreError, throwIfAborted } from '../common/errors';
import { runProcess } from '../common/exec';
import { errnoCode, isNotFound } from '../common/fsutil';
import { isDefaultUserConfig, MAX_INCLUDE_DEPTH, readConfigText, unsafePermissions } from './sshConfig';
import { parseLine, splitLines, strdelim } from './sshConfigSyntax';
import { anchorInclude, globFiles } from './sshInclude';
import { matchHostname, matchPattern, matchPatternList } from './sshPattern';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask';

export interface EffectiveHost {
  alias: string;
  hostname: string;
  user: string;
  port: number;
  /** `~` expanded against `home`, %-tokens expanded (%d %u %l %h %r %p %n %% and %C %L %i %k). */
  identityFiles: string[];
  identitiesOnly: boolean;
  identityAgent?: string;
  /** As `ssh -G` prints it: `[earlier hops,][user@]host[:port]`. Unset or `none` -> undefined. */
  proxyJump?: string;
  /** The raw command (tokens unexpanded); a host using one cannot be reached by a plain TCP connection. */
  proxyCommand?: string;
  /** Lower-cased, as ssh uses it. */
  hostKeyAlias?: string;
  /** Expanded; defaults when unset; `none` gives an empty list. */
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  hashKnownHosts: boolean;
  /** Seconds; undefined when unset (`none`). */
  connectTimeout?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  source: 'ssh -G' | 'builtin';
}

export interface ResolveOptions {
  configFile: string;
  home: string;
  localUser: string;
  /** path of the `ssh` client to run `ssh -G` with; null = never run it (use the builtin resolver); undefined = look up `ssh` on PATH and fall back to builtin if absent */
  sshBinary?: string | null;
  /** system-wide config read by the builtin resolver (default /etc/ssh/ssh_config); null = none */
  systemConfigFile?: string | null;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export const DEFAULT_SYSTEM_CONFIG = '/etc/ssh/ssh_config';
const DEFAULT_TIMEOUT_MS = 10_000;

/** OpenSSH 9.x's default identities, in the order `ssh -G` lists them (readconf.c fill_default_options). */
const DEFAULT_IDENTITY_FILES = [
  '~/.ssh/id_rsa',
  '~/.ssh/id_ecdsa',
  '~/.ssh/id_ecdsa_sk',
  '~/.ssh/id_ed25519',
  '~/.ssh/id_ed25519_sk',
  '~/.ssh/id_xmss',
  '~/.ssh/id_dsa',
];
const DEFAULT_USER_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
const MAX_IDENTITY_FILES = 100;

/**
 * The effective settings of `alias`: from `ssh -G` when an ssh client is available (it knows
 * every keyword, canonicalisation and the local quirks), else from the builtin resolver. A
 * missing client falls back; a config that ssh rejects is reported, not papered over.
 */
export async function resolveHost(alias: string, options: ResolveOptions): Promise<EffectiveHost> {
  if (options.sshBinary === null) {
    return resolveHostBuiltin(alias, options);
  }
  const binary = options.sshBinary ?? (process.platform === 'win32' ? 'ssh.exe' : 'ssh');
  try {
    return await resolveHostWithSsh(alias, { ...options, sshBinary: binary });
  } catch (e) {
    const code = errnoCode(e);
    if (options.sshBinary === undefined && (code === 'ENOENT' || code === 'EACCES')) {
      return resolveHostBuiltin(alias, options);
    }
    throw e;
  }
}

/**
 * ssh refuses a command-line host name with shell metacharacters, whitespace or a leading '-'
 * (`valid_hostname()`, CVE-2023-51385 fix, also in Debian's 9.2); it would split `user@host`
 * and parse `ssh://` URIs. None of those is an alias the resolvers can answer for.
 */
function checkAlias(alias: string): void {
  if (
    alias === '' ||
    alias.startsWith('-') ||
    /['`"$\\;&<>|(){},@\s\x00-\x1f\x7f]/.test(alias) ||
    /^ssh:\/\//i.test(alias)
  ) {
    throw new CoreError('sshAliasInvalid', `"${alias}" is not a host alias ssh can be given`, { alias });
  }
}

// ---------------------------------------------------------------------------------------------
// ssh -G

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

// ---------------------------------------------------------------------------------------------
// Builtin resolver

interface Collected {
  hostname?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  identityAgent?: string;
  jumpHost?: string;
  jumpFormatted?: string;
  proxyCommand?: string;
  hostKeyAlias?: string;
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  strictHostKeyChecking?: StrictHostKeyChecking;
  hashKnownHosts?: boolean;
  connectTimeout?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  canonicalizeHostname?: boolean;
}

interface Pass {
  alias: string;
  finalPass: boolean;
  wantFinal: boolean;
  opts: Collected;
  options: ResolveOptions;
}

/**
 * OpenSSH's client configuration logic, re-done for machines without an `ssh` client: files in
 * order (user config, then the system config), first obtained value wins, keywords
 * case-insensitive, `Host` patterns (`*`, `?`, `!`), `Match all|host|originalhost|user|
 * localuser|final|canonical` (everything else, `exec` included, never matches and nothing is
 * ever executed), `Include` anywhere with the including block's state, a second pass when
 * `Match final`/`CanonicalizeHostname` asks for one (without DNS), `%` tokens and `~`.
 * Unknown keywords are ignored where ssh would refuse them; lines ssh cannot tokenize, bad
 * values of the keywords read here, Include loops and unsafe permissions are errors, as in ssh.
 */
export async function resolveHostBuiltin(alias: string, options: ResolveOptions): Promise<EffectiveHost> {
  checkAlias(alias);
  throwIfAborted(options.signal);
  const opts: Collected = { identityFiles: [] };
  const first: Pass = { alias, finalPass: false, wantFinal: false, opts, options };
  await readAllFiles(first);

  let host = opts.hostname !== undefined ? expandHostnameTokens(opts.hostname, alias) : alias;
  host = canonicalAddress(host) ?? host.toLowerCase();
  if (first.wantFinal || opts.canonicalizeHostname) {
    opts.hostname = host;
    await readAllFiles({ alias, finalPass: true, wantFinal: false, opts, options });
  }
  const user = opts.user ?? options.localUser;
  const port = opts.port ?? 22;
  const hostKeyAlias = opts.hostKeyAlias?.toLowerCase();
  const tokens = tokenContext(options, alias, host, user, port, hostKeyAlias);
  const identityFiles = opts.identityFiles.length ? opts.identityFiles : DEFAULT_IDENTITY_FILES;
  return finish({
    alias,
    hostname: host,
    user,
    port,
    identityFiles: identityFiles.map((f) => expandPath(f, tokens)),
    identitiesOnly: opts.identitiesOnly ?? false,
    identityAgent: opts.identityAgent === undefined ? undefined : expandPath(opts.identityAgent, tokens),
    proxyJump: opts.jumpHost === undefined || opts.jumpHost === 'none' ? undefined : opts.jumpFormatted,
    proxyCommand: opts.proxyCommand === undefined || opts.proxyCommand === 'none' ? undefined : opts.proxyCommand,
    hostKeyAlias,
    userKnownHostsFiles: (opts.userKnownHostsFiles ?? DEFAULT_USER_KNOWN_HOSTS).map((f) => expandPath(f, tokens)),
    globalKnownHostsFiles: (opts.globalKnownHostsFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS).map((f) =>
      expandTilde(f, options.home),
    ),
    strictHostKeyChecking: opts.strictHostKeyChecking ?? 'ask',
    hashKnownHosts: opts.hashKnownHosts ?? false,
    connectTimeout: opts.connectTimeout,
    serverAliveInterval: opts.serverAliveInterval ?? 0,
    serverAliveCountMax: opts.serverAliveCountMax ?? 3,
    source: 'builtin',
  });
}

/** What both resolvers do last, so they describe `none` the same way. */
function finish(h: EffectiveHost): EffectiveHost {
  const noneToEmpty = (l: string[]): string[] => (l.length === 1 && l[0].toLowerCase() === 'none' ? [] : l);
  const out: EffectiveHost = {
    ...h,
    userKnownHostsFiles: noneToEmpty(h.userKnownHostsFiles),
    globalKnownHostsFiles: noneToEmpty(h.globalKnownHostsFiles),
  };
  for (const k of Object.keys(out) as (keyof EffectiveHost)[]) {
    if (out[k] === undefined) {
      delete out[k];
    }
  }
  return out;
}

async function readAllFiles(pass: Pass): Promise<void> {
  const { options } = pass;
  const userCtx = { home: options.home, userConf: true, systemDir: '/etc/ssh' };
  await readConfigFile(
    pass,
    options.configFile,
    { ...userCtx, checkPerm: isDefaultUserConfig(options.configFile, options.home) },
    { active: true },
    false,
    0,
    [],
  );
  const system = options.systemConfigFile === undefined ? DEFAULT_SYSTEM_CONFIG : options.systemConfigFile;
  if (system !== null) {
    // Relative includes of the system file live next to it (/etc/ssh for the real one).
    const sysCtx = { home: options.home, userConf: false, systemDir: path.dirname(system), checkPerm: false };
    await readConfigFile(pass, system, sysCtx, { active: true }, false, 0, []);
  }
}

interface FileCtx {
  home: string;
  userConf: boolean;
  systemDir: string;
  checkPerm: boolean;
}

function configError(file: string, line: number, message: string): CoreError {
  return new CoreError('sshConfigUnparsable', `${file} line ${line}: ${message}`, { file, line });
}

async function readConfigFile(
  pass: Pass,
  file: string,
  ctx: FileCtx,
  state: { active: boolean },
  neverMatch: boolean,
  depth: number,
  stack: string[],
): Promise<void> {
  throwIfAborted(pass.options.signal);
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new CoreError('sshIncludeLoop', `Too many recursive configuration includes at ${file}`, { file });
  }
  let text: string;
  try {
    text = await readConfigText(file);
  } catch (e) {
    if (isNotFound(e)) {
      return; // a missing user/system file or an include that vanished: ssh skips both
    }
    if (errnoCode(e) === 'EISDIR') {
      return; // ssh's fopen() succeeds on a directory and reads no lines from it
    }
    throw new CoreError(
      'fileUnreadable',
      `Cannot read ssh config ${file}: ${errnoCode(e) ?? String(e)}`,
      { file },
      { cause: e },
    );
  }
  if (ctx.checkPerm) {
    const bad = await unsafePermissions(file, false);
    if (bad) {
      throw new CoreError('sshConfigPermissions', `${bad} on ${file}`, { file });
    }
  }
  const real = await fs.realpath(file).catch(() => path.resolve(file));
  const lines = splitLines(text);
  for (const raw of lines) {
    const p = parseLine(raw.text);
    const lineNo = raw.number;
    if (p.kind === 'blank' || p.kind === 'comment') {
      continue;
    }
    if (p.kind === 'error') {
      throw configError(
        file,
        lineNo,
        p.error === 'invalidQuotes' ? 'invalid quotes' : `no argument after keyword "${p.key}"`,
      );
    }
    const { key, args } = p;
    switch (key) {
      case 'host': {
        state.active = false;
        if (neverMatch) {
          break;
        }
        for (const a of args) {
          if (a === '') {
            throw configError(file, lineNo, 'empty Host pattern');
          }
          const negated = a.startsWith('!');
          const pat = negated ? a.slice(1) : a;
          if (matchPattern(pass.alias, pat)) {
            if (negated) {
              state.active = false;
              break;
            }
            state.active = true;
          }
        }
        break;
      }
      case 'match': {
        const value = matchCfgLine(pass, p.rest, file, lineNo);
        state.active = neverMatch ? false : value;
        break;
      }
      case 'include': {
        const oactive = state.active;
        for (const arg of args) {
          const pattern = anchorInclude(arg, ctx);
          if (pattern === undefined) {
            throw configError(file, lineNo, `bad include path ${arg}`);
          }
          for (const inc of await globFiles(pattern)) {
            const incReal = await fs.realpath(inc).catch(() => path.resolve(inc));
            if (stack.includes(incReal) || incReal === real) {
              throw new CoreError('sshIncludeLoop', `${file} line ${lineNo}: Include of ${inc} loops`, {
                file,
                line: lineNo,
              });
            }
            await readConfigFile(pass, inc, { ...ctx, checkPerm: true }, state, neverMatch || !oactive, depth + 1, [
              ...stack,
              real,
            ]);
            state.active = oactive;
          }
        }
        break;
      }
      default:
        applyOption(pass, key, args, p.rest, state.active, file, lineNo);
    }
  }
}

function single(args: string[], file: string, line: number, key: string): string {
  if (args.length === 0 || args[0] === '') {
    throw configError(file, line, `missing argument for ${key}`);
  }
  if (args.length > 1) {
    throw configError(file, line, `keyword ${key} extra arguments at end of line`);
  }
  return args[0];
}

function parseFlag(v: string, file: string, line: number, key: string): boolean {
  switch (v.toLowerCase()) {
    case 'yes':
    case 'true':
      return true;
    case 'no':
    case 'false':
      return false;
    default:
      throw configError(file, line, `unsupported option "${v}" for ${key}`);
  }
}

function applyOption(
  pass: Pass,
  key: string,
  args: string[],
  rest: string,
  active: boolean,
  file: string,
  line: number,
): void {
  const o = pass.opts;
  switch (key) {
    case 'hostname': {
      const v = single(args, file, line, key);
      if (active && o.hostname === undefined) {
        o.hostname = v;
      }
      break;
    }
    case 'user': {
      const v = single(args, file, line, key);
      if (active && o.user === undefined) {
        o.user = v;
      }
      break;
    }
    case 'port': {
      const v = single(args, file, line, key);
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(n > 0 && n <= 65535)) {
        throw configError(file, line, `Badly formatted port number ${v}`);
      }
      if (active && o.port === undefined) {
        o.port = n;
      }
      break;
    }
    case 'identityfile': {
      const v = single(args, file, line, key);
      if (active && !o.identityFiles.includes(v)) {
        if (o.identityFiles.length >= MAX_IDENTITY_FILES) {
          throw configError(file, line, 'too many identity files specified');
        }
        o.identityFiles.push(v);
      }
      break;
    }
    case 'identitiesonly': {
      const v = parseFlag(single(args, file, line, key), file, line, key);
      if (active && o.identitiesOnly === undefined) {
        o.identitiesOnly = v;
      }
      break;
    }
    case 'identityagent': {
      const v = single(args, file, line, key);
      if (active && o.identityAgent === undefined) {
        o.identityAgent = v;
      }
      break;
    }
    case 'hostkeyalias': {
      const v = single(args, file, line, key);
      if (active && o.hostKeyAlias === undefined) {
        o.hostKeyAlias = v;
      }
      break;
    }
    case 'proxyjump': {
      const v = single(args, file, line, key);
      applyProxyJump(o, v, active, file, line);
      break;
    }
    case 'proxycommand': {
      // ssh takes the rest of the line verbatim, comments included. A real ProxyJump has set
      // it to `none` already; `ProxyJump none` does not block it (checked against ssh -G).
      if (active && o.proxyCommand === undefined) {
        o.proxyCommand = rest;
      }
      break;
    }
    case 'userknownhostsfile':
    case 'globalknownhostsfile': {
      if (args.some((a) => a === '')) {
        throw configError(file, line, `keyword ${key} empty argument`);
      }
      if (args.some((a) => a.toLowerCase() === 'none') && args.length > 1) {
        throw configError(file, line, `keyword ${key} "none" argument must appear alone`);
      }
      const field = key === 'userknownhostsfile' ? 'userKnownHostsFiles' : 'globalKnownHostsFiles';
      if (active && o[field] === undefined) {
        o[field] = [...args];
      }
      break;
    }
    case 'stricthostkeychecking': {
      const v = single(args, file, line, key).toLowerCase();
      const map: Record<string, StrictHostKeyChecking> = {
        yes: 'yes',
        true: 'yes',
        no: 'no',
        false: 'no',
        off: 'no',
        ask: 'ask',
        'accept-new': 'accept-new',
      };
      if (!(v in map)) {
        throw configError(file, line, `unsupported option "${v}" for ${key}`);
      }
      if (active && o.strictHostKeyChecking === undefined) {
        o.strictHostKeyChecking = map[v];
      }
      break;
    }
    case 'hashknownhosts': {
      const v = parseFlag(single(args, file, line, key), file, line, key);
      if (active && o.hashKnownHosts === undefined) {
        o.hashKnownHosts = v;
      }
      break;
    }
    case 'connecttimeout':
    case 'serveraliveinterval': {
      const v = single(args, file, line, key);
      const t = v === 'none' ? -1 : convtime(v);
      if (t === undefined) {
        throw configError(file, line, `invalid time value ${v}`);
      }
      const field = key === 'connecttimeout' ? 'connectTimeout' : 'serverAliveInterval';
      // `none` (-1) leaves the option unset, so a later line can still set it.
      if (active && o[field] === undefined && t !== -1) {
        o[field] = t;
      }
      break;
    }
    case 'serveralivecountmax': {
      const v = single(args, file, line, key);
      if (!/^-?\d+$/.test(v)) {
        throw configError(file, line, `invalid integer ${v}`);
      }
      if (active && o.serverAliveCountMax === undefined) {
        o.serverAliveCountMax = Number(v);
      }
      break;
    }
    case 'canonicalizehostname': {
      const v = single(args, file, line, key).toLowerCase();
      if (!['yes', 'no', 'true', 'false', 'always'].includes(v)) {
        throw configError(file, line, `unsupported option "${v}" for ${key}`);
      }
      if (active && o.canonicalizeHostname === undefined) {
        o.canonicalizeHostname = v !== 'no' && v !== 'false';
      }
      break;
    }
    default:
      break;
  }
}

/** OpenSSH's `convtime`: `90`, `1m30s`, `2h`, … in seconds; undefined when malformed. */
export function convtime(s: string): number | undefined {
  if (s === '') {
    return undefined;
  }
  let total = 0;
  const re = /(\d+)([sSmMhHdDwW]?)/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) {
      return undefined;
    }
    const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2].toLowerCase()] ?? 1;
    total += Number(m[1]) * mult;
    i = re.lastIndex;
  }
  return total > 2 ** 31 - 1 ? undefined : total;
}

/** `parse_jump`: the first ProxyJump wins; ssh prints the last hop re-assembled after the others. */
function applyProxyJump(o: Collected, v: string, active: boolean, file: string, line: number): void {
  const hops = v.split(',');
  if (v.toLowerCase() !== 'none') {
    for (const hop of hops) {
      if (parseHop(hop) === undefined) {
        throw configError(file, line, `Invalid ProxyJump "${v}"`);
      }
    }
  }
  if (!active || o.proxyCommand !== undefined || o.jumpHost !== undefined) {
    return;
  }
  if (v.toLowerCase() === 'none') {
    o.jumpHost = 'none';
    return;
  }
  const last = parseHop(hops[hops.length - 1]) as { user?: string; host: string; port?: number };
  const extra = hops.length > 1 ? v.slice(0, v.lastIndexOf(',')) + ',' : '';
  const host = last.host.includes(':') ? `[${last.host}]` : last.host;
  o.jumpHost = last.host;
  o.jumpFormatted = `${extra}${last.user !== undefined ? last.user + '@' : ''}${host}${last.port !== undefined ? ':' + last.port : ''}`;
  o.proxyCommand = 'none';
}

function parseHop(hop: string): { user?: string; host: string; port?: number } | undefined {
  let s = hop;
  if (/^ssh:\/\//i.test(s)) {
    s = s.slice(6).replace(/\/$/, '');
    if (s.includes('[')) {
      return undefined; // OpenSSH 9.2 rejects bracketed addresses in ProxyJump URIs
    }
  }
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    if (user === '') {
      return undefined;
    }
    s = s.slice(at + 1);
  }
  let host: string;
  let portStr: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) {
      return undefined;
    }
    host = s.slice(1, close);
    const after = s.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) {
      return undefined;
    }
    portStr = after === '' ? undefined : after.slice(1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    portStr = colon < 0 ? undefined : s.slice(colon + 1);
  }
  if (host === '') {
    return undefined;
  }
  let port: number | undefined;
  if (portStr !== undefined && portStr !== '') {
    port = /^\d+$/.test(portStr) ? Number(portStr) : NaN;
    if (!(port > 0 && port <= 65535)) {
      return undefined;
    }
  }
  return { user, host, port };
}

/** `match_cfg_line` for the criteria that need no execution, DNS or network. */
function matchCfgLine(pass: Pass, condition: string, file: string, line: number): boolean {
  const o = pass.opts;
  const { alias, options } = pass;
  const ruser = o.user ?? options.localUser;
  const host = pass.finalPass
    ? (o.hostname as string)
    : o.hostname !== undefined
      ? expandHostnameTokens(o.hostname, alias)
      : alias;
  let result = true;
  let attributes = 0;
  let cp: string | null = condition;
  for (;;) {
    const t = strdelim(cp);
    if (t === undefined) {
      throw configError(file, line, 'invalid quotes in Match');
    }
    if (t === null || t.token === '') {
      break;
    }
    cp = t.rest;
    let attrib = t.token;
    if (attrib.startsWith('#')) {
      break;
    }
    const negate = attrib.startsWith('!');
    if (negate) {
      attrib = attrib.slice(1);
    }
    const name = attrib.toLowerCase();
    if (name === 'all') {
      const nextTok = strdelim(cp);
      if (attributes > 1 || (nextTok && nextTok.token !== '' && !nextTok.token.startsWith('#'))) {
        throw configError(file, line, `'all' cannot be combined with other Match attributes`);
      }
      if (result) {
        result = !negate;
      }
      return result;
    }
    attributes++;
    if (name === 'canonical' || name === 'final') {
      if (name === 'final' && !pass.finalPass) {
        pass.wantFinal = true;
      }
      if (pass.finalPass === negate) {
        result = false;
      }
      continue;
    }
    const argTok = strdelim(cp);
    if (argTok === undefined || argTok === null || argTok.token === '' || argTok.token.startsWith('#')) {
      throw configError(file, line, `Missing Match criteria for ${attrib}`);
    }
    cp = argTok.rest;
    const arg = argTok.token;
    let r: boolean;
    switch (name) {
      case 'host':
        r = matchHostname(host, arg) === 1;
        break;
      case 'originalhost':
        r = matchHostname(alias, arg) === 1;
        break;
      case 'user':
        r = matchPatternList(ruser, arg, false) === 1;
        break;
      case 'localuser':
        r = matchPatternList(options.localUser, arg, false) === 1;
        break;
      default:
        // exec, localnetwork, tagged, version, sessiontype, command, …: never evaluated here
        // (nothing is executed); the line simply does not apply.
        result = false;
        continue;
    }
    if (r === negate) {
      result = false;
    }
  }
  if (attributes === 0) {
    throw configError(file, line, 'One or more attributes required for Match');
  }
  return result;
}

/** HostName understands only `%h` (the alias) and `%%`. */
function expandHostnameTokens(v: string, alias: string): string {
  return v.replace(/%([%h])/g, (_m, c: string) => (c === '%' ? '%' : alias));
}

/**
 * ssh does not lower-case IP literals, and rewrites them into their canonical text form when
 * that differs other than in case; other names are lower-cased. Returns undefined for names.
 */
function canonicalAddress(host: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    return host;
  }
  if (host.includes(':') && !host.includes('%')) {
    try {
      const canon = new URL(`http://[${host}]/`).hostname.slice(1, -1);
      return canon.toLowerCase() === host.toLowerCase() ? host : canon;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Tokens and tildes

interface TokenContext {
  home: string;
  env: NodeJS.ProcessEnv;
  values: Record<string, string>;
}

function tokenContext(
  options: ResolveOptions,
  alias: string,
  hostname: string,
  user: string,
  port: number,
  hostKeyAlias: string | undefined,
): TokenContext {
  const thisHost = os.hostname();
  const shortHost = thisHost.split('.')[0];
  const portStr = String(port);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (process.platform !== 'win32') {
    env.HOME = options.home;
  }
  return {
    home: options.home,
    env,
    values: {
      '%': '%',
      C: createHash('sha1')
        .update(thisHost + hostname + portStr + user)
        .digest('hex'),
      L: shortHost,
      i: String(process.getuid?.() ?? 0),
      k: hostKeyAlias ?? alias,
      l: thisHost,
      n: alias,
      p: portStr,
      d: options.home,
      h: hostname,
      r: user,
      u: options.localUser,
    },
  };
}

function expandTilde(p: string, home: string): string {
  if (p === '~') {
    return home;
  }
  if (p.startsWith('~/') || (process.platform === 'win32' && p.startsWith('~\\'))) {
    // Plain concatenation like tilde_expand_filename(): no normalisation of `..` or slashes.
    return (home.endsWith('/') || home.endsWith(path.sep) ? home : home + p[1]) + p.slice(2);
  }
  return p;
}

/** tilde_expand_filename, then percent and `${ENV}` expansion, as ssh does for paths. Unknown tokens stay. */
function expandPath(p: string, t: TokenContext): string {
  const tilde = expandTilde(p, t.home);
  let out = '';
  for (let i = 0; i < tilde.length; i++) {
    const c = tilde[i];
    if (c === '%' && i + 1 < tilde.length && t.values[tilde[i + 1]] !== undefined) {
      out += t.values[tilde[++i]];
    } else if (c === '$' && tilde[i + 1] === '{') {
      const close = tilde.indexOf('}', i + 2);
      const name = close > 0 ? tilde.slice(i + 2, close) : '';
      const val = name !== '' ? t.env[name] : undefined;
      if (val === undefined) {
        out += c;
      } else {
        out += val;
        i = close;
      }
    } else {
      out += c;
    }
  }
  return out;
}
