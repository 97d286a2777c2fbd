/**
 * The bind mounts of a `devcontainer.json` (`mounts`, `workspaceMount`), in the Dev Containers
 * syntax (`source=…,target=…,type=bind` strings, or objects), with their offsets. The file is
 * JSON with comments and trailing commas, read with jsonc-parser (the reader VS Code itself uses).
 */
import * as path from 'node:path';
import { parseTree, findNodeAtLocation, type Node as JsonNode } from 'jsonc-parser';
import type { HostMount } from './composeMounts';
import type { Environment } from './interpolate';

/** `${localWorkspaceFolder}`, `${localWorkspaceFolderBasename}`, `${localEnv:VAR[:default]}`, `${env:VAR}`. */
export function devcontainerVariables(
  text: string,
  workspaceFolder: string,
  env: Environment,
): { value: string; unset: string[] } {
  const unset: string[] = [];
  const value = text.replace(/\$\{([^}]*)\}/g, (all, body: string) => {
    if (body === 'localWorkspaceFolder') {
      return workspaceFolder;
    }
    if (body === 'localWorkspaceFolderBasename') {
      return path.basename(workspaceFolder);
    }
    const m = /^(?:localEnv|env):([A-Za-z_][A-Za-z0-9_]*)(?::(.*))?$/.exec(body);
    if (!m) {
      return all;
    }
    const v = env[m[1]];
    if (v !== undefined && v !== '') {
      return v;
    }
    if (m[2] !== undefined) {
      return m[2];
    }
    unset.push(m[1]);
    return '';
  });
  return { value, unset };
}

/**
 * `workspaceFolder` is the folder holding `.devcontainer/` (what Dev Containers calls the local
 * workspace folder).
 */
export function readDevcontainerMounts(text: string, workspaceFolder: string, env: Environment): HostMount[] {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) {
    return [];
  }
  const out: HostMount[] = [];
  const mounts = findNodeAtLocation(root, ['mounts']);
  for (const item of mounts?.type === 'array' ? (mounts.children ?? []) : []) {
    const m = mountOf('mounts', item, workspaceFolder, env);
    if (m) {
      out.push(m);
    }
  }
  const ws = findNodeAtLocation(root, ['workspaceMount']);
  if (ws) {
    const m = mountOf('workspaceMount', ws, workspaceFolder, env);
    if (m) {
      out.push(m);
    }
  }
  return out;
}

function mountOf(owner: string, node: JsonNode, workspaceFolder: string, env: Environment): HostMount | undefined {
  let written: string | undefined;
  let type = 'bind';
  let span: { start: number; end: number } | undefined;
  if (node.type === 'string' && typeof node.value === 'string') {
    const fields = parseMountString(node.value);
    const src = fields.find((f) => f.key === 'source' || f.key === 'src');
    type = fields.find((f) => f.key === 'type')?.value ?? 'bind';
    written = src?.value;
    span = { start: node.offset, end: node.offset + node.length };
  } else if (node.type === 'object') {
    const src = findNodeAtLocation(node, ['source']);
    const t = findNodeAtLocation(node, ['type']);
    type = typeof t?.value === 'string' ? t.value : 'bind';
    if (src && typeof src.value === 'string') {
      written = src.value;
      span = { start: src.offset, end: src.offset + src.length };
    }
  }
  if (written === undefined || span === undefined || type !== 'bind') {
    return undefined;
  }
  const { value, unset } = devcontainerVariables(written, workspaceFolder, env);
  // The span covers the JSON string with its quotes: a fix would re-write it whole.
  return { kind: 'devcontainer', owner, written, source: value, span, wholeScalar: true, unset };
}

/** `source=a,target=/b,type=bind` (Docker's `--mount` syntax, without CSV quoting). */
function parseMountString(s: string): { key: string; value: string }[] {
  return s.split(',').map((part) => {
    const eq = part.indexOf('=');
    return eq < 0
      ? { key: part.trim(), value: '' }
      : { key: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
  });
}
