/** What a resolver says about a host alias, and the rules both resolvers share. */
import { CoreError } from '../common/errors';

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
  /**
   * Settings ssh2 cannot honour (read from `ssh -G` only: without an ssh client there is no
   * other way to honour them either). A host using one is reached through the system's OpenSSH
   * client (src/core/ssh/systemSshNeed.ts).
   */
  pkcs11Provider?: string;
  gssapiAuthentication?: boolean;
  /** CertificateFile values (user certificates), expanded. */
  certificateFiles?: string[];
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

/** OpenSSH 9.x's default identities, in the order `ssh -G` lists them (readconf.c fill_default_options). */
export const DEFAULT_IDENTITY_FILES = [
  '~/.ssh/id_rsa',
  '~/.ssh/id_ecdsa',
  '~/.ssh/id_ecdsa_sk',
  '~/.ssh/id_ed25519',
  '~/.ssh/id_ed25519_sk',
  '~/.ssh/id_xmss',
  '~/.ssh/id_dsa',
];
export const DEFAULT_USER_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
export const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
export const MAX_IDENTITY_FILES = 100;

/**
 * ssh refuses a command-line host name with shell metacharacters, whitespace or a leading '-'
 * (`valid_hostname()`, CVE-2023-51385 fix, also in Debian's 9.2); it would split `user@host`
 * and parse `ssh://` URIs. None of those is an alias the resolvers can answer for.
 */
export function checkAlias(alias: string): void {
  if (
    alias === '' ||
    alias.startsWith('-') ||
    // eslint-disable-next-line no-control-regex -- control characters are among what ssh refuses
    /['`"$\\;&<>|(){},@\s\x00-\x1f\x7f]/.test(alias) ||
    /^ssh:\/\//i.test(alias)
  ) {
    throw new CoreError('sshAliasInvalid', `"${alias}" is not a host alias ssh can be given`, { alias });
  }
}

/** What both resolvers do last, so they describe `none` the same way. */
export function finish(h: EffectiveHost): EffectiveHost {
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
