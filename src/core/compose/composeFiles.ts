/** Which files the compose features read, by name. */
import * as path from 'node:path';

const COMPOSE_NAMES = new Set(['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml']);

/** `compose.yaml`, `docker-compose.yml`…, and `*.compose.y(a)ml` (e.g. `dev.compose.yaml`). */
export function isComposeFile(file: string): boolean {
  const base = path.basename(file).toLowerCase();
  return COMPOSE_NAMES.has(base) || /\.compose\.ya?ml$/.test(base);
}

/** `.devcontainer/devcontainer.json` (also `.devcontainer.json` at a folder's root). */
export function isDevcontainerFile(file: string): boolean {
  const base = path.basename(file);
  return (
    base === '.devcontainer.json' ||
    (base === 'devcontainer.json' && path.basename(path.dirname(file)) === '.devcontainer')
  );
}

/** A Dockerfile: `Dockerfile`, `Dockerfile.dev`, `dev.Dockerfile`, `x.dockerfile`. */
export function isDockerfile(file: string): boolean {
  const base = path.basename(file).toLowerCase();
  return base === 'dockerfile' || base.startsWith('dockerfile.') || base.endsWith('.dockerfile');
}
