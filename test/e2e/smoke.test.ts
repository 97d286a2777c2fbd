/**
 * Smoke test of the end-to-end tier: the packaged .vsix installs into a real VS Code
 * (code-server), the workbench loads in Chromium, and every view container the manifest
 * contributes to the activity bar is shown there.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, extensionId, packageExtension, readManifest, startCodeServer } from '../support/codeServer';
import { e2eSession } from '../support/e2eSession';
import { freePort } from '../support/ports';
import { waitFor } from '../support/workbench';

const T = { timeout: 300_000 };

interface Manifest {
  contributes?: { viewsContainers?: { activitybar?: Array<{ id: string; title: string }> } };
}

describe('e2e smoke', () => {
  // Loading the workbench is a test of its own below.
  const s = e2eSession({ name: 'smoke', waitReady: false });

  it('installs the packaged extension into code-server', T, async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const installed = await s.server.listExtensions();
    assert.ok(installed.includes(extensionId(true)), `installed: ${installed.join(', ')}`);
    assert.ok(extensionId(true).endsWith(`@${pkg.version}`));
  });

  it('loads the workbench', T, async () => {
    await s.wb.step('workbench loaded', () => s.wb.waitReady());
    assert.ok(await s.wb.page.locator('.part.statusbar').isVisible());
  });

  it('activates the extension in the extension host (Developer: Show Running Extensions)', T, async () => {
    const { wb } = s;
    await wb.step('running extensions', async () => {
      await wb.runCommand('Developer: Show Running Extensions');
      const editor = wb.page.locator('.runtime-extensions-editor');
      await editor.waitFor({ state: 'visible' });
      await editor
        .locator('.monaco-list-row', { hasText: 'Remote Docker Contexts' })
        .first()
        .waitFor({ state: 'visible' });
    });
  });

  it("the extension's log channel is where the harness reads it, alone and among the output channels", T, async () => {
    const log = await waitFor(
      'the activation line in the extension log',
      () => Promise.resolve(s.server.extensionLog()),
      (l) => /activated in [\d.]+ ms/.test(l),
      60_000,
    );
    assert.doesNotMatch(log, /^== /m, 'extensionLog() is the channel text alone');
    assert.match(s.server.outputChannelLogs(), /^== Remote Docker\.log\n[^]*activated in [\d.]+ ms/m);
  });

  it('shows every activity bar container the manifest contributes', T, async () => {
    const { wb } = s;
    const manifest = readManifest() as Manifest;
    const containers = manifest.contributes?.viewsContainers?.activitybar ?? [];
    // With no container contributed this checks the built-in Explorer, so the selectors stay proven.
    // Feature behaviour (switching, status bar, palette) belongs to the UI's own e2e tests.
    const titles = containers.length > 0 ? containers.map((c) => c.title) : ['Explorer'];
    for (const title of titles) {
      await wb.step(`container ${title}`, async () => {
        assert.ok(await wb.hasViewContainer(title), `activity bar entry "${title}"`);
        await wb.openViewContainer(title);
        const heading = (await wb.page.locator('.part.sidebar .composite.title').first().textContent()) ?? '';
        assert.match(heading, new RegExp(title, 'i'));
        if (title === 'Remote Docker') {
          // The virtual `default` context always exists, so the Docker Contexts view lists it.
          await wb.waitForTreeRow('default');
          assert.ok((await wb.treeRows()).some((r) => r.label === 'default'));
        }
      });
    }
  });

  it('harness: a port taken between the pick and the bind is picked again (a second code-server)', T, async () => {
    // Holds the port; drops whatever connects (a socket left open would keep close() waiting).
    const squatter = net.createServer((c) => c.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as net.AddressInfo).port;
    const picks: number[] = [];
    try {
      const server = await startCodeServer({
        vsix: process.env.RDC_E2E_VSIX || packageExtension(),
        env: s.env,
        workspace: s.workspace,
        pickPort: async () => {
          const port = picks.length === 0 ? taken : await freePort();
          picks.push(port);
          return port;
        },
      });
      try {
        assert.equal(picks.length, 2, `ports tried: ${picks.join(', ')}`);
        assert.equal(server.port, picks[1]);
        assert.match(server.logs(), new RegExp(`EADDRINUSE[^\\n]*:${taken}`), 'the first start met the taken port');
        assert.match(server.url, new RegExp(`^http://127\\.0\\.0\\.1:${picks[1]}/`));
      } finally {
        await server.stop();
      }
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
