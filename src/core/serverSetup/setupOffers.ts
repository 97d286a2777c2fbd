/**
 * What the guided flow can offer to do about a failed diagnosis, beyond showing the fix:
 *
 * - the user may not use the socket → add them to its group with sudo (a new login gets it);
 * - the daemon is not running and systemd runs the host → `systemctl enable --now docker`
 *   with sudo (without systemd only the command is shown: how to start it varies);
 * - Docker is not installed → the install commands for the host's distribution (shown, never run).
 *
 * Which ones apply is read from the diagnosis alone (`setupNeeds`); whether systemd runs the
 * host and which distribution it is come from `readRemoteFacts` (only read when a need asks).
 */
import type { DiagnoseStep } from '../diagnose/diagnoseTypes';
import type { PrivilegedFix } from './sudo';

export type SetupNeed =
  { kind: 'addToGroup'; group: string; user: string } | { kind: 'startDaemon' } | { kind: 'installDocker' };

export type SetupOffer =
  | { kind: 'sudo'; fix: PrivilegedFix }
  /** The install commands for the host's distribution. */
  | { kind: 'installGuide' };

type StepFacts = Pick<DiagnoseStep, 'id' | 'status' | 'reason' | 'params' | 'fix'>;

/** What the failed steps ask for, in the order they would be done (install, start, group). */
export function setupNeeds(steps: readonly StepFacts[]): SetupNeed[] {
  const failed = steps.filter((s) => s.status === 'failed');
  const needs: SetupNeed[] = [];
  if (failed.some((s) => s.fix?.kind === 'installDocker')) {
    needs.push({ kind: 'installDocker' });
  }
  if (failed.some((s) => s.reason === 'daemonNotRunning')) {
    needs.push({ kind: 'startDaemon' });
  }
  const perm = failed.find((s) => s.reason === 'dockerSocketPermission');
  const user = perm?.params?.user;
  const group = perm?.params?.group;
  if (typeof user === 'string' && user !== '') {
    needs.push({ kind: 'addToGroup', user, group: typeof group === 'string' && group !== '' ? group : 'docker' });
  }
  return needs;
}

/** True when offering needs `readRemoteFacts` first (systemd for the daemon, os-release for installing). */
export function needsRemoteFacts(needs: readonly SetupNeed[]): boolean {
  return needs.some((n) => n.kind !== 'addToGroup');
}

/** The offers for the needs, given whether systemd runs the host (unknown: no offer to start the daemon). */
export function setupOffers(needs: readonly SetupNeed[], facts: { systemd: boolean } | undefined): SetupOffer[] {
  return needs.flatMap((n): SetupOffer[] => {
    switch (n.kind) {
      case 'installDocker':
        return [{ kind: 'installGuide' }];
      case 'startDaemon':
        return facts?.systemd ? [{ kind: 'sudo', fix: { kind: 'enableDaemon' } }] : [];
      case 'addToGroup':
        return [{ kind: 'sudo', fix: { kind: 'addToGroup', group: n.group, user: n.user } }];
    }
  });
}
