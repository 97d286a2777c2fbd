/** The sentences of the bind-mount warnings (the core gives facts, these say them). */
import * as vscode from 'vscode';
import type { MountFinding } from '../../core/compose/mountCheck';

export function findingMessage(context: string, f: MountFinding): string {
  const unset =
    f.mount.unset.length > 0 ? ' ' + vscode.l10n.t('Not set: {0}.', f.mount.unset.map((v) => '$' + v).join(', ')) : '';
  if (f.mount.kind === 'build') {
    return (
      vscode.l10n.t(
        'The build context {0} is read on this machine and sent to {1} on every build (see its size above the build).',
        f.hostPath,
        context,
      ) + unset
    );
  }
  return remoteSentence(context, f) + unset;
}

function remoteSentence(context: string, f: MountFinding): string {
  switch (f.remote) {
    case 'directory':
      return vscode.l10n.t(
        "The daemon of {0} mounts {1} from its own machine, where it exists as a directory: that copy is used, not this machine's.",
        context,
        f.hostPath,
      );
    case 'file':
      return vscode.l10n.t(
        "The daemon of {0} mounts {1} from its own machine, where it exists as a file: that copy is used, not this machine's.",
        context,
        f.hostPath,
      );
    case 'other':
      return vscode.l10n.t(
        'The daemon of {0} mounts {1} from its own machine, where it exists (neither a file nor a directory).',
        context,
        f.hostPath,
      );
    case 'missing':
      return f.whenMissing === 'failsToStart'
        ? vscode.l10n.t(
            'The daemon of {0} mounts {1} from its own machine, where it is missing: the container will fail to start.',
            context,
            f.hostPath,
          )
        : vscode.l10n.t(
            'The daemon of {0} mounts {1} from its own machine, where it is missing: Docker will create an empty directory there.',
            context,
            f.hostPath,
          );
    default:
      return vscode.l10n.t(
        'The daemon of {0} mounts {1} from its own machine, not from this one (whether it exists there could not be checked).',
        context,
        f.hostPath,
      );
  }
}
