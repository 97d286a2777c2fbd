/**
 * Differential test: both resolvers against the real OpenSSH client (`ssh -G`, which needs no
 * server) over the corpus in test/fixtures/ssh-config. The expected EffectiveHost is read from
 * ssh's output plainly, here in the test (not through the project's `ssh -G` reader), and the
 * identity files, which `ssh -G` prints unexpanded, are expanded by ssh itself (see
 * `sshExpands`). For every alias both resolvers must give that host, or both must refuse the
 * config where ssh refuses it (at the line ssh names, when it names one). Each case directory holds a `home/` copied into a temp home, so `~`, `%d` and
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

/** `ssh -G` run plainly: its `key value` lines, every value of a key in order. */
async function sshG(
  args: string[],
  home: string,
): Promise<{ code: number | null; stderr: string; values: Map<string, string[]> }> {
  const r = await runProcess('ssh', ['-G', ...args], { env: { ...process.env, HOME: home }, timeoutMs: 30_000 });
  const values = new Map<string, string[]>();
  for (const line of r.stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) {
      values.set(line.slice(0, sp), [...(values.get(line.slice(0, sp)) ?? []), line.slice(sp + 1)]);
    }
  }
  return { code: r.code, stderr: r.stderr, values };
}

/**
 * A path as ssh itself expands it for this host: `ssh -G` prints IdentityFile unexpanded but
 * UserKnownHostsFile expanded, with the same tokens (%d %u %l %L %h %r %p %n %k %C %i, `~`,
 * `${ENV}`), so the raw IdentityFile is handed back to ssh as a UserKnownHostsFile.
 */
async function sshExpands(raw: string, alias: string, v: Map<string, string[]>, home: string): Promise<string> {
  const one = (k: string): string => v.get(k)?.[0] ?? '';
  const args = [
    '-F',
    'none',
    '-o',
    `HostName="${one('hostname')}"`,
    '-o',
    `User="${one('user')}"`,
    '-o',
    `Port=${one('port')}`,
  ];
  if (v.has('hostkeyalias')) {
    args.push('-o', `HostKeyAlias="${one('hostkeyalias')}"`);
  }
  args.push('-o', `UserKnownHostsFile="${raw}"`, '--', alias);
  const r = await sshG(args, home);
  assert.equal(r.code, 0, r.stderr);
  return r.values.get('userknownhostsfile')?.[0] ?? '';
}

/** What ssh -G says about `alias`, as an EffectiveHost, or where it refuses the config. */
async function sshOracle(alias: string, options: ResolveOptions): Promise<Outcome> {
  const home = options.home;
  const configExists = fsSync.existsSync(options.configFile);
  const r = await sshG(['-F', configExists ? options.configFile : 'none', '--', alias], home);
  if (r.code !== 0) {
    const line = /line (\d+)/.exec(r.stderr);
    return line ? { reason: 'refused', line: Number(line[1]) } : { reason: 'refused' };
  }
  const v = r.values;
  const one = (k: string): string | undefined => v.get(k)?.[0];
  const list = (k: string): string[] => (one(k) ?? '').split(' ').filter((x) => x !== '');
  // ssh expands `~` and %d with the passwd home; the resolvers were given `home` instead.
  const passwd = os.userInfo().homedir;
  const inHome = (p: string): string =>
    p === passwd ? home : p.startsWith(passwd + '/') ? home + p.slice(passwd.length) : p;
  const noneIsEmpty = (l: string[]): string[] => (l.length === 1 && l[0] === 'none' ? [] : l);
  const strict: Record<string, EffectiveHost['strictHostKeyChecking']> = {
    true: 'yes',
    yes: 'yes',
    false: 'no',
    no: 'no',
    off: 'no',
    'accept-new': 'accept-new',
  };
  const identityFiles: string[] = [];
  for (const raw of v.get('identityfile') ?? []) {
    identityFiles.push(inHome(await sshExpands(raw, alias, v, home)));
  }
  const host: Omit<EffectiveHost, 'source'> = {
    alias,
    hostname: one('hostname') ?? alias,
    user: one('user') ?? options.localUser,
    port: Number(one('port') ?? 22),
    identityFiles,
    identitiesOnly: one('identitiesonly') === 'yes',
    userKnownHostsFiles: noneIsEmpty(list('userknownhostsfile')).map(inHome),
    globalKnownHostsFiles: noneIsEmpty(list('globalknownhostsfile')).map((f) =>
      f.startsWith('~/') ? home + f.slice(1) : f,
    ),
    strictHostKeyChecking: strict[one('stricthostkeychecking') ?? ''] ?? 'ask',
    hashKnownHosts: one('hashknownhosts') === 'yes',
    serverAliveInterval: Number(one('serveraliveinterval') ?? 0),
    serverAliveCountMax: Number(one('serveralivecountmax') ?? 3),
    hostKeyAlgorithms: (one('hostkeyalgorithms') ?? '').split(','),
    pubkeyAcceptedAlgorithms: (one('pubkeyacceptedalgorithms') ?? '').split(','),
    kexAlgorithms: (one('kexalgorithms') ?? '').split(','),
    ciphers: (one('ciphers') ?? '').split(','),
    macs: (one('macs') ?? '').split(','),
  };
  const agent = one('identityagent');
  if (agent !== undefined) {
    host.identityAgent = inHome(agent);
  }
  if (one('proxyjump') !== undefined) {
    host.proxyJump = one('proxyjump');
  }
  const proxyCommand = one('proxycommand');
  if (proxyCommand !== undefined && proxyCommand !== 'none') {
    host.proxyCommand = proxyCommand;
  }
  if (one('hostkeyalias') !== undefined) {
    host.hostKeyAlias = one('hostkeyalias');
  }
  const connectTimeout = one('connecttimeout');
  if (connectTimeout !== undefined && connectTimeout !== 'none') {
    host.connectTimeout = Number(connectTimeout);
  }
  return { host };
}

/** Both resolvers' outcomes as the oracle words them: a refusal is `refused` (at a line, if ssh names one). */
function asOracle(o: Outcome, sshNamesLine: boolean): Outcome {
  if ('host' in o) {
    return o;
  }
  return sshNamesLine && o.line !== undefined ? { reason: 'refused', line: o.line } : { reason: 'refused' };
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
          const oracle = await sshOracle(alias, options);
          const namesLine = 'reason' in oracle && oracle.line !== undefined;
          const viaSsh = await outcome(() => resolveHostWithSsh(alias, { ...options, sshBinary: 'ssh' }));
          const builtin = await outcome(() => resolveHostBuiltin(alias, options));
          assert.deepEqual(asOracle(viaSsh, namesLine), oracle, 'the ssh -G resolver');
          assert.deepEqual(asOracle(builtin, namesLine), oracle, 'the builtin resolver');
          if ('reason' in viaSsh && 'reason' in builtin) {
            // Where both refuse, they must give the user the same reason.
            assert.equal(builtin.reason, viaSsh.reason);
          }
          // Error fixtures are named err-*; every other case must resolve.
          assert.equal('reason' in oracle, caseName.startsWith('err-'), JSON.stringify(oracle));
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
