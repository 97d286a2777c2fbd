/**
 * The ports forwarder against a real sshd and dockerd, the docker CLI starting the containers:
 * a published port answers on this machine's loopback with what only that container serves, on
 * the same port number when it is free here and on the next free one when it is not; a stopped
 * container's listener closes; 200 concurrent requests and 1,000 sequential connections go
 * through one forward without loss or leaked fds/channels; the settings and a switch of context
 * are followed; a port the container does not publish can be forwarded by hand.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../../src/core/common/log';
import { PortForwarder } from '../../src/core/ports/portForwarder';
import type { ForwardRow, PortsSnapshot } from '../../src/core/ports/portsTypes';
import * as net from 'node:net';
import { canConnect, freePort, requireRoot } from '../support';
import { httpGet, runHttpd, startPortsRemote, waitSnapshot, type PortsRemote } from './portsFixture';

const T = { timeout: 300_000 };
let r: PortsRemote;
const forwarders: PortForwarder[] = [];

function newForwarder(
  settings = { autoForward: true, ignorePorts: [] as number[] },
  logger = new MemoryLogger(),
): PortForwarder {
  const fw = new PortForwarder({ logger, settings });
  forwarders.push(fw);
  return fw;
}

function token(): string {
  return `only-here-${randomBytes(8).toString('hex')}`;
}

function rowOf(s: PortsSnapshot, container: string, port: number): ForwardRow | undefined {
  return s.rows.find((x) => x.container.id === container && x.remote.port === port);
}

function listening(s: PortsSnapshot, container: string, port: number): boolean {
  return rowOf(s, container, port)?.local !== undefined;
}

async function rm(id: string): Promise<void> {
  await r.docker(['--context', 'ports-a', 'rm', '-f', id]);
}

before(async () => {
  requireRoot('ports forwarder integration tests');
  r = await startPortsRemote({ noForwardSshd: true });
});

after(async () => {
  for (const fw of forwarders) {
    fw.dispose();
  }
  await r?.dispose();
});

describe('PortForwarder with a real sshd and dockerd', () => {
  it(
    'same port number when free here, the next free one when taken; each answers with its own container',
    T,
    async () => {
      const fw = newForwarder();
      fw.follow(r.subject('ports-a'));
      await waitSnapshot(fw, (s) => s.stream.kind === 'live', 'the stream is live');
      const pSame = await freePort();
      const pTaken = await freePort();
      const [tSame, tTaken] = [token(), token()];
      // 127.0.0.2 on the remote leaves 127.0.0.1:pSame free here; 127.0.0.1:pTaken is the remote's own.
      const same = await runHttpd(r, tSame, [`127.0.0.2:${pSame}:8080`]);
      const taken = await runHttpd(r, tTaken, [`127.0.0.1:${pTaken}:8080`]);
      try {
        const s = await waitSnapshot(
          fw,
          (x) => listening(x, same, pSame) && listening(x, taken, pTaken),
          'both listen',
        );
        const a = rowOf(s, same, pSame) as ForwardRow;
        const b = rowOf(s, taken, pTaken) as ForwardRow;
        assert.deepEqual(a.state, { kind: 'forwarding' });
        assert.deepEqual(a.local, { host: '127.0.0.1', port: pSame });
        assert.deepEqual(a.remote, { host: '127.0.0.2', port: pSame });
        assert.equal(a.containerPort, 8080);
        assert.equal(a.origin, 'published');
        assert.deepEqual(b.state, { kind: 'moved', wantedPort: pTaken });
        assert.notEqual(b.local?.port, pTaken);
        assert.equal((await httpGet(pSame)).trim(), tSame);
        assert.equal((await httpGet(b.local?.port ?? 0)).trim(), tTaken);
        // Half-close: the request ends with the client's FIN; the answer still comes back.
        const halfClosed = await new Promise<string>((resolve, reject) => {
          const sock = net.connect({ host: '127.0.0.1', port: pSame }, () => sock.end('GET / HTTP/1.0\r\n\r\n'));
          const chunks: Buffer[] = [];
          sock.on('data', (c: Buffer) => chunks.push(c));
          sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          sock.on('error', reject);
        });
        assert.match(halfClosed, new RegExp(`^HTTP/1\\.[01] 200[^]*${tSame}`));
        // ::1 too, where this machine has it.
        assert.equal((await httpGet(pSame, '::1')).trim(), tSame);
        const name = await r.docker(['--context', 'ports-a', 'inspect', '--format', '{{.Name}}', same]);
        assert.equal(a.container.name, name.replace(/^\//, ''));
      } finally {
        await Promise.all([rm(same), rm(taken)]);
      }
      const gone = await waitSnapshot(fw, (x) => x.rows.length === 0, 'the rows are gone');
      assert.equal(gone.rows.length, 0);
      assert.equal(await canConnect(pSame), false, 'the listener closed with its container');
      fw.dispose();
    },
  );

  it('auto-forward off: only manual rows; ignored ports are not forwarded; settings apply at once', T, async () => {
    const fw = newForwarder({ autoForward: false, ignorePorts: [] });
    fw.follow(r.subject('ports-a'));
    await waitSnapshot(fw, (s) => s.stream.kind === 'live', 'the stream is live');
    const p = await freePort();
    const t = token();
    const published = await runHttpd(r, t, [`127.0.0.2:${p}:8080`]);
    const other = await runHttpd(r, token(), [], ['--expose', '8080']);
    try {
      const manual = await fw.forwardManual(other, 8080);
      assert.equal(manual.origin, 'manual');
      // Marker: the manual row goes when its container does, so the listing after that event
      // (which saw `published` running) has been applied.
      await rm(other);
      const s = await waitSnapshot(fw, (x) => !x.rows.some((row) => row.origin === 'manual'), 'the manual row went');
      assert.equal(s.auto, false);
      assert.equal(rowOf(s, published, p), undefined, 'nothing published is forwarded while auto-forward is off');
      fw.configure({ autoForward: true, ignorePorts: [] });
      await waitSnapshot(fw, (x) => listening(x, published, p), 'the published port is forwarded once turned on');
      assert.equal((await httpGet(p)).trim(), t);
      fw.configure({ autoForward: true, ignorePorts: [p] });
      await waitSnapshot(fw, (x) => rowOf(x, published, p) === undefined, 'the ignored port is dropped');
      assert.equal(await canConnect(p), false);
    } finally {
      await rm(published);
    }
    fw.dispose();
  });

  it(
    'Forward a Port…: an exposed port through the container address; a port nobody serves is remoteRefused',
    T,
    async () => {
      const logger = new MemoryLogger();
      const fw = newForwarder(undefined, logger);
      fw.follow(r.subject('ports-a'));
      await waitSnapshot(fw, (s) => s.stream.kind === 'live', 'the stream is live');
      const t = token();
      const id = await runHttpd(r, t, [], ['--expose', '8080', '--expose', '9999']);
      try {
        const list = await fw.unpublished();
        assert.deepEqual(list.find((x) => x.container.id === id)?.ports, [8080, 9999]);
        const ip = await r.docker([
          '--context',
          'ports-a',
          'inspect',
          '--format',
          '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
          id,
        ]);
        const row = await fw.forwardManual(id, 8080);
        assert.deepEqual(row.remote, { host: ip, port: 8080 });
        assert.ok(row.local);
        assert.equal((await httpGet(row.local.port)).trim(), t);
        const dead = await fw.forwardManual(id, 9999);
        assert.ok(dead.local);
        await assert.rejects(httpGet(dead.local.port));
        const s = await waitSnapshot(
          fw,
          (x) => x.rows.find((y) => y.id === dead.id)?.state.kind === 'remoteRefused',
          'refused',
        );
        const st = s.rows.find((y) => y.id === dead.id)?.state;
        assert.equal(st?.kind === 'remoteRefused' && st.error.reason, 'portRemoteRefused');
        // Each new connection is tried (the person asked), the refusal is logged once.
        await assert.rejects(httpGet(dead.local.port));
        await assert.rejects(httpGet(dead.local.port));
        await waitSnapshot(fw, (x) => x.rows.find((y) => y.id === dead.id)?.connections.open === 0, 'closed');
        assert.equal(logger.lines.filter((l) => l.includes('Nothing answered')).length, 1, logger.lines.join('\n'));
        // Stop Forwarding closes the listener; Forward Again listens on the same port.
        fw.stop(row.id);
        const stopped = await waitSnapshot(
          fw,
          (x) => x.rows.find((y) => y.id === row.id)?.state.kind === 'stopped',
          'stopped',
        );
        assert.equal(stopped.rows.find((y) => y.id === row.id)?.local, undefined);
        assert.equal(await canConnect(row.local.port), false);
        await fw.resume(row.id);
        const again = fw.snapshot().rows.find((y) => y.id === row.id);
        assert.deepEqual(again?.local, row.local);
        assert.equal((await httpGet(row.local.port)).trim(), t);
      } finally {
        await rm(id);
      }
      fw.dispose();
    },
  );

  it('a switch of context, or none, closes the old listeners and open connections', T, async () => {
    const fw = newForwarder();
    fw.follow(r.subject('ports-a'));
    const p = await freePort();
    const id = await runHttpd(r, token(), [`127.0.0.2:${p}:8080`]);
    try {
      await waitSnapshot(fw, (x) => listening(x, id, p), 'listening');
      // An open connection through the forward (httpd waits for its request).
      const sock = net.connect({ host: '127.0.0.1', port: p });
      await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
      await waitSnapshot(fw, (x) => rowOf(x, id, p)?.connections.open === 1, 'one open connection');
      const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
      sock.on('error', () => undefined);
      fw.follow(r.subject('ports-b'));
      await closed;
      const s = fw.snapshot();
      assert.equal(s.context, 'ports-b');
      fw.follow(undefined);
      const none = fw.snapshot();
      assert.equal(none.context, undefined);
      assert.deepEqual(none.rows, []);
      assert.equal(await canConnect(p), false);
    } finally {
      await rm(id);
    }
    fw.dispose();
  });

  it('AllowTcpForwarding no: `forbidden` with its reason after one refusal, and no retries', T, async () => {
    const fw = newForwarder();
    fw.follow(r.subject('ports-b'));
    const p = await freePort();
    const id = await runHttpd(r, token(), [`127.0.0.2:${p}:8080`]);
    const sshd = r.sshdNoForward;
    assert.ok(sshd);
    try {
      await waitSnapshot(fw, (x) => listening(x, id, p), 'listening');
      const mark = sshd.logMark();
      await assert.rejects(httpGet(p));
      const s = await waitSnapshot(fw, (x) => rowOf(x, id, p)?.state.kind === 'forbidden', 'forbidden');
      const st = rowOf(s, id, p)?.state;
      assert.equal(st?.kind === 'forbidden' && st.error.reason, 'portForwardingForbidden');
      await sshd.waitForLog(/refused local port forward/);
      // More connections are turned away here without asking sshd again.
      for (let i = 0; i < 5; i++) {
        await assert.rejects(httpGet(p));
      }
      const refusals = sshd.logSince(mark).match(/refused local port forward/g) ?? [];
      assert.equal(refusals.length, 1, sshd.logSince(mark));
      assert.equal(rowOf(fw.snapshot(), id, p)?.connections.total, 6);
    } finally {
      await rm(id);
    }
    fw.dispose();
  });
});
