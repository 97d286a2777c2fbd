/**
 * What the Ports view and the status bar say about forwards, built under plain Node with the
 * vscode stand-in: the rows' words, addresses and URLs (Open in Browser opens the *local*
 * address), the grouping of the tree, the count in the status bar's tooltip, the settings
 * parser, and that a container's name (text from the daemon) stays text in a tooltip.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import type { ForwardRow, ForwardState, PortsSnapshot } from '../../src/core/ports/portsTypes';
import { installVscodeStandIn } from '../support/vscodeStandIn';
import type * as PresentationModule from '../../src/ui/ports/portPresentation';
import type * as NodesModule from '../../src/ui/ports/portNodes';
import type * as SettingsModule from '../../src/ui/ports/portsSettings';
import type * as StatusBarModule from '../../src/ui/engine/statusBar';

installVscodeStandIn();
// Loaded after the stand-in is in place (these modules import `vscode`).
/* eslint-disable @typescript-eslint/no-require-imports -- must follow installVscodeStandIn() */
const p = require('../../src/ui/ports/portPresentation') as typeof PresentationModule;
const { portTreeNodes, asPortForwardNode } = require('../../src/ui/ports/portNodes') as typeof NodesModule;
const { parseIgnoredPorts } = require('../../src/ui/ports/portsSettings') as typeof SettingsModule;
const { renderStatus } = require('../../src/ui/engine/statusBar') as typeof StatusBarModule;

interface MdToken {
  type: string;
  attrGet(name: string): string | null;
  children: MdToken[] | null;
}
// markdown-it is the CommonMark parser at hand (no types shipped).
const markdownIt = require('markdown-it') as (o: object) => { parse(src: string, env: object): MdToken[] };
/* eslint-enable @typescript-eslint/no-require-imports */
const parser = markdownIt({ html: true, linkify: false });

function links(md: string): string[] {
  const out: string[] = [];
  const walk = (tokens: MdToken[]): void => {
    for (const t of tokens) {
      if (t.type === 'link_open' || t.type === 'image') {
        out.push(t.attrGet('href') ?? t.attrGet('src') ?? '');
      }
      if (t.type.startsWith('html')) {
        out.push(`html:${t.type}`);
      }
      walk(t.children ?? []);
    }
  };
  walk(parser.parse(md, {}));
  return out;
}

function row(o: Partial<ForwardRow> & { state?: ForwardState } = {}): ForwardRow {
  const container = o.container ?? { id: 'c1'.padEnd(64, '0'), name: 'web', image: 'local/busybox' };
  const remote = o.remote ?? { host: '127.0.0.2', port: 18080 };
  return {
    id: `${container.id}/${remote.host}:${remote.port}/8080`,
    container,
    containerPort: 8080,
    remote,
    local: 'local' in o ? o.local : { host: '127.0.0.1', port: 18080 },
    origin: 'published',
    state: { kind: 'forwarding' },
    connections: { total: 0, open: 0 },
    ...o,
  };
}

/** `context: null` = the current daemon is not ssh:// (undefined in the snapshot). */
const snap = (rows: ForwardRow[], context: string | null = 'remote'): PortsSnapshot => ({
  context: context ?? undefined,
  auto: true,
  stream: { kind: 'live' },
  rows,
});

describe('Ports view presentation', () => {
  it('opens and copies the local address, not the remote one, even when the port moved', () => {
    const moved = row({
      remote: { host: '127.0.0.1', port: 18080 },
      local: { host: '127.0.0.1', port: 18081 },
      state: { kind: 'moved', wantedPort: 18080 },
    });
    assert.equal(p.localUrl(moved), 'http://localhost:18081/');
    assert.equal(p.localAddressText(moved), 'localhost:18081');
    assert.equal(p.stateText(moved), 'local port 18080 taken, moved to 18081');
    assert.equal(p.rowLabel(moved), '127.0.0.1:18080 → localhost:18081');
    assert.equal(p.isListening(moved), true);
    const v6 = row({ remote: { host: '::1', port: 80 }, local: { host: '::1', port: 8080 } });
    assert.equal(p.rowLabel(v6), '[::1]:80 → localhost:8080');
  });

  it('a row without a listener has no URL, and says why in words', () => {
    const error = new CoreError('portForwardingForbidden', 'administratively prohibited', {
      host: '127.0.0.2',
      port: 18080,
    });
    const forbidden = row({ local: undefined, state: { kind: 'forbidden', error } });
    assert.equal(p.localUrl(forbidden), undefined);
    assert.equal(p.isListening(forbidden), false);
    assert.equal(p.stateText(forbidden), 'forwarding forbidden by sshd');
    assert.match(p.rowTooltip(forbidden).value, /AllowTcpForwarding yes/);
    // The fix once above the rows too: every forward of that server fails alike.
    assert.match(
      p.viewMessage(snap([row(), forbidden])) ?? '',
      /^The SSH server does not allow.*AllowTcpForwarding yes/,
    );
    assert.match(p.rowSpoken(forbidden), /not forwarded: forwarding forbidden by sshd$/);
    const stopped = row({ local: undefined, state: { kind: 'stopped' } });
    assert.equal(p.rowDescription(stopped), 'stopped');
    assert.equal(p.rowLabel(stopped), '127.0.0.2:18080 → —');
    assert.equal(
      p.rowDescription(row({ origin: 'manual', connections: { total: 5, open: 2 } })),
      'forwarding · manual · 2 open',
    );
  });

  it("a container's name and image from the daemon stay text in the tooltip", () => {
    const hostile = row({
      container: {
        id: 'x'.repeat(64),
        name: '[click](command:workbench.action.terminal.new)',
        image: '![i](http://e.x/a.png)',
      },
    });
    assert.deepEqual(links(p.rowTooltip(hostile).value), []);
    assert.match(p.rowTooltip(hostile).value, /UDP is not forwarded/);
  });

  it('the tree groups ports by container, containers by name, ports by number; ids are stable', () => {
    const a = { id: 'a'.repeat(64), name: 'web-10', image: 'img' };
    const b = { id: 'b'.repeat(64), name: 'web-9', image: 'img' };
    const nodes = portTreeNodes(
      snap([
        row({ container: a, remote: { host: '0.0.0.0', port: 9000 } }),
        row({ container: b, remote: { host: '0.0.0.0', port: 8000 } }),
        row({ container: a, remote: { host: '0.0.0.0', port: 80 } }),
      ]),
    );
    assert.deepEqual(
      nodes.map((n) => [n.container.name, n.rows.map((r) => r.row.remote.port)]),
      [
        ['web-9', [8000]],
        ['web-10', [80, 9000]],
      ],
    );
    assert.equal(nodes[1].id, `remoteDocker.portContainer:${a.id}`);
    assert.equal(asPortForwardNode(nodes[1].rows[0])?.row.remote.port, 80);
    assert.equal(asPortForwardNode({ kind: 'portForward' }), undefined);
    assert.equal(asPortForwardNode('remoteDocker.portForward:x'), undefined);
  });

  it('counts forwards that answer now; nothing when the daemon is not ssh://', () => {
    const rows = [
      row(),
      row({ remote: { host: '127.0.0.2', port: 1 }, state: { kind: 'moved', wantedPort: 1 } }),
      row({ remote: { host: '127.0.0.2', port: 2 }, local: undefined, state: { kind: 'stopped' } }),
    ];
    assert.equal(p.forwardCount(snap(rows)), 2);
    assert.equal(p.forwardCount(snap(rows, null)), 0);
    assert.equal(p.forwardsLine(1), '1 port forwarded to this machine');
    assert.equal(p.forwardsLine(2), '2 ports forwarded to this machine');
  });

  it('the line above the tree says when the stream is down or auto-forward is off, and that UDP is not forwarded', () => {
    assert.equal(p.viewMessage(snap([], null)), undefined);
    assert.equal(p.viewMessage(snap([])), undefined);
    assert.match(p.viewMessage(snap([row()])) ?? '', /UDP is not forwarded/);
    const down: PortsSnapshot = { ...snap([]), auto: false, stream: { kind: 'reconnecting' } };
    assert.match(p.viewMessage(down) ?? '', /lost; reconnecting.*Auto-forward is off/);
  });

  it('ignored ports: integers 1–65535, each once; anything else is dropped', () => {
    assert.deepEqual(parseIgnoredPorts([5432, '6379', 5432, 0, 70000, 1.5, 'x', null, 22]), [5432, 6379, 22]);
    assert.deepEqual(parseIgnoredPorts('5432'), []);
  });
});

describe('status bar tooltip', () => {
  const base = { loaded: true, context: 'prod', source: 'config' as const, env: {}, endpoint: 'ssh://prod' };

  it('counts the forwards with a link to the Ports view, and says nothing when there are none', () => {
    const r = renderStatus({ ...base, forwards: 3 });
    assert.match(r.tooltip.value, /3 ports forwarded to this machine/);
    assert.ok(links(r.tooltip.value).includes('command:remoteDocker.ports.focus'));
    const trusted = r.tooltip.isTrusted;
    assert.ok(typeof trusted === 'object' && trusted.enabledCommands.includes('remoteDocker.ports.focus'));
    assert.doesNotMatch(renderStatus({ ...base, forwards: 0 }).tooltip.value, /forwarded/);
    assert.doesNotMatch(renderStatus(base).tooltip.value, /forwarded/);
  });
});
