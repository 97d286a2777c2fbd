import * as vscode from 'vscode';
import type { Logger } from '../../core/common/log';
import { type EnvironmentEdit, mergeEnvironment, undoEnvironment } from '../../core/contexts/workspaceContext';
import { DOCKER_CONTEXT_VARIABLE, WorkspaceStateKeys } from './workspaceIds';

/**
 * Microsoft's container extensions have no context API; what they do offer is an environment
 * setting copied into every terminal and CLI call they make. Read from their published manifests:
 * - ms-azuretools.vscode-containers 2.5.0 (github.com/microsoft/vscode-containers,
 *   extensions/vscode-containers/package.json at 9aac5ff): `containers.environment`, an object
 *   of strings, scope `machine-overridable` (so a workspace value is honoured); refresh commands
 *   `vscode-containers.containers.refresh`, `vscode-containers.contexts.refresh`.
 * - ms-azuretools.vscode-docker 1.29.6 (github.com/microsoft/vscode-docker, package.json at
 *   9a7d150, the last release before it became an extension pack): `docker.environment`, same
 *   shape and scope; `vscode-docker.containers.refresh`, `vscode-docker.contexts.refresh`. Its
 *   2.x is a pack that installs vscode-containers and declares no setting (vscode-containers
 *   migrates `docker.environment`, src/utils/migration/settingsMap.ts), so it is offered only
 *   when the installed version still declares the setting.
 * A change of the setting alone does not refresh their views, hence the refresh commands.
 */
export interface Neighbour {
  readonly extensionId: string;
  readonly setting: string;
  readonly refreshCommands: readonly string[];
}

export const NEIGHBOURS: readonly Neighbour[] = [
  {
    extensionId: 'ms-azuretools.vscode-containers',
    setting: 'containers.environment',
    refreshCommands: ['vscode-containers.containers.refresh', 'vscode-containers.contexts.refresh'],
  },
  {
    extensionId: 'ms-azuretools.vscode-docker',
    setting: 'docker.environment',
    refreshCommands: ['vscode-docker.containers.refresh', 'vscode-docker.contexts.refresh'],
  },
];

/** One write into a neighbour's setting at workspace scope, as recorded for Stop. */
interface RecordedEdit {
  setting: string;
  edit: EnvironmentEdit;
}

function declaresSetting(ext: vscode.Extension<unknown>, setting: string): boolean {
  const contributes = (ext.packageJSON as { contributes?: { configuration?: unknown } }).contributes;
  const cfg = contributes?.configuration;
  const blocks = Array.isArray(cfg) ? cfg : cfg ? [cfg] : [];
  return blocks.some(
    (b) => typeof b === 'object' && b !== null && setting in ((b as { properties?: object }).properties ?? {}),
  );
}

/** The neighbours installed here that still declare their environment setting. */
export function installedNeighbours(): Neighbour[] {
  return NEIGHBOURS.filter((n) => {
    const ext = vscode.extensions.getExtension(n.extensionId);
    return !!ext && declaresSetting(ext, n.setting);
  });
}

function splitSetting(setting: string): { section: string; key: string } {
  const dot = setting.indexOf('.');
  return { section: setting.slice(0, dot), key: setting.slice(dot + 1) };
}

function workspaceValue(setting: string): unknown {
  const { section, key } = splitSetting(setting);
  return vscode.workspace.getConfiguration(section).inspect(key)?.workspaceValue;
}

async function writeWorkspaceValue(setting: string, value: unknown): Promise<void> {
  const { section, key } = splitSetting(setting);
  await vscode.workspace.getConfiguration(section).update(key, value, vscode.ConfigurationTarget.Workspace);
}

/**
 * Writes DOCKER_CONTEXT into the neighbours' environment settings for this workspace (merging),
 * remembering each edit, and asks them to refresh. Edits of an earlier context are taken back first.
 */
export class NeighbourSettings {
  constructor(
    private readonly state: vscode.Memento,
    private readonly logger: Logger,
  ) {}

  get consent(): 'yes' | 'no' | undefined {
    const v = this.state.get<unknown>(WorkspaceStateKeys.neighboursConsent);
    return v === 'yes' || v === 'no' ? v : undefined;
  }

  async setConsent(answer: 'yes' | 'no'): Promise<void> {
    await this.state.update(WorkspaceStateKeys.neighboursConsent, answer);
  }

  private get recorded(): RecordedEdit[] {
    const v = this.state.get<unknown>(WorkspaceStateKeys.neighbourEdits);
    return Array.isArray(v) ? (v as RecordedEdit[]) : [];
  }

  async apply(neighbours: readonly Neighbour[], context: string): Promise<void> {
    await this.undo();
    const done: RecordedEdit[] = [];
    try {
      for (const n of neighbours) {
        const { next, edit } = mergeEnvironment(workspaceValue(n.setting), DOCKER_CONTEXT_VARIABLE, context);
        await writeWorkspaceValue(n.setting, next);
        done.push({ setting: n.setting, edit });
        this.logger.info(`Set ${DOCKER_CONTEXT_VARIABLE}=${context} in ${n.setting} of this workspace`);
      }
    } finally {
      await this.state.update(WorkspaceStateKeys.neighbourEdits, done);
    }
    await refresh(neighbours, this.logger);
  }

  /** Takes back exactly what `apply` wrote; a value someone changed since is left alone. */
  async undo(): Promise<void> {
    const edits = this.recorded;
    if (edits.length === 0) {
      return;
    }
    for (const r of edits) {
      const next = undoEnvironment(workspaceValue(r.setting), r.edit);
      if (next === 'unchanged') {
        this.logger.info(
          `${r.setting} of this workspace changed since ${DOCKER_CONTEXT_VARIABLE} was set; left as it is`,
        );
        continue;
      }
      await writeWorkspaceValue(r.setting, next);
      this.logger.info(`Removed ${DOCKER_CONTEXT_VARIABLE} from ${r.setting} of this workspace`);
    }
    await this.state.update(WorkspaceStateKeys.neighbourEdits, undefined);
    await refresh(
      NEIGHBOURS.filter((n) => edits.some((e) => e.setting === n.setting)),
      this.logger,
    );
  }
}

/** Its manifest contributes the command (then running it activates the extension if need be). */
function declaresCommand(n: Neighbour, id: string): boolean {
  const ext = vscode.extensions.getExtension(n.extensionId);
  const commands = (ext?.packageJSON as { contributes?: { commands?: unknown } } | undefined)?.contributes?.commands;
  return Array.isArray(commands) && commands.some((c) => (c as { command?: unknown } | null)?.command === id);
}

async function refresh(neighbours: readonly Neighbour[], logger: Logger): Promise<void> {
  for (const n of neighbours) {
    for (const id of n.refreshCommands) {
      // Not `getCommands`: it lists the commands of activated extensions only.
      if (!declaresCommand(n, id)) {
        continue;
      }
      try {
        await vscode.commands.executeCommand(id);
      } catch (e) {
        logger.warn(`${id} failed: ${String(e)}`);
      }
    }
  }
}
