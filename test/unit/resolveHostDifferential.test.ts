/**
 * Differential test: the builtin resolver against the real OpenSSH client (`ssh -G`, which needs
 * no server) over the corpus in test/fixtures/ssh-config. For every alias both must give the
 * same EffectiveHost, or both must refuse the config for the same reason (and line, when ssh
 * names one). Each case directory holds a `home/` copied into a temp home, so `~`, `%d` and
 * relative Includes point inside it; `@HOME@` in a fixture stands for that path, and a file
 * named `*.worldwritable*` is given mode 666 (everything else 600, whatever the checkout's umask).
 */
import assert from 'node:assert/strict';
import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreError } from '../../src/core/common/errors';
import { runProcess } from '../../src/core/common/exec';
import {
  resolveHostBuiltin,
  resolveHostWithSsh,
  type EffectiveHost,
  type ResolveOptions,
} from '../../src/core/sshConfig/resolveHost';
import { sshClientMissing } from '../support/openssh';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/ssh-config');

interface Corpus {
  cases: Record<string, string[]>;
  refusedBySsh: string[];
  notAnAlias: string[];
}
const corpus = JSON.parse(fsSync.readFileSync(path.join(FIXTURES, 'differential.json'), 'utf8')) as Corpus;

async function copyFixtureHome(src: string, dest: string, home: string): Promise<void> {
  await fs.mkdir(dest, { recursive: true, mode: 0o700 });
  await fs.chmod(dest, 0o700);
  for (const entry of await fs.readdir(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) {
      await copyFixtureHome(from, to, home);
    } else {
      const text = (await fs.readFile(from, 'utf8')).split('@HOME@').join(home);
      const mode = entry.name.includes('.worldwritable') ? 0o666 : 0o600;
      await fs.writeFile(to, text, { mode });
      await fs.chmod(to, mode);
    }
  }
}

type Outcome = { host: Omit<EffectiveHost, 'source'> } | { reason: string; line?: number };

async function outcome(run: () => Promise<EffectiveHost>): Promise<Outcome> {
  try {
    const { source: _source, ...host } = await run();
    return { host };
  } catch (e) {
    if (!(e instanceof CoreError)) {
      throw e;
    }
    const line = typeof e.details.line === 'number' ? e.details.line : undefined;
    return line === undefined ? { reason: e.reason } : { reason: e.reason, line };
  }
}

function newHome(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `rdc-sshcfg-${prefix}-`));
}

describe('builtin resolver agrees with ssh -G', async () => {
  const skip = await sshClientMissing();
  const homes: string[] = [];
  after(async () => {
    for (const h of homes) {
      await fs.rm(h, { recursive: true, force: true });
    }
  });

  test('the corpus is large enough to mean something', () => {
    const total = Object.values(corpus.cases).reduce((n, l) => n + l.length, 0);
    assert.ok(total >= 40, `only ${total} alias cases`);
  });

  for (const [caseName, aliases] of Object.entries(corpus.cases)) {
    describe(caseName, { skip }, () => {
      let options: ResolveOptions;
      before(async () => {
        const home = await newHome(caseName);
        homes.push(home);
        await copyFixtureHome(path.join(FIXTURES, caseName, 'home'), home, home);
        options = {
          configFile: path.join(home, '.ssh', 'config'),
          home,
          localUser: os.userInfo().username,
          systemConfigFile: null,
          timeoutMs: 30_000,
        };
      });
      for (const alias of aliases) {
        test(alias, async () => {
          const viaSsh = await outcome(() => resolveHostWithSsh(alias, { ...options, sshBinary: 'ssh' }));
          const builtin = await outcome(() => resolveHostBuiltin(alias, options));
          if ('reason' in viaSsh && 'reason' in builtin && (viaSsh.line === undefined || builtin.line === undefined)) {
            // ssh names no line for some refusals (loops, permissions): compare the reason only.
            assert.equal(builtin.reason, viaSsh.reason);
          } else {
            assert.deepEqual(builtin, viaSsh);
          }
          // Error fixtures are named err-*; every other case must resolve.
          assert.equal('reason' in viaSsh, caseName.startsWith('err-'), JSON.stringify(viaSsh));
        });
      }
    });
  }

  describe('aliases ssh refuses are refused by both resolvers', { skip }, () => {
    let options: ResolveOptions;
    before(async () => {
      const home = await newHome('refused');
      homes.push(home);
      await fs.mkdir(path.join(home, '.ssh'), { mode: 0o700 });
      await fs.writeFile(path.join(home, '.ssh', 'config'), 'Host *\n  User x\n', { mode: 0o600 });
      options = {
        configFile: path.join(home, '.ssh', 'config'),
        home,
        localUser: os.userInfo().username,
        systemConfigFile: null,
      };
    });
    for (const alias of corpus.refusedBySsh) {
      test(JSON.stringify(alias), async () => {
        // The oracle itself, without our pre-check in front of it.
        const raw = await runProcess('ssh', ['-G', '-F', options.configFile, '--', alias], { timeoutMs: 30_000 });
        assert.notEqual(raw.code, 0);
        assert.match(raw.stderr, /hostname contains invalid characters/);
        await assert.rejects(resolveHostWithSsh(alias, { ...options, sshBinary: 'ssh' }), {
          reason: 'sshAliasInvalid',
        });
        await assert.rejects(resolveHostBuiltin(alias, options), { reason: 'sshAliasInvalid' });
      });
    }
    for (const alias of corpus.notAnAlias) {
      test(`${JSON.stringify(alias)} is not an alias (ssh would parse a user or URI out of it)`, async () => {
        await assert.rejects(resolveHostWithSsh(alias, { ...options, sshBinary: 'ssh' }), {
          reason: 'sshAliasInvalid',
        });
        await assert.rejects(resolveHostBuiltin(alias, options), { reason: 'sshAliasInvalid' });
      });
    }
  });
});
