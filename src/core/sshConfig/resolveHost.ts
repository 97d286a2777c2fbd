/**
 * Resolving a host alias to its effective settings: `ssh -G` when an ssh client is present
 * (resolveHostSsh.ts), else the built-in evaluator (builtinResolver.ts).
 */
import { errnoCode } from '../common/fsutil';
import { resolveHostBuiltin } from './builtinResolver';
import type { EffectiveHost, ResolveOptions } from './effectiveHost';
import { resolveHostWithSsh } from './resolveHostSsh';

export {
  DEFAULT_SYSTEM_CONFIG,
  type EffectiveHost,
  type ResolveOptions,
  type StrictHostKeyChecking,
} from './effectiveHost';
export { resolveHostBuiltin } from './builtinResolver';
export { convtime } from './builtinOptions';
export { resolveHostWithSsh } from './resolveHostSsh';

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
