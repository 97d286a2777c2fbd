/**
 * What the ports suite (ports.ts) and the rtt suite's ports rows (rttPorts.ts) share: the
 * container they download from, the forwarder following it, `ssh -N -L` to the same container,
 * and the clients (an HTTP GET on a new connection, curl in a process of its own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { runProcess } from '../src/core/common/exec';
import { nullLogger } from '../src/core/common/log';
import { PortForwarder, type PortsSubject } from '../src/core/ports/portForwarder';
import { canConnect, freePort } from '../test/support';
import { registerProcess } from '../test/support/cleanup';
import { NETWORK, waitSnapshot, type PortsRemote } from '../test/integration/portsFixture';

/** GET path over a new connection: [milliseconds, bytes]. */
export function get(port: number, p = '/', timeoutMs = 120_000): Promise<[number, number]> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: timeoutMs }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () =>
        res.statusCode === 200 ? resolve([performance.now() - t0, n]) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * A new TCP connection to the port, a GET of `/` sent at once: milliseconds until the first
 * byte of the answer (the whole answer is then read, and the connection has closed on return).
 */
export function firstByte(port: number, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let first: number | undefined;
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write('GET / HTTP/1.0\r\n\r\n'));
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer on port ${port}`)));
    sock.on('data', () => (first ??= performance.now() - t0));
    sock.on('error', reject);
    sock.on('close', () => (first === undefined ? reject(new Error(`port ${port} closed silently`)) : resolve(first)));
  });
}

/**
 * The download's client is curl in a process of its own, as a browser would be: an in-process
 * client would share this process's one thread with the forwarder, and not ssh -L's. MB/s.
 */
export async function curlMBps(port: number, mb: number): Promise<number> {
  const r = await runProcess(
    'curl',
    ['-sS', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', `http://127.0.0.1:${port}/big`],
    { timeoutMs: 600_000 },
  );
  const [bytes, seconds] = r.stdout.trim().split(' ').map(Number);
  if (r.code !== 0 || !(bytes >= mb * 1024 * 1024) || !(seconds > 0)) {
    throw new Error(`curl on port ${port}: ${r.code} ${r.stdout} ${r.stderr}`);
  }
  return bytes / 1e6 / seconds;
}

/** `ssh -N -L 127.0.0.1:local:remoteHost:remotePort ALIAS` with the remote's home; returns once it listens. */
export async function startSshL(
  r: PortsRemote,
  alias: string,
  local: number,
  remoteHost: string,
  remotePort: number,
): Promise<ChildProcess> {
  const ssh = spawn(
    path.join(r.home.binDir, 'ssh'),
    ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${local}:${remoteHost}:${remotePort}`, alias],
    { env: r.home.env, stdio: 'ignore' },
  );
  if (ssh.pid) {
    registerProcess(ssh.pid, 'bench ssh -L', false);
  }
  for (let i = 0; i < 300 && !(await canConnect(local)); i++) {
    await new Promise((res) => setTimeout(res, 100));
  }
  return ssh;
}

/**
 * A busybox httpd container on the test network publishing 127.0.0.2:PORT (PORT free here, so
 * the forwarder takes the same number) and serving a 6-byte `/` and an `mb` MB random `/big`
 * (written after the container starts: wait for it with `untilServing`).
 */
export async function startBigHttpd(r: PortsRemote, mb: number): Promise<{ id: string; port: number }> {
  const port = await freePort();
  const script = `mkdir -p /www && echo hello > /www/index.html && dd if=/dev/urandom of=/www/big bs=1M count=${mb} 2>/dev/null && exec httpd -f -p 8080 -h /www`;
  const id = await r.docker([
    ...['--context', 'ports-a', 'run', '-d', '--network', NETWORK, '-p', `127.0.0.2:${port}:8080`],
    ...['local/busybox', 'sh', '-c', script],
  ]);
  return { id, port };
}

/** A forwarder following `subject`, once it listens on `port` for the container `id`. */
export async function forwarderFor(subject: PortsSubject, id: string, port: number): Promise<PortForwarder> {
  const fw = new PortForwarder({ logger: nullLogger, settings: { autoForward: true, ignorePorts: [] } });
  fw.follow(subject);
  try {
    await waitSnapshot(
      fw,
      (s) => s.rows.some((x) => x.container.id === id && x.local?.port === port),
      'listening',
      120_000,
    );
  } catch (e) {
    fw.dispose();
    throw e;
  }
  return fw;
}

/** Waits until both ports serve the whole of `/big` (the file is written after the container starts). */
export async function untilServing(ports: number[]): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      for (const p of ports) {
        await get(p);
      }
      return;
    } catch (e) {
      if (i > 600) {
        throw e;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}
