/**
 * There is no registry here, so containers run from an image made locally: Debian's static
 * busybox with one symlink per applet (sh, httpd, sleep, wget, ...), imported as `local/busybox`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../../src/core/common/exec';
import { removeTreeSync } from './processes';
import { SYSTEM_PATH } from './tempHome';

export const BUSYBOX_IMAGE = 'local/busybox';
/**
 * The docker CLI that the code under test and a terminal find: `command -v docker` with the temp
 * home's `PATH` (this machine has two, /usr/local/bin's 28.x before Debian's 20.10 in /usr/bin).
 * Read once; 'docker' when none is found, so the first call fails with ENOENT naming it.
 */
export const DOCKER_CLI = commandPath('docker');

/** `command -v NAME` in a shell with the temp home's `PATH` ('NAME' itself when not found). */
export function commandPath(name: string): string {
  const r = spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', name], {
    encoding: 'utf8',
    env: { PATH: SYSTEM_PATH },
  });
  const found = r.status === 0 ? r.stdout.trim() : '';
  return found.startsWith('/') ? found : name;
}

/** Imports `local/busybox:latest` into the daemon at `socket` (via the docker CLI with DOCKER_HOST). */
export async function importBusybox(socket: string, image = BUSYBOX_IMAGE): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-busybox-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    const bin = path.join(rootfs, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev', 'root']) {
      fs.mkdirSync(path.join(rootfs, d));
    }
    fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
    fs.copyFileSync('/bin/busybox', path.join(bin, 'busybox'));
    fs.chmodSync(path.join(bin, 'busybox'), 0o755);
    const list = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' });
    if (list.status !== 0) {
      throw new Error(`busybox --list failed: ${list.stderr}`);
    }
    for (const applet of list.stdout.split('\n').map((s) => s.trim())) {
      if (applet && applet !== 'busybox' && !applet.includes('/')) {
        fs.symlinkSync('busybox', path.join(bin, applet));
      }
    }
    fs.writeFileSync(
      path.join(rootfs, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    const tarFile = path.join(work, 'rootfs.tar');
    const tar = await runProcess('tar', ['-C', rootfs, '-cf', tarFile, '.'], { timeoutMs: 60_000 });
    if (tar.code !== 0) {
      throw new Error(`tar failed: ${tar.stderr}`);
    }
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      DOCKER_CONFIG: path.join(work, '.docker'),
      DOCKER_HOST: `unix://${socket}`,
    };
    const r = await runProcess(DOCKER_CLI, ['import', '--change', 'CMD ["/bin/sh"]', tarFile, image], {
      env,
      timeoutMs: 120_000,
    });
    if (r.code !== 0) {
      throw new Error(`docker import failed (${r.code}): ${r.stderr}`);
    }
  } finally {
    removeTreeSync(work);
  }
}
