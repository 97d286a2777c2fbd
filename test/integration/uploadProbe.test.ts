/**
 * The upload probe against a real sshd and dockerd, through the real OpenSSH client as the docker
 * CLI runs it (src/core/buildContext/uploadProbe.ts): it answers a rate and a fixed cost, the
 * daemon is left as it was (the build it feeds is refused for want of a Dockerfile: no image, no
 * container), a wrong socket is an error rather than a figure, and a cancel ends it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { probeUpload, type UploadProbeTarget } from '../../src/core/buildContext/uploadProbe';
import { runProcess } from '../../src/core/common/exec';
import {
  addKnownHost,
  appendSshConfig,
  createUser,
  DOCKER_CLI,
  generateKey,
  importBusybox,
  knownHostsLine,
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
import { rejectsWith } from '../support/rejectsWith';

const T = { timeout: 240_000 };
const MiB = 1024 * 1024;
/** Small enough to keep the test short, far enough apart for a slope. */
const LIMITS = { small: { bytes: 2 * MiB, ms: 5000 }, large: { bytes: 8 * MiB, ms: 10_000 } };

describe('upload probe through the system ssh into the daemon', () => {
  let dockerd: Dockerd;
  let sshd: Sshd;
  let user: TestUser;
  let h: TempHome;
  const target = (socketPath: string): UploadProbeTarget => ({
    binary: 'ssh',
    destination: 'probe-host',
    socketPath,
    env: h.env,
  });
  const daemonState = async (): Promise<string> => {
    const env = { ...h.env, DOCKER_HOST: dockerd.host };
    const images = await runProcess(DOCKER_CLI, ['images', '-a', '-q', '--no-trunc'], { env });
    const containers = await runProcess(DOCKER_CLI, ['ps', '-a', '-q', '--no-trunc'], { env });
    assert.equal(images.code, 0, images.stderr);
    return `${images.stdout.trim()}|${containers.stdout.trim()}`;
  };

  before(async () => {
    requireRoot('upload probe tests');
    [dockerd, sshd] = await Promise.all([startDockerd(), startSshd()]);
    user = await createUser({ docker: true, dockerHost: dockerd.host });
    h = tempHome();
    const key = await generateKey(h.home);
    user.authorizeKey(key.publicLine);
    appendSshConfig(
      h.home,
      sshHostBlock({ alias: 'probe-host', port: sshd.port, user: user.name, identityFile: key.privateKey }),
    );
    addKnownHost(h.home, knownHostsLine(sshd));
    await importBusybox(dockerd.socket);
  });

  after(async () => {
    await user?.remove();
    await Promise.allSettled([sshd?.dispose(), dockerd?.stop()]);
    h?.remove();
  });

  it('answers a rate and a fixed cost, and leaves no image or container behind', T, async () => {
    const before = await daemonState();
    const link = await probeUpload(target(dockerd.socket), { timeoutMs: 120_000, ...LIMITS });
    assert.equal(link.via, 'openssh');
    assert.ok(link.bytesPerSecond > 0 && Number.isFinite(link.bytesPerSecond), `${link.bytesPerSecond}`);
    assert.ok(link.fixedMs >= 0 && Number.isFinite(link.fixedMs), `${link.fixedMs}`);
    assert.equal(await daemonState(), before);
  });

  it('a socket where no daemon listens is an error, not a figure', T, async () => {
    await rejectsWith(
      probeUpload(target('/nonexistent/docker.sock'), { timeoutMs: 60_000, rounds: 1, ...LIMITS }),
      'remoteCommandFailed',
    );
  });

  it('a cancel ends the probe', T, async () => {
    const abort = new AbortController();
    const p = probeUpload(target(dockerd.socket), { timeoutMs: 120_000, signal: abort.signal, ...LIMITS });
    setTimeout(() => abort.abort(), 200);
    await rejectsWith(p, 'cancelled');
  });
});
