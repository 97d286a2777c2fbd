import type { HostFacts } from '../../core/connect/connectPlan';
import type { EffectiveHost } from '../../core/sshConfig/resolveHost';
import type { SshHostEntry } from '../sshHosts/sshService';

/** The questions of "Connect to a Remote Docker Host…": destination, alias, key, context name, description. */
export const TOTAL_STEPS = 5;

export function facts(e: EffectiveHost): HostFacts {
  return { alias: e.alias, hostname: e.hostname, user: e.user, port: e.port, identityFiles: e.identityFiles };
}

/** Hosts of the snapshot with the builtin resolver's values (cheap; ssh -G confirms the chosen one). */
export function knownFacts(hosts: readonly SshHostEntry[]): HostFacts[] {
  return hosts.flatMap((h) => (h.effective ? [{ ...facts(h.effective), alias: h.host.alias }] : []));
}
