/**
 * A private, real Docker daemon (Debian's dockerd 20.10) on a unix socket in a temp dir.
 *
 * Flags that make it start on these machines and keep instances apart: its own data root, exec
 * root (which also holds its managed containerd's state and socket), pidfile and empty config
 * file; no iptables, no bridge, the vfs storage driver. Several instances run side by side.
 * When the `docker` group exists dockerd makes the socket `root:docker` mode 660; the dir is made
 * traversable (0711) so test users reach it through `docker system dial-stdio`.
 *
 * `tcp` adds a listener on 127.0.0.1 (plain, or `--tlsverify` with `tlsFiles.ts` material) for
 * tcp:// contexts. It is a flag like the unix one: dockerd refuses hosts given both as flags and
 * in daemon.json.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { register, registerProcess } from './cleanup';
import { onFreshPort, PortInUseError, type FreshPortOptions } from './ports';
import { familyOf, isAlive, removeTreeSync, sleep, terminate } from './processes';
import { requireRoot } from './requireRoot';
import type { TlsFiles } from './tlsFiles';

export interface Dockerd {
  /** Absolute path of the API socket. */
  socket: string;
  /** `unix://<socket>` */
  host: string;
  /** The temp dir holding everything of this daemon. */
  dir: string;
  logFile: string;
  /** The TCP listener's port on 127.0.0.1, when `tcp` was asked for (kept across restarts). */
  tcpPort?: number;
  /** Pid of the running dockerd (changes on restart; 0 while stopped). */
  readonly pid: number;
  /** Stops the daemon and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the daemon but keeps its dir, socket path and images (for "daemon not running" tests). */
  stopDaemonOnly(): Promise<void>;
  /** Starts the daemon again on the same socket and data after `stopDaemonOnly()`. */
  restart(): Promise<void>;
}

export interface DockerdOptions {
  /** How long to wait for `/_ping` (the machine is shared and slow at times). */
  startTimeoutMs?: number;
  /**
   * Also listen on TCP on 127.0.0.1 (a free port, picked again when another process took it
   * before dockerd bound it), with `--tlsverify` when `tls` is given. `pick` replaces the port
   * picker (the harness test gives a taken port first).
   */
  tcp?: { tls?: TlsFiles; pick?: FreshPortOptions['pick'] };
  /**
   * A daemon ID of its own: dockerd 20.10 derives its ID from /etc/docker/key.json, which every
   * instance shares unless given its own key file (tests that tell two daemons apart by ID).
   */
  ownId?: boolean;
}

/** Sends `GET /_ping` on a unix socket; resolves with the body, rejects on any failure. */
export function ping(socket: string, timeoutMs = 2_000): Promise<string> {
  return engineRequest(socket, 'GET', '/_ping', timeoutMs).then((r) => {
    if (r.status !== 200) {
      throw new Error(`/_ping answered ${r.status}`);
    }
    return r.body;
  });
}

/** A minimal Engine API call over the unix socket (no docker CLI involved). */
export function engineRequest(
  socket: string,
  method: string,
  urlPath: string,
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: urlPath, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function startDockerd(options: DockerdOptions = {}): Promise<Dockerd> {
  requireRoot('startDockerd');
  // dockerd may pause on an unauthenticated TCP listener to show a warning: be more patient then.
  const startTimeoutMs = options.startTimeoutMs ?? (options.tcp ? 120_000 : 90_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-dockerd-'));
  const releaseDir = register({ kind: 'dir', path: dir });
  fs.chmodSync(dir, 0o711);
  const socket = path.join(dir, 'docker.sock');
  const logFile = path.join(dir, 'dockerd.log');
  const configFile = path.join(dir, 'daemon.json');
  fs.writeFileSync(
    configFile,
    options.ownId ? `${JSON.stringify({ 'deprecated-key-path': path.join(dir, 'key.json') })}\n` : '{}\n',
  );
  const unixArgs = [
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--pidfile',
    path.join(dir, 'docker.pid'),
    '--config-file',
    configFile,
    '-H',
    `unix://${socket}`,
    '--iptables=false',
    '--bridge=none',
    '--storage-driver=vfs',
  ];
  const tls = options.tcp?.tls;
  const tlsArgs = tls
    ? ['--tlsverify', '--tlscacert', tls.caCert, '--tlscert', tls.serverCert, '--tlskey', tls.serverKey]
    : [];
  let tcpPort: number | undefined;
  const args = (): string[] => [
    ...unixArgs,
    ...(tcpPort !== undefined ? ['-H', `tcp://127.0.0.1:${tcpPort}`] : []),
    ...tlsArgs,
  ];

  let pid = 0;
  let release: (() => void) | undefined;
  let stopped = false;
  /** Interfaces of this daemon's user-defined bridge networks, removed by stop(). */
  const bridges = new Set<string>();

  const launch = async (): Promise<void> => {
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    const log = fs.openSync(logFile, 'a');
    // Own process group: a Ctrl-C in the terminal reaches the harness, which stops the daemon in
    // order (dockerd first shuts its containers and containerd down).
    const child = spawn('/usr/sbin/dockerd', args(), { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    if (!child.pid) {
      throw new Error('dockerd could not be started');
    }
    pid = child.pid;
    release = registerProcess(pid, 'dockerd', true);
    let exited: string | undefined;
    child.on('exit', (code, sig) => {
      exited = `exited with ${code ?? sig}`;
    });
    child.unref();
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exited) {
        await kill(); // its containerd may still run
        const own = readFrom(logFile, logStart);
        if (tcpPort !== undefined && new RegExp(`:${tcpPort}\\b.*address already in use`).test(own)) {
          throw new PortInUseError(tcpPort, `dockerd ${exited}`);
        }
        throw new Error(`dockerd ${exited} before answering /_ping; log:\n${tail(logFile)}`);
      }
      try {
        if ((await ping(socket, 2_000)) === 'OK') {
          return;
        }
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`dockerd did not answer /_ping within ${startTimeoutMs} ms; log:\n${tail(logFile)}`);
      }
      await sleep(100);
    }
  };

  const kill = async (): Promise<void> => {
    if (!pid) {
      return;
    }
    for (const b of await customBridges(socket)) {
      bridges.add(b);
    }
    // SIGTERM lets dockerd stop its containers and its managed containerd; the family sweep
    // catches a containerd or shim that outlived it.
    const family = familyOf(pid, true);
    const left = await terminate([pid], 30_000);
    const rest = await terminate(family.filter(isAlive), 5_000);
    if (left.length > 0 || rest.length > 0) {
      throw new Error(`dockerd processes survived SIGKILL: ${[...left, ...rest].join(', ')}`);
    }
    pid = 0;
    release?.();
    release = undefined;
  };

  try {
    if (options.tcp) {
      await onFreshPort(
        "dockerd's TCP listener",
        async (port) => {
          tcpPort = port;
          await launch();
        },
        { pick: options.tcp.pick },
      );
    } else {
      await launch();
    }
  } catch (e) {
    removeTreeSync(dir);
    releaseDir();
    throw e;
  }

  return {
    socket,
    host: `unix://${socket}`,
    dir,
    logFile,
    ...(tcpPort !== undefined ? { tcpPort } : {}),
    get pid() {
      return pid;
    },
    stop: async () => {
      if (stopped) {
        return;
      }
      stopped = true;
      await kill();
      // dockerd leaves the interfaces of its user-defined networks behind; each holds one of
      // Docker's default address pools on this machine, and about 30 leaked ones exhaust them.
      for (const b of bridges) {
        await runIp(['link', 'delete', b]);
      }
      removeTreeSync(dir);
      releaseDir();
    },
    stopDaemonOnly: kill,
    restart: async () => {
      if (stopped) {
        throw new Error('restart() after stop(): the daemon dir is gone');
      }
      await kill();
      await launch();
    },
  };
}

function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The host interfaces of a daemon's user-defined bridge networks (none when it does not answer). */
async function customBridges(socket: string): Promise<string[]> {
  try {
    const r = await engineRequest(socket, 'GET', '/networks', 5_000);
    const nets = JSON.parse(r.body) as { Id: string; Name: string; Driver: string; Options?: Record<string, string> }[];
    return nets
      .filter((n) => n.Driver === 'bridge' && n.Name !== 'bridge')
      .map((n) => n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`);
  } catch {
    return [];
  }
}

/** Runs `ip ARGS`, ignoring failure (an interface already gone). */
function runIp(args: string[]): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('ip', args, { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('exit', () => resolve());
  });
}
