/**
 * A remote daemon reached over SSH for the ports forwarder's tests and benchmark: a real dockerd,
 * a real sshd (and, when asked, one with `AllowTcpForwarding no`), a user in the docker group, a
 * temp home whose docker CLI has a context per sshd, a user-defined network (ports publish on it
 * with the harness's `--bridge=none`), and an EnginePool whose leases the forwarder rides.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../src/core/common/exec';
import { EnginePool, type EngineTarget } from '../../src/core/engine/enginePool';
import type { PortForwarder, PortsSubject } from '../../src/core/ports/portForwarder';
import type { PortsSnapshot } from '../../src/core/ports/portsTypes';
import { connectSsh } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  DOCKER_CLI,
  generateKey,
  importBusybox,
  knownHostsLine,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';

export const NETWORK = 'rdc-ports';

export interface PortsRemote {
  dockerd: Dockerd;
  sshd: Sshd;
  sshdNoForward: Sshd | undefined;
  user: TestUser;
  home: TempHome;
  /** The private key the home's `Host` blocks log in with (for more blocks, e.g. through a delaying proxy). */
  keyFile: string;
  pool: EnginePool;
  /** `docker --context <context> ARGS` with the temp home; fails the test on a non-zero exit. */
  docker(args: string[]): Promise<string>;
  subject(context: string): PortsSubject;
  /** SSH channels open now on the pooled connection of `context`, minus the pool's own (Engine API) ones. */
  forwardChannels(context: string): Promise<number>;
  dispose(): Promise<void>;
}

export async function startPortsRemote(o: { noForwardSshd?: boolean } = {}): Promise<PortsRemote> {
  const [dockerd, sshd, sshdNoForward] = await Promise.all([
    startDockerd(),
    startSshd(),
    o.noForwardSshd ? startSshd({ extraConfig: ['AllowTcpForwarding no'] }) : Promise.resolve(undefined),
  ]);
  const user = await createUser({ docker: true, dockerHost: dockerd.host });
  const home = tempHome();
  const key = await generateKey(home.home);
  user.authorizeKey(key.publicLine);
  appendSshConfig(
    home.home,
    sshHostBlock({ alias: 'ports-a', port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  addKnownHost(home.home, knownHostsLine(sshd));
  if (sshdNoForward) {
    appendSshConfig(
      home.home,
      sshHostBlock({ alias: 'ports-b', port: sshdNoForward.port, user: user.name, identityFile: key.privateKey }),
    );
    addKnownHost(home.home, knownHostsLine(sshdNoForward));
  }
  const docker = async (args: string[]): Promise<string> => {
    const r = await runProcess(DOCKER_CLI, args, { env: home.env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await docker(['context', 'create', 'ports-a', '--docker', `host=ssh://ports-a${dockerd.socket}`]);
  if (sshdNoForward) {
    await docker(['context', 'create', 'ports-b', '--docker', `host=ssh://ports-b${dockerd.socket}`]);
  }
  await importBusybox(dockerd.socket);
  await docker(['--context', 'ports-a', 'network', 'create', NETWORK]);
  const pool = new EnginePool({
    connect: async (endpoint, signal) => {
      const resolved = await resolveHost(endpoint.host ?? '', {
        configFile: path.join(home.sshDir, 'config'),
        home: home.home,
        localUser: os.userInfo().username,
        signal,
      });
      return connectSsh({ host: resolved, env: home.env, home: home.home, signal, timeoutMs: 30_000 });
    },
    requestTimeoutMs: 30_000,
    idleTimeoutMs: 300_000,
  });
  const endpoints: Record<string, string> = {
    'ports-a': `ssh://ports-a${dockerd.socket}`,
    'ports-b': `ssh://ports-b${dockerd.socket}`,
  };
  const subject = (context: string): PortsSubject => {
    const t: EngineTarget = { contextName: context, endpoint: endpoints[context] ?? '', skipTLSVerify: false };
    return { name: context, lease: (signal) => pool.lease(t, signal), docker: (signal) => pool.docker(t, signal) };
  };
  const forwardChannels = async (context: string): Promise<number> => {
    const ac = new AbortController();
    const lease = await subject(context).lease(ac.signal);
    try {
      // ssh2 keeps no public count of a client's channels; its channel manager's is read here only.
      const mgr = (lease.client as unknown as { _chanMgr?: { _count?: unknown } })._chanMgr;
      assert.equal(typeof mgr?._count, 'number', "ssh2's channel count moved: update this test");
      return (mgr?._count as number) - pool.stats().openChannels;
    } finally {
      lease.release();
    }
  };
  return {
    dockerd,
    sshd,
    sshdNoForward,
    user,
    home,
    keyFile: key.privateKey,
    pool,
    docker,
    subject,
    forwardChannels,
    dispose: async () => {
      pool.dispose();
      await user.remove();
      await Promise.allSettled([sshd.dispose(), sshdNoForward?.dispose(), dockerd.stop()]);
      home.remove();
    },
  };
}

/**
 * `docker run -d` of a busybox httpd on the test network serving `token` at `/`, with the given
 * `-p` arguments; returns the container id.
 */
export function runHttpd(r: PortsRemote, token: string, publish: string[], extra: string[] = []): Promise<string> {
  const script = 'mkdir -p /www && echo "$TOKEN" > /www/index.html && exec httpd -f -p 8080 -h /www';
  return r.docker([
    '--context',
    'ports-a',
    'run',
    '-d',
    '--network',
    NETWORK,
    '-e',
    `TOKEN=${token}`,
    ...publish.flatMap((p) => ['-p', p]),
    ...extra,
    'local/busybox',
    'sh',
    '-c',
    script,
  ]);
}

/** Resolves with the first snapshot (the current one included) that `pred` accepts. */
export function waitSnapshot(
  fw: PortForwarder,
  pred: (s: PortsSnapshot) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<PortsSnapshot> {
  return new Promise((resolve, reject) => {
    const now = fw.snapshot();
    if (pred(now)) {
      resolve(now);
      return;
    }
    let last = now;
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no snapshot where ${what}; last: ${JSON.stringify(last)}`));
    }, timeoutMs);
    const sub = fw.onDidChange((s) => {
      last = s;
      if (pred(s)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
      }
    });
  });
}

/** GET / on 127.0.0.1:port over a new connection; the body. */
export function httpGet(port: number, host = '127.0.0.1', timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}:${port} timed out`)));
    req.on('error', reject);
  });
}
