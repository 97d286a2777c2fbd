/**
 * From the daemon's container list to forwards (containerPorts.ts) and the loopback listeners
 * (localListener.ts): wildcard publishes go to the remote's loopback, an IPv6 twin of an IPv4
 * publish is one forward, UDP and ignored ports are left out, exposed-only ports are offered;
 * a taken local port moves to the next free one on every loopback address.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { publishedForwards, remoteHostOf, unpublishedPorts } from '../../src/core/ports/containerPorts';
import { listenLoopback } from '../../src/core/ports/localListener';
import type { ContainerSummary } from '../../src/core/ports/portsEngine';

const web: ContainerSummary = {
  Id: 'c1',
  Names: ['/web'],
  Image: 'nginx',
  State: 'running',
  Ports: [
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '127.0.0.2', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
    { PrivatePort: 9000, Type: 'tcp' },
  ],
};
const v6only: ContainerSummary = {
  Id: 'c2',
  Names: ['/six'],
  State: 'running',
  Ports: [{ IP: '::', PrivatePort: 3000, PublicPort: 3000, Type: 'tcp' }],
};

describe('containerPorts', () => {
  it('maps wildcard publishes to the remote loopback', () => {
    assert.equal(remoteHostOf('0.0.0.0'), '127.0.0.1');
    assert.equal(remoteHostOf(undefined), '127.0.0.1');
    assert.equal(remoteHostOf('::'), '::1');
    assert.equal(remoteHostOf('10.0.0.5'), '10.0.0.5');
  });

  it('one forward per published TCP port; IPv6 twin dropped; UDP and ignored left out', () => {
    const f = publishedForwards([web, v6only], []);
    assert.deepEqual(
      f.map((x) => [x.container.name, x.remote.host, x.remote.port, x.containerPort, x.wantedPort]),
      [
        ['web', '127.0.0.1', 8080, 80, 8080],
        ['web', '127.0.0.2', 8443, 443, 8443],
        ['six', '::1', 3000, 3000, 3000],
      ],
    );
    assert.equal(new Set(f.map((x) => x.id)).size, 3);
    assert.deepEqual(
      publishedForwards([web], [8080]).map((x) => x.remote.port),
      [8443],
    );
    assert.deepEqual(publishedForwards([{ ...web, State: 'exited' }], []), []);
  });

  it('offers exposed ports no publish covers', () => {
    assert.deepEqual(unpublishedPorts([web, v6only]), [
      { container: { id: 'c1', name: 'web', image: 'nginx' }, ports: [9000] },
    ]);
  });
});

describe('listenLoopback', () => {
  it('the wanted port when free, else the next one free on every loopback address', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const moved = await listenLoopback(taken, (s) => s.destroy());
      assert.ok(moved);
      assert.ok(moved.port > taken, `${moved.port} > ${taken}`);
      assert.equal(moved.hosts[0], '127.0.0.1');
      moved.close();
      const again = await listenLoopback(moved.port, (s) => s.destroy());
      assert.ok(again);
      assert.equal(again.port, moved.port, 'a freed port is taken again at once');
      again.close();
    } finally {
      blocker.close();
    }
  });
});
