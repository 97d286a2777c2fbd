/**
 * The ports forwarder under load and faults, against a real sshd and dockerd: 200 concurrent
 * requests through one forward all answered; 1,000 sequential connections leave no fd or SSH
 * channel behind; sshd killed and started again: the listeners stay bound through the outage
 * and the forwards answer again on the same local ports.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../../src/core/common/log';
import { PortForwarder } from '../../src/core/ports/portForwarder';
import type { PortsSnapshot } from '../../src/core/ports/portsTypes';
import { canConnect, freePort, requireRoot } from '../support';
import { waitUntil } from '../support/waitFor';
import { httpGet, runHttpd, startPortsRemote, waitSnapshot, type PortsRemote } from './portsFixture';

const T = { timeout: 600_000 };
let r: PortsRemote;
const forwarders: PortForwarder[] = [];

function newForwarder(logger = new MemoryLogger()): PortForwarder {
  const fw = new PortForwarder({
    logger,
    settings: { autoForward: true, ignorePorts: [] },
    backoffMs: [100, 200, 400, 800],
  });
  forwarders.push(fw);
  return fw;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

function row(s: PortsSnapshot, id: string, port: number) {
  return s.rows.find((x) => x.container.id === id && x.remote.port === port);
}

before(async () => {
  requireRoot('ports forwarder fault tests');
  r = await startPortsRemote();
});

after(async () => {
  for (const fw of forwarders) {
    fw.dispose();
  }
  await r?.dispose();
});

describe('PortForwarder under load and faults', () => {
  it(
    '200 concurrent requests, none lost; 1,000 sequential connections, fds and channels back to the baseline',
    T,
    async () => {
      const fw = newForwarder();
      fw.follow(r.subject('ports-a'));
      const p = await freePort();
      const t = `only-here-${randomBytes(8).toString('hex')}`;
      const id = await runHttpd(r, t, [`127.0.0.2:${p}:8080`]);
      try {
        await waitSnapshot(fw, (s) => row(s, id, p)?.local !== undefined, 'listening');
        assert.equal((await httpGet(p)).trim(), t);
        await waitSnapshot(fw, (s) => row(s, id, p)?.connections.open === 0, 'the warm-up connection closed');
        const fds0 = openFds();
        const channels0 = await r.forwardChannels('ports-a');

        const bodies = await Promise.all(Array.from({ length: 200 }, () => httpGet(p)));
        assert.equal(bodies.filter((b) => b.trim() === t).length, 200);
        for (let i = 0; i < 1_000; i++) {
          assert.equal((await httpGet(p)).trim(), t);
        }
        const s = await waitSnapshot(fw, (x) => row(x, id, p)?.connections.open === 0, 'every connection closed');
        assert.equal(row(s, id, p)?.connections.total, 1 + 200 + 1_000);
        assert.equal(await r.forwardChannels('ports-a'), channels0, 'every channel closed');
        // A leak would be one fd per connection (1,200 here); a few fds come and go with Node's own work.
        assert.ok(openFds() <= fds0 + 5, `fds ${fds0} → ${openFds()}`);
      } finally {
        await r.docker(['--context', 'ports-a', 'rm', '-f', id]);
      }
      fw.dispose();
    },
  );

  it(
    'sshd killed and started again: listeners stay bound, forwards answer again on the same local ports',
    T,
    async () => {
      const fw = newForwarder();
      fw.follow(r.subject('ports-a'));
      const [pSame, pTaken] = [await freePort(), await freePort()];
      const t = `only-here-${randomBytes(8).toString('hex')}`;
      const a = await runHttpd(r, t, [`127.0.0.2:${pSame}:8080`]);
      const b = await runHttpd(r, t, [`127.0.0.1:${pTaken}:8080`]);
      try {
        const s0 = await waitSnapshot(
          fw,
          (s) => row(s, a, pSame)?.local !== undefined && row(s, b, pTaken)?.local !== undefined,
          'listening',
        );
        const moved = row(s0, b, pTaken)?.local?.port ?? 0;
        assert.notEqual(moved, pTaken);
        await r.sshd.stop();
        let during: Promise<string> | undefined;
        try {
          const down = await waitSnapshot(fw, (s) => s.stream.kind === 'reconnecting', 'reconnecting');
          assert.equal(row(down, a, pSame)?.local?.port, pSame, 'still listening while the connection is down');
          assert.equal(await canConnect(pSame), true);
          // A request made during the outage waits for the connection instead of failing.
          during = httpGet(pSame);
          await waitSnapshot(fw, (s) => (row(s, a, pSame)?.connections.open ?? 0) > 0, 'the request is held');
        } finally {
          await r.sshd.start();
        }
        assert.equal((await during)?.trim(), t);
        const up = await waitSnapshot(fw, (s) => s.stream.kind === 'live', 'live again');
        assert.equal(row(up, a, pSame)?.local?.port, pSame);
        assert.equal(row(up, b, pTaken)?.local?.port, moved);
        assert.equal((await httpGet(pSame)).trim(), t);
        assert.equal((await httpGet(moved)).trim(), t);
      } finally {
        await r.docker(['--context', 'ports-a', 'rm', '-f', a, b]);
      }
      fw.dispose();
    },
  );

  it(
    'an event line over 1 MiB (a container with 1.2 MB of labels) ends the stream; it reopens and the port is forwarded',
    T,
    async () => {
      const logger = new MemoryLogger();
      const fw = newForwarder(logger);
      fw.follow(r.subject('ports-a'));
      await waitSnapshot(fw, (s) => s.stream.kind === 'live', 'live');
      // The daemon puts a container's labels into each of its events. The CLI reads a label file
      // line by line (at most 64 KiB each), so: 20 labels of 60,000 bytes.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdc-ports-labels-'));
      const labels = path.join(dir, 'labels');
      fs.writeFileSync(labels, Array.from({ length: 20 }, (_, i) => `big${i}=${'x'.repeat(60_000)}`).join('\n') + '\n');
      const p = await freePort();
      const t = `only-here-${randomBytes(8).toString('hex')}`;
      const id = await runHttpd(r, t, [`127.0.0.2:${p}:8080`], ['--label-file', labels]);
      try {
        await waitUntil('the oversized event ended the stream', () =>
          logger.lines.some((l) => l.includes('GET /events (one event)') && l.includes('1048576')),
        );
        await waitSnapshot(fw, (s) => row(s, id, p)?.local !== undefined && s.stream.kind === 'live', 'forwarded');
        assert.equal((await httpGet(p)).trim(), t);
      } finally {
        await r.docker(['--context', 'ports-a', 'rm', '-f', id]);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      fw.dispose();
    },
  );
});
