/**
 * The `default` context with `DOCKER_HOST=tcp://127.0.0.1:PORT DOCKER_TLS_VERIFY=1
 * DOCKER_CERT_PATH=…` against a real dockerd listening with `--tlsverify`: the engine reaches it
 * over TLS with the certificates the environment names, and finds the daemon the docker CLI
 * finds in the same environment. Before, the store gave `default` no TLS and the probe went out
 * in plain HTTP.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ContextStore } from '../../src/core/contexts/contextStore';
import { runProcess } from '../../src/core/common/exec';
import { EnginePool, type EngineTarget } from '../../src/core/engine/enginePool';
import { DOCKER_CLI, makeTlsFiles, requireRoot, startDockerd } from '../support';

const T = { timeout: 300_000 };
const temps: string[] = [];
after(async () => {
  for (const d of temps) {
    await fs.rm(d, { recursive: true, force: true });
  }
});

describe('default context over TLS from the environment', () => {
  it('DOCKER_TLS_VERIFY + DOCKER_CERT_PATH: the daemon the CLI reaches, over TLS', T, async () => {
    requireRoot('defaultContextTls');
    const tls = await makeTlsFiles();
    const d = await startDockerd({ tcp: { tls } });
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdc-default-tls-'));
    temps.push(base);
    const pool = new EnginePool({
      connect: () => Promise.reject(new Error('no ssh here')),
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 60_000,
    });
    try {
      const certs = path.join(base, 'certs');
      const configDir = path.join(base, 'docker-config');
      await fs.mkdir(certs);
      await fs.mkdir(configDir);
      await fs.copyFile(tls.caCert, path.join(certs, 'ca.pem'));
      await fs.copyFile(tls.clientCert, path.join(certs, 'cert.pem'));
      await fs.copyFile(tls.clientKey, path.join(certs, 'key.pem'));
      const env = {
        DOCKER_HOST: `tcp://127.0.0.1:${d.tcpPort}`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: certs,
      };
      const cli = await runProcess(DOCKER_CLI, ['info', '--format', '{{.Name}} {{.ID}}'], {
        env: { PATH: process.env.PATH, HOME: base, DOCKER_CONFIG: configDir, ...env },
        timeoutMs: 60_000,
      });
      assert.equal(cli.code, 0, cli.stderr);

      const summary = await new ContextStore({ configDir, env, platform: 'linux' }).get('default');
      assert.equal(summary.error, undefined);
      // What the extension's engine service builds from a summary.
      const target: EngineTarget = {
        contextName: summary.name,
        endpoint: summary.endpoint,
        skipTLSVerify: summary.skipTLSVerify,
        ...(summary.tlsPath !== undefined ? { tlsDir: summary.tlsPath } : {}),
      };
      const info = await pool.info(target);
      assert.equal(info.transport, 'tls');
      assert.equal(info.name, cli.stdout.trim().split(' ')[0]);
    } finally {
      pool.dispose();
      await d.stop();
      tls.remove();
    }
  });
});
