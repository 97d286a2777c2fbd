/**
 * Hosts ssh2 cannot reach as OpenSSH does go through the system's ssh client, as the docker CLI
 * does (src/core/engine/systemSshLink.ts). The case built here for real: a server whose host key
 * is signed by a certificate authority that known_hosts trusts with `@cert-authority` (no plain
 * line for the host). The docker CLI, through OpenSSH, is the oracle; a second server with the
 * same CA line but no certificate is refused, by OpenSSH, with the "run ssh ALIAS" state.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../src/core/common/exec';
import { EnginePool, type EngineTarget } from '../../src/core/engine/enginePool';
import { diagnoseHost } from '../../src/core/diagnose/diagnose';
import {
  connectForEngine,
  needsInteraction,
  systemSshTargetIfNeeded,
  type EngineConnectDeps,
} from '../../src/core/engine/engineSshTarget';
import { controlDirectory } from '../../src/core/engine/systemSshLink';
import { PassphraseCache } from '../../src/core/ssh/connection';
import { resolveHost } from '../../src/core/sshConfig/resolveHost';
import {
  appendSshConfig,
  addKnownHost,
  createUser,
  DOCKER_CLI,
  generateKey,
  requireRoot,
  sshHostBlock,
  startDockerd,
  startSshd,
  tempHome,
  type Dockerd,
  type Sshd,
  type TempHome,
  type TestUser,
} from '../support';
import { register } from '../support/cleanup';
import { rejectsWith } from '../support/rejectsWith';

const T = { timeout: 240_000 };

let dockerd: Dockerd;
let certified: Sshd;
let plain: Sshd;
let user: TestUser;
let h: TempHome;
let work: string;

async function keygen(args: string[]): Promise<void> {
  const r = await runProcess('/usr/bin/ssh-keygen', args, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  requireRoot('system ssh transport tests');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-sysssh-'));
  register({ kind: 'dir', path: work });
  // A CA, and an ECDSA host key it signs for the name 127.0.0.1 (the certified server offers it
  // besides the harness's own ed25519 key; OpenSSH prefers the certificate it can check).
  const ca = path.join(work, 'ca');
  const hostKey = path.join(work, 'host_ecdsa');
  await keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'rdc-test-ca', '-f', ca]);
  await keygen(['-q', '-t', 'ecdsa', '-N', '', '-C', '', '-f', hostKey]);
  await keygen(['-q', '-s', ca, '-I', 'rdc-test-host', '-h', '-n', '127.0.0.1', `${hostKey}.pub`]);
  [dockerd, certified, plain] = await Promise.all([
    startDockerd(),
    startSshd({ extraConfig: [`HostKey ${hostKey}`, `HostCertificate ${hostKey}-cert.pub`] }),
    startSshd(),
  ]);
  user = await createUser({ docker: true, dockerHost: dockerd.host });
  h = tempHome();
  const key = await generateKey(h.home);
  user.authorizeKey(key.publicLine);
  const caPub = fs.readFileSync(`${ca}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  for (const [alias, server] of [
    ['certified', certified],
    ['uncertified', plain],
  ] as const) {
    appendSshConfig(h.home, sshHostBlock({ alias, port: server.port, user: user.name, identityFile: key.privateKey }));
    // Only the CA vouches: no plain line for either server.
    addKnownHost(h.home, `@cert-authority [127.0.0.1]:${server.port} ${caPub}`);
  }
  for (const alias of ['certified', 'uncertified']) {
    const r = await runProcess(DOCKER_CLI, ['context', 'create', alias, '--docker', `host=ssh://${alias}`], {
      env: h.env,
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await user?.remove();
  await Promise.allSettled([certified?.dispose(), plain?.dispose(), dockerd?.stop()]);
  h?.remove();
});

function systemSshDeps(): NonNullable<EngineConnectDeps['systemSsh']> {
  const controlDir = controlDirectory(work, process.getuid?.());
  return {
    binary: path.join(h.binDir, 'ssh'),
    configFile: path.join(h.sshDir, 'config'),
    env: h.env,
    controlDir: () => controlDir,
    persistSeconds: 60,
  };
}

function resolve(alias: string, signal?: AbortSignal): ReturnType<typeof resolveHost> {
  return resolveHost(alias, {
    configFile: path.join(h.sshDir, 'config'),
    home: h.home,
    localUser: os.userInfo().username,
    ...(signal ? { signal } : {}),
  });
}

function pool(): EnginePool {
  return new EnginePool({
    requestTimeoutMs: 60_000,
    idleTimeoutMs: 300_000,
    connect: (endpoint, signal) =>
      connectForEngine(
        {
          resolve: (alias, sig) => resolve(alias, sig),
          connectOptions: (host, o) => ({ host, env: h.env, home: h.home, timeoutMs: 30_000, ...o }),
          passphrases: new PassphraseCache(),
          keepaliveIntervalMs: 0,
          systemSsh: systemSshDeps(),
        },
        endpoint,
        signal,
        undefined,
      ),
  });
}

function target(name: string): EngineTarget {
  return { contextName: name, endpoint: `ssh://${name}`, skipTLSVerify: false };
}

async function cli(args: string[]): Promise<string> {
  const r = await runProcess(DOCKER_CLI, args, { env: h.env, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** ssh processes still running with this test's ControlPath directory on their command line. */
function masters(): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(`ControlPath=${work}`)) {
        out.push(Number(pid));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('the system ssh client as the transport', () => {
  it('a host vouched for by @cert-authority: the daemon the CLI reaches, over one multiplexed login', T, async () => {
    const p = pool();
    try {
      const loginsBefore = await certified.acceptedLogins();
      const info = await p.info(target('certified'));
      for (let i = 0; i < 10; i++) {
        await p.status(target('certified'));
      }
      // /_ping, /info and /version at once, then ten refreshes: one login; the ControlMaster carried the rest.
      assert.equal((await certified.acceptedLogins()) - loginsBefore, 1);
      assert.equal(info.transport, 'system-ssh');
      assert.equal(
        info.operatingSystem,
        await cli(['--context', 'certified', 'info', '--format', '{{.OperatingSystem}}']),
      );
      assert.equal(info.id, await cli(['--context', 'certified', 'info', '--format', '{{.ID}}']));
      await rejectsWith(p.lease(target('certified')), 'sshFeatureUnavailable');
    } finally {
      p.dispose();
    }
    // close() ends the ControlPersist master.
    for (let i = 0; i < 100 && masters().length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(masters(), [], 'no ssh process left behind');
  });

  it(
    'the same CA line for a server without a certificate: OpenSSH refuses, and nothing here offers to trust it',
    T,
    async () => {
      const p = pool();
      try {
        const e = await rejectsWith(p.status(target('uncertified')), 'hostKeyUnknown');
        assert.equal(e.details.transport, 'system-ssh');
        assert.equal(e.details.why, 'hostCertificate');
        assert.equal(e.details.alias, 'uncertified');
        assert.equal(needsInteraction(e), false, 'OpenSSH decides: the UI says "run ssh ALIAS" instead');
        const r = await runProcess(DOCKER_CLI, ['--context', 'uncertified', 'info'], { env: h.env, timeoutMs: 60_000 });
        assert.notEqual(r.code, 0, 'the CLI is refused too');
      } finally {
        p.dispose();
      }
    },
  );
});

describe('Diagnose through the system ssh client', () => {
  /** Diagnose as the UI runs it: the host resolved, the system ssh target when the host needs it. */
  async function diagnose(alias: string): Promise<Awaited<ReturnType<typeof diagnoseHost>>> {
    const host = await resolve(alias);
    const systemSsh = await systemSshTargetIfNeeded(systemSshDeps(), host);
    assert.ok(systemSsh, `${alias} needs the system ssh client`);
    assert.equal(systemSsh.why, 'hostCertificate');
    return diagnoseHost({ host, env: h.env, home: h.home, timeoutMs: 30_000, systemSsh });
  }

  it('a host vouched for by @cert-authority passes every step, as the docker CLI reaches it', T, async () => {
    const steps = await diagnose('certified');
    assert.deepEqual(
      steps.map((s) => `${s.id}=${s.status}`),
      ['resolve=ok', 'tcp=ok', 'hostKey=ok', 'auth=ok', 'dockerCli=ok', 'dockerSocket=ok', 'daemon=ok'],
      JSON.stringify(steps),
    );
    assert.equal(steps.find((s) => s.id === 'hostKey')?.note, 'systemSsh');
    const daemon = steps.find((s) => s.id === 'daemon');
    assert.equal(daemon?.note, 'pingOk');
    assert.equal(
      daemon?.params?.apiVersion,
      await cli(['--context', 'certified', 'version', '--format', '{{.Server.APIVersion}}']),
    );
    for (let i = 0; i < 100 && masters().length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(masters(), [], 'no ssh process left behind');
  });

  it(
    'the same CA line for a server without a certificate fails at the host key step, as OpenSSH refuses it',
    T,
    async () => {
      const steps = await diagnose('uncertified');
      assert.deepEqual(
        steps.map((s) => `${s.id}=${s.status}`),
        [
          'resolve=ok',
          'tcp=ok',
          'hostKey=failed',
          'auth=skipped',
          'dockerCli=skipped',
          'dockerSocket=skipped',
          'daemon=skipped',
        ],
        JSON.stringify(steps),
      );
      const hostKey = steps.find((s) => s.id === 'hostKey');
      assert.equal(hostKey?.reason, 'hostKeyUnknown');
      assert.equal(hostKey?.params?.transport, 'system-ssh');
      assert.equal(hostKey?.fix, undefined, 'no offer to trust a key OpenSSH refused');
    },
  );
});
