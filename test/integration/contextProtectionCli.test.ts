/**
 * The protection mark is written into the context's own meta.json: the docker CLI (which needs
 * no daemon for `docker context …`) must show it in `docker context inspect`, keep it across
 * `docker context update`, and carry it through `docker context export`/`import`.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { ContextStore } from '../../src/core/contexts/contextStore';
import { setContextProtection } from '../../src/core/contexts/protectContext';
import { DOCKER_CLI } from '../support/busybox';

const temps: string[] = [];
after(async () => {
  for (const d of temps) {
    await fs.rm(d, { recursive: true, force: true });
  }
});

async function sandbox(): Promise<{ store: ContextStore; docker: (args: string[]) => Promise<string> }> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdc-protect-cli-'));
  temps.push(base);
  const configDir = path.join(base, 'docker-config');
  const home = path.join(base, 'home');
  await fs.mkdir(configDir, { mode: 0o700 });
  await fs.mkdir(home);
  const env = { PATH: process.env.PATH, HOME: home, DOCKER_CONFIG: configDir };
  return {
    store: new ContextStore({ configDir, env: {} }),
    async docker(args) {
      const r = await runProcess(DOCKER_CLI, args, { env, timeoutMs: 60_000, cwd: base });
      assert.equal(r.code, 0, `docker ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    },
  };
}

function inspectMetadata(stdout: string): Record<string, unknown> {
  const [one] = JSON.parse(stdout) as { Metadata: Record<string, unknown> }[];
  return one.Metadata;
}

test('docker context inspect shows the mark; update and export/import keep it; unprotect removes only it', async () => {
  const { store, docker } = await sandbox();
  await docker(['context', 'create', 'prod', '--docker', 'host=ssh://prod.example', '--description', 'live']);
  await setContextProtection(store.metaDir, 'prod', { color: 'red' });
  assert.deepEqual(inspectMetadata(await docker(['context', 'inspect', 'prod'])), {
    Description: 'live',
    remoteDocker: { color: 'red', protected: true },
  });

  await docker(['context', 'update', 'prod', '--description', 'x']);
  assert.deepEqual(inspectMetadata(await docker(['context', 'inspect', 'prod'])), {
    Description: 'x',
    remoteDocker: { color: 'red', protected: true },
  });
  assert.deepEqual((await store.get('prod')).protection, { color: 'red' });

  await docker(['context', 'export', 'prod', 'prod.dockercontext']);
  await docker(['context', 'import', 'prod-copy', 'prod.dockercontext']);
  assert.deepEqual((await store.get('prod-copy')).protection, { color: 'red' });

  await setContextProtection(store.metaDir, 'prod', undefined);
  assert.deepEqual(inspectMetadata(await docker(['context', 'inspect', 'prod'])), { Description: 'x' });
  const [row] = (await docker(['context', 'ls', '--format', 'json']))
    .split('\n')
    .filter((l) => l.includes('"prod"'))
    .map((l) => JSON.parse(l) as { Name: string; Error: string });
  assert.equal(row.Error, '');
});
