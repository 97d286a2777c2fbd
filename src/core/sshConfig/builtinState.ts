/** The state the built-in evaluator carries through the files it reads. */
import { CoreError } from '../common/errors';
import type { ResolveOptions, StrictHostKeyChecking } from './effectiveHost';

export interface Collected {
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
  /** Raw values (`+`, `-`, `^` or a list); assembled by sshAlgorithms.ts. */
  hostKeyAlgorithms?: string;
  pubkeyAcceptedAlgorithms?: string;
  kexAlgorithms?: string;
  ciphers?: string;
  macs?: string;
}

export interface Pass {
  alias: string;
  finalPass: boolean;
  wantFinal: boolean;
  opts: Collected;
  options: ResolveOptions;
}

export function configError(file: string, line: number, message: string): CoreError {
  return new CoreError('sshConfigUnparsable', `${file} line ${line}: ${message}`, { file, line });
}
