/**
 * The host paths of one open document, whatever kind it is: a compose file (with the project's
 * `.env` and the environment for interpolation) or a devcontainer.json.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isComposeFile, isDevcontainerFile } from './composeFiles';
import { readComposeMounts, type HostMount } from './composeMounts';
import { readDevcontainerMounts } from './devcontainerMounts';
import { parseDotEnv, type Environment } from './interpolate';

export interface DocumentMounts {
  kind: 'compose' | 'devcontainer';
  mounts: HostMount[];
  /** Relative sources resolve against this. */
  baseDir: string;
  /** Top-level volume names (compose), for naming a new one. */
  volumes: string[];
}

/** Compose reads `.env` next to the compose file; the environment wins over it. */
export async function composeEnvironment(composeFile: string, env: Environment): Promise<Environment> {
  let text = '';
  try {
    text = await fs.readFile(path.join(path.dirname(composeFile), '.env'), 'utf8');
  } catch {
    // No .env: only the environment.
  }
  const fromFile = parseDotEnv(text, env);
  const out: Record<string, string | undefined> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined) {
      out[k] = v;
    }
  }
  return out;
}

export async function documentMounts(
  file: string,
  text: string,
  env: Environment,
): Promise<DocumentMounts | undefined> {
  if (isComposeFile(file)) {
    const r = readComposeMounts(text, await composeEnvironment(file, env));
    return { kind: 'compose', mounts: r.mounts, baseDir: path.dirname(file), volumes: r.volumes };
  }
  if (isDevcontainerFile(file)) {
    const folder = path.basename(file) === '.devcontainer.json' ? path.dirname(file) : path.dirname(path.dirname(file));
    return { kind: 'devcontainer', mounts: readDevcontainerMounts(text, folder, env), baseDir: folder, volumes: [] };
  }
  return undefined;
}
