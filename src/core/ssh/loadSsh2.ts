/**
 * ssh2 loaded on first use, not when the bundle is evaluated: it is most of the bundle's module
 * evaluation cost, and activation never opens an SSH connection. Other modules import only its
 * types and reach its values through this function.
 */
import type * as Ssh2 from 'ssh2';

export function loadSsh2(): typeof Ssh2 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deliberate lazy load (see above)
  return require('ssh2') as typeof Ssh2;
}
