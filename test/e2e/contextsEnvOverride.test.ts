/**
 * DOCKER_HOST and DOCKER_CONTEXT in VS Code's own environment override the context selected in
 * the docker config, for the extension host and for every terminal opened from VS Code. The UI
 * must say so: the tree marks the context docker really uses, with the variable named; the status
 * item shows it; the view's message and the status tooltip explain that switching here does not
 * change what terminals use; and a switch warns instead of pretending.
 *
 * Each describe starts its own code-server with the variable set. The oracle is the docker CLI
 * run twice: with code-server's environment (what a VS Code terminal sees) and without the
 * variable (what the docker config itself selects).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  CONTAINER_TITLE as CONTAINER,
  CONTEXTS_VIEW_TITLE as VIEW,
  STATUS_ITEM_ID as STATUS_ID,
  contextRows,
  contextsViewMessage,
  currentContextRows,
  showsName,
  statusText,
} from '../support/contextsUi';
import { DockerCli } from '../support/dockerCli';
import { e2eSession, type E2eSession } from '../support/e2eSession';
import { waitFor, type Workbench } from '../support/workbench';

const T = { timeout: 300_000 };

/** Seeds two contexts and selects `staging` in the config, before code-server starts with `env`. */
function overrideSession(name: string, env: (s: E2eSession) => NodeJS.ProcessEnv): E2eSession {
  return e2eSession({
    name,
    env,
    strictUi: true,
    open: { container: CONTAINER, view: VIEW, row: 'default' },
    prepare: async (s) => {
      const config = withoutOverride(s);
      await config.run([
        'context',
        'create',
        'prod-eu',
        '--docker',
        'host=ssh://deploy@prod-eu.example.com',
        '--description',
        'Production, Frankfurt',
      ]);
      await config.run([
        'context',
        'create',
        'staging',
        '--docker',
        'host=ssh://ubuntu@staging.example.com:2222',
        '--description',
        'Staging server',
      ]);
      await config.run(['context', 'use', 'staging']);
    },
  });
}

/** The CLI without the override: what the docker config selects. (`s.cli` has the override: what a terminal uses.) */
function withoutOverride(s: E2eSession): DockerCli {
  return new DockerCli(s.home.env);
}

/**
 * Proves that the tree has caught up with every change to the docker config made so far: a
 * context made by the CLI after them shows up only once the view has reloaded the store, which
 * reads the current context too. Then removes it again, and waits for that too.
 */
async function treeCaughtUp(s: E2eSession): Promise<void> {
  const marker = `marker-${Date.now()}`;
  await s.cli.run(['context', 'create', marker, '--docker', 'host=tcp://127.0.0.1:9']);
  await s.wb.waitForTreeRow(marker, VIEW);
  await s.cli.run(['context', 'rm', marker]);
  await waitFor(
    `the ${marker} row to go`,
    () => contextRows(s.wb),
    (r) => !r.some((x) => x.name === marker),
  );
}

/** Clicks `target` in the tree and checks the warning that a terminal keeps using `kept`. */
async function switchWarns(
  s: E2eSession,
  wb: Workbench,
  target: string,
  variable: string,
  kept: string,
): Promise<void> {
  await wb.clickTreeRow(target, VIEW);
  await waitFor(
    `the config to select ${target}`,
    () => withoutOverride(s).show(),
    (n) => n === target,
  );
  const note = await wb.notification(new RegExp(`${variable} is set in VS Code's environment`));
  assert.match(note.text, new RegExp(`"${target}" is now selected in the docker config`));
  assert.match(note.text, new RegExp(`still uses "${kept}"`));
}

describe("DOCKER_HOST set in VS Code's environment", () => {
  let dockerHost = '';
  const s = overrideSession('docker host override', (session) => {
    // A socket that does not exist: nothing is ever listening, so no probe can hang on it.
    dockerHost = `unix://${path.join(session.home.home, 'override', 'docker.sock')}`;
    return { DOCKER_HOST: dockerHost };
  });

  it(
    'marks default as current because of DOCKER_HOST, in the tree, the view message, the status text and tooltip',
    T,
    async () => {
      const { wb } = s;
      assert.equal(await s.cli.show(), 'default', 'a terminal with DOCKER_HOST uses default');
      assert.equal(await withoutOverride(s).show(), 'staging', 'the config selects staging');
      await wb.step('default marked current (DOCKER_HOST)', async () => {
        await waitFor(
          'the tree to mark default current',
          () => currentContextRows(wb),
          (c) => c.length === 1 && c[0] === 'default',
        );
        const def = (await contextRows(wb)).find((r) => r.name === 'default');
        assert.ok(def);
        // The CLI derives default's endpoint from DOCKER_HOST; the row shows the same.
        const cliDefault = (await s.cli.list()).find((c) => c.Name === 'default');
        assert.equal(cliDefault?.DockerEndpoint, dockerHost);
        assert.ok(def.description.startsWith(dockerHost), `row description "${def.description}"`);
        assert.match(def.description, /current \(DOCKER_HOST\)/);
        const staging = (await contextRows(wb)).find((r) => r.name === 'staging');
        assert.equal(staging?.current, false, "the config's choice is not shown as current");
      });
      await wb.step('view message names DOCKER_HOST', async () => {
        const message = await waitFor(
          'the view message',
          () => contextsViewMessage(wb),
          (m) => m !== '',
        );
        assert.match(message, /DOCKER_HOST is set in VS Code's environment/);
        assert.ok(message.includes(dockerHost), `message names the value: ${message}`);
      });
      await wb.step('status bar: default (DOCKER_HOST)', async () => {
        const text = await waitFor(
          'the status text',
          () => statusText(wb),
          (t) => showsName(t, 'default'),
        );
        assert.match(text, /\(DOCKER_HOST\)/);
        assert.match(await wb.statusBarItem(STATUS_ID).ariaLabel(), /Docker context default, set by DOCKER_HOST/);
      });
      await wb.step('status tooltip explains the override', async () => {
        const tip = await wb.hoverText(wb.statusBarItem(STATUS_ID).locator);
        assert.match(tip, /DOCKER_HOST is set, which forces the "default" context/);
        assert.match(tip, /switching contexts here does not change that/);
      });
    },
  );

  it('a switch writes the config but warns that terminals still use default', T, async () => {
    const { wb } = s;
    await wb.step('click prod-eu: warning', () => switchWarns(s, wb, 'prod-eu', 'DOCKER_HOST', 'default'));
    assert.equal(await s.cli.show(), 'default', 'a terminal with DOCKER_HOST still uses default');
    await treeCaughtUp(s);
    assert.deepEqual(await currentContextRows(wb), ['default'], 'the tree keeps marking what docker really uses');
    assert.ok(showsName(await statusText(wb), 'default'));
  });
});

describe("DOCKER_CONTEXT set in VS Code's environment", () => {
  const s = overrideSession('docker context override', () => ({ DOCKER_CONTEXT: 'prod-eu' }));

  it('marks the DOCKER_CONTEXT context current, says why, and a switch warns that terminals keep it', T, async () => {
    const { wb } = s;
    assert.equal(await s.cli.show(), 'prod-eu');
    assert.equal(await withoutOverride(s).show(), 'staging');
    await wb.step('prod-eu marked current (DOCKER_CONTEXT)', async () => {
      await waitFor(
        'the tree to mark prod-eu current',
        () => currentContextRows(wb),
        (c) => c.length === 1 && c[0] === 'prod-eu',
      );
      const row = (await contextRows(wb)).find((r) => r.name === 'prod-eu');
      assert.match(row?.description ?? '', /current \(DOCKER_CONTEXT\)/);
      const message = await waitFor(
        'the view message',
        () => contextsViewMessage(wb),
        (m) => m !== '',
      );
      assert.match(message, /DOCKER_CONTEXT is set in VS Code's environment/);
      const text = await waitFor(
        'the status text',
        () => statusText(wb),
        (t) => showsName(t, 'prod-eu'),
      );
      assert.match(text, /\(DOCKER_CONTEXT\)/);
    });
    await wb.step('click default: warning', () => switchWarns(s, wb, 'default', 'DOCKER_CONTEXT', 'prod-eu'));
    assert.equal(await s.cli.show(), 'prod-eu', 'a terminal with DOCKER_CONTEXT still uses prod-eu');
    await treeCaughtUp(s);
    assert.deepEqual(await currentContextRows(wb), ['prod-eu']);
    assert.ok(showsName(await statusText(wb), 'prod-eu'));
  });
});
