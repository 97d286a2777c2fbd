/**
 * The terminal of a compose command (src/ui/sync/composeTerminal.ts) under plain Node with the
 * vscode stand-in, on a real ssh2 connection to the test sshd: the command's output reaches the
 * terminal, its exit code is shown, and the pooled connection's lease goes back exactly once —
 * when the command ends, and not again when the terminal is closed afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'ssh2';
import type { SshLease } from '../../src/core/engine/enginePool';
import { createUser, requireRoot, startSshd, type Sshd, type TestUser } from '../support';
import { ssh2Login } from '../support/ssh2Client';
import { installVscodeStandIn } from '../support/vscodeStandIn';
import { waitFor } from '../support/waitFor';
import type * as ComposeTerminalModule from '../../src/ui/sync/composeTerminal';

installVscodeStandIn();
// Loaded after the stand-in is in place (the module imports `vscode`).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- must follow installVscodeStandIn()
const { ComposeTerminal } = require('../../src/ui/sync/composeTerminal') as typeof ComposeTerminalModule;

const T = { timeout: 120_000 };

describe('compose terminal', () => {
  let sshd: Sshd;
  let user: TestUser;
  let client: Client;

  before(async () => {
    requireRoot('compose terminal tests');
    sshd = await startSshd({ passwordAuth: true });
    user = await createUser();
    client = await ssh2Login({
      port: sshd.port,
      username: user.name,
      password: user.password,
      hostKeyPub: sshd.hostKeyPub,
    });
  });

  after(async () => {
    client?.end();
    await user?.remove();
    await sshd?.dispose();
  });

  it('shows the output and exit code, and gives the lease back once', T, async () => {
    let releases = 0;
    const lease = { client, release: () => releases++ } as unknown as SshLease;
    const lines: string[] = [];
    const logger = { info: () => undefined, warn: () => undefined, debug: () => undefined };
    const term = new ComposeTerminal(lease, 'echo compose-output; exit 3', 'banner', logger as never);
    term.onDidWrite((d) => lines.push(d));
    term.open(undefined);
    const text = await waitFor(
      'the command to end',
      () => lines.join(''),
      (t) => t.includes('exit code 3'),
      60_000,
    );
    assert.match(text, /compose-output/);
    assert.equal(releases, 1, 'the lease went back when the command ended');
    term.close();
    assert.equal(releases, 1, 'closing the terminal afterwards does not give it back twice');
  });
});
