/**
 * yaml loaded on first use, not when the bundle is evaluated (esbuild.mjs gives it a file of its
 * own): activation reads no compose file. Other modules import only its types.
 */
import type * as Yaml from 'yaml';

export function loadYaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deliberate lazy load (see above)
  return require('yaml') as typeof Yaml;
}
