/**
 * The dockerCli step of diagnose: is `docker` on the PATH of non-interactive SSH sessions (what
 * the docker CLI's ssh:// contexts run there), installed off the PATH, or missing; or does the
 * login shell not run commands at all.
 */
import type { SshConnection } from '../ssh/connection';
import type { ChannelDeadline } from '../engine/remoteSocket';
import { execRemote } from '../ssh/remoteExec';
import type { DiagnoseStep } from './diagnoseTypes';
import { loginShellCommand } from './fixCommands';

/**
 * `command -v` as the docker CLI would meet it: the PATH of a non-interactive session. When it
 * is missing, a few usual install locations tell "not installed" from "not on PATH".
 */
export const DOCKER_CLI_PROBE_COMMAND =
  `exec /bin/sh -c 'echo rdc-sh; if command -v docker; then exit 0; fi; ` +
  `for p in /usr/local/bin/docker /usr/bin/docker /snap/bin/docker /opt/homebrew/bin/docker /Applications/Docker.app/Contents/Resources/bin/docker; do ` +
  `if [ -x "$p" ]; then echo "rdc-offpath:$p"; exit 3; fi; done; exit 1'`;

export interface CliProbe {
  status: 'found' | 'offPath' | 'missing' | 'shellNotPosix';
  path?: string;
  output?: string;
}

/** The dockerCli step, once it is known whether the extension can do without the CLI. */
export function putCli(
  put: (s: DiagnoseStep) => void,
  cli: CliProbe,
  durationMs: number,
  forwarded: boolean,
  user: string,
): void {
  const weak = forwarded ? 'warning' : 'failed';
  switch (cli.status) {
    case 'found':
      put({ id: 'dockerCli', status: 'ok', note: 'cliFound', params: { path: cli.path }, durationMs });
      return;
    case 'offPath':
      put({
        id: 'dockerCli',
        status: weak,
        reason: 'dockerCliMissing',
        note: 'cliOffPath',
        params: { path: cli.path },
        fix: { kind: 'addDockerToRemotePath', value: dirOf(cli.path ?? '') },
        durationMs,
      });
      return;
    case 'missing':
      put({
        id: 'dockerCli',
        status: weak,
        reason: 'dockerCliMissing',
        note: 'cliMissing',
        params: { forwarded },
        fix: { kind: 'installDockerCli' },
        durationMs,
      });
      return;
    case 'shellNotPosix': {
      const command = loginShellCommand(user);
      put({
        id: 'dockerCli',
        status: weak,
        reason: 'remoteShellNotPosix',
        note: 'shellNotPosix',
        params: { user, output: cli.output },
        fix: command ? { kind: 'changeLoginShell', command } : { kind: 'changeLoginShell' },
        durationMs,
      });
      return;
    }
  }
}

export async function probeDockerCli(conn: SshConnection, d: ChannelDeadline): Promise<CliProbe> {
  const r = await execRemote(conn.client, DOCKER_CLI_PROBE_COMMAND, d);
  const lines = r.stdout.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== 'rdc-sh') {
    return { status: 'shellNotPosix', output: (r.stdout + ' ' + r.stderr).trim().replace(/\s+/g, ' ').slice(0, 200) };
  }
  if (r.code === 0 && lines[1]) {
    return { status: 'found', path: lines[1] };
  }
  const off = lines.find((l) => l.startsWith('rdc-offpath:'));
  if (r.code === 3 && off) {
    return { status: 'offPath', path: off.slice('rdc-offpath:'.length) };
  }
  return { status: 'missing' };
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i > 0 ? p.slice(0, i) : p;
}
