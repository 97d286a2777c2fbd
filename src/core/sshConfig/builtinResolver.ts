/**
 * The built-in OpenSSH client configuration evaluator, for machines without an `ssh` client:
 * reads the files in ssh's order and folds them into an EffectiveHost. Keyword values are read in
 * builtinOptions.ts, `Match` lines in builtinMatch.ts, tokens and `~` in sshTokens.ts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CoreError, throwIfAborted } from '../common/errors';
import { errnoCode, isNotFound } from '../common/fsutil';
import { canonicalAddress, expandHostnameTokens, matchCfgLine } from './builtinMatch';
import { applyOption } from './builtinOptions';
import { configError, type Collected, type Pass } from './builtinState';
import {
  checkAlias,
  DEFAULT_GLOBAL_KNOWN_HOSTS,
  DEFAULT_IDENTITY_FILES,
  DEFAULT_SYSTEM_CONFIG,
  DEFAULT_USER_KNOWN_HOSTS,
  finish,
  type EffectiveHost,
  type ResolveOptions,
} from './effectiveHost';
import { isDefaultUserConfig, MAX_INCLUDE_DEPTH, readConfigText, unsafePermissions } from './sshConfig';
import { parseLine, splitLines } from './sshConfigSyntax';
import { anchorInclude, globFiles } from './sshInclude';
import { matchPattern } from './sshPattern';
import { expandPath, expandTilde, tokenContext } from './sshTokens';
import {
  ALL_CIPHERS,
  ALL_KEX,
  ALL_MACS,
  assembleAlgorithms,
  DEFAULT_CIPHERS,
  DEFAULT_KEX,
  DEFAULT_MACS,
} from './sshAlgorithms';

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
    hostKeyAlgorithms: assembleAlgorithms(opts.hostKeyAlgorithms),
    pubkeyAcceptedAlgorithms: assembleAlgorithms(opts.pubkeyAcceptedAlgorithms),
    kexAlgorithms: assembleAlgorithms(opts.kexAlgorithms, DEFAULT_KEX, ALL_KEX),
    ciphers: assembleAlgorithms(opts.ciphers, DEFAULT_CIPHERS, ALL_CIPHERS),
    macs: assembleAlgorithms(opts.macs, DEFAULT_MACS, ALL_MACS),
    source: 'builtin',
  });
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

async function readConfigFile(
  pass: Pass,
  file: string,
  ctx: FileCtx,
  state: { active: boolean },
  neverMatch: boolean,
  depth: number,
  stack: string[],
): Promise<void> {
  // ssh's read_config_file_depth loop: Host, Match and Include change the state in which the
  // rest of the file is read, so they stay in this one loop.
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
