import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  afterDiagnose,
  decideAlias,
  findAliasFor,
  formatDestination,
  hostMatchesDestination,
  keyFileNameProblem,
  keyForReusedAlias,
  keyPathFree,
  planConnect,
  suggestContextName,
  suggestKeyFileName,
  tildePath,
  type HostFacts,
} from '../../src/core/connect/connectPlan';
import {
  contextsByAlias,
  contextsUsingAlias,
  dockerSocketForAlias,
  sshEndpointForAlias,
  sshHostOfEndpoint,
} from '../../src/core/connect/sshHostUsage';
import { parseSshDestination } from '../../src/core/sshConfig/sshConfigEdit';

const DEFAULTS = [
  '/h/.ssh/id_rsa',
  '/h/.ssh/id_ecdsa',
  '/h/.ssh/id_ecdsa_sk',
  '/h/.ssh/id_ed25519',
  '/h/.ssh/id_ed25519_sk',
  '/h/.ssh/id_xmss',
  '/h/.ssh/id_dsa',
];

function host(o: Partial<HostFacts> = {}): HostFacts {
  return {
    alias: 'build',
    hostname: '192.0.2.10',
    user: 'ubuntu',
    port: 22,
    identityFiles: ['/h/.ssh/id_build'],
    ...o,
  };
}

const existsIn =
  (...files: string[]) =>
  (f: string): boolean =>
    files.includes(f);

describe('contexts using an alias', () => {
  const contexts = [
    { name: 'a', endpoint: 'ssh://build' },
    { name: 'b', endpoint: 'ssh://me@Build:2222/run/user/1000/docker.sock' },
    { name: 'c', endpoint: 'ssh://build.example.com' },
    { name: 'd', endpoint: 'unix:///var/run/docker.sock' },
    { name: 'e', endpoint: 'tcp://build:2375' },
    { name: 'f', endpoint: 'ssh://' },
    { name: 'g', endpoint: 'SSH://other' },
  ];

  it('matches ssh://[user@]ALIAS[:port][/path] case-insensitively, and nothing else', () => {
    assert.deepEqual(contextsUsingAlias(contexts, 'build'), ['a', 'b']);
    assert.deepEqual(contextsUsingAlias(contexts, 'BUILD'), ['a', 'b']);
    assert.deepEqual(contextsUsingAlias(contexts, 'build.example.com'), ['c']);
    assert.deepEqual(contextsUsingAlias(contexts, 'other'), ['g']);
    assert.deepEqual(contextsUsingAlias(contexts, 'nothing'), []);
  });

  it('groups all contexts by lower-cased alias', () => {
    const map = contextsByAlias(contexts);
    assert.deepEqual(map.get('build'), ['a', 'b']);
    assert.equal(map.get('Build'), undefined);
    assert.equal(map.has('var'), false);
  });

  it('reads the host of an ssh endpoint, never of another scheme or an invalid URL', () => {
    assert.equal(sshHostOfEndpoint('ssh://u@h:1/p'), 'h');
    assert.equal(sshHostOfEndpoint('tcp://h:2375'), undefined);
    assert.equal(sshHostOfEndpoint('ssh://u:pw@h'), undefined);
    assert.equal(sshEndpointForAlias('build'), 'ssh://build');
  });

  it('finds the Docker socket a host test should check from the contexts that use the alias as configured', () => {
    const rootless = { name: 'r', endpoint: 'ssh://Build/run/user/1000/docker.sock' };
    // 'b' names a socket too, but logs in as another user on another port: not what the alias reaches.
    assert.equal(
      dockerSocketForAlias([...contexts, rootless], 'build'),
      undefined,
      "'a' uses the default socket, 'r' another",
    );
    assert.equal(dockerSocketForAlias([rootless, contexts[1]], 'build'), '/run/user/1000/docker.sock');
    assert.equal(
      dockerSocketForAlias([rootless, { name: 'r2', endpoint: 'ssh://build/run/user/1000/docker.sock' }], 'BUILD'),
      '/run/user/1000/docker.sock',
    );
    assert.equal(dockerSocketForAlias([contexts[0], { name: 'slash', endpoint: 'ssh://build/' }], 'build'), undefined);
    assert.equal(dockerSocketForAlias([rootless], 'other'), undefined);
    assert.equal(dockerSocketForAlias([], 'build'), undefined);
  });
});

describe('destinations and aliases', () => {
  it('formats destinations like ssh prints them', () => {
    assert.equal(formatDestination({ user: 'u', host: 'h', port: 2222 }), 'u@h:2222');
    assert.equal(formatDestination({ user: 'u', host: 'h', port: 22 }), 'u@h');
    assert.equal(formatDestination({ host: 'h' }), 'h');
    assert.equal(formatDestination({ user: 'u', host: '::1', port: 2222 }), 'u@[::1]:2222');
  });

  it('compares HostName case-insensitively, port 22 and the default user when not given', () => {
    const h = host({ hostname: 'Build.Example.com' });
    assert.ok(hostMatchesDestination(h, parseSshDestination('ubuntu@build.example.com'), 'root'));
    assert.ok(hostMatchesDestination(h, parseSshDestination('ubuntu@build.example.com:22'), 'root'));
    assert.ok(!hostMatchesDestination(h, parseSshDestination('ubuntu@build.example.com:2222'), 'root'));
    assert.ok(!hostMatchesDestination(h, parseSshDestination('build.example.com'), 'root'));
    assert.ok(hostMatchesDestination(h, parseSshDestination('build.example.com'), 'ubuntu'));
    assert.ok(
      !hostMatchesDestination(h, parseSshDestination('Ubuntu@build.example.com'), 'root'),
      'user names are case-sensitive',
    );
  });

  it('finds an existing alias for a pasted ssh command', () => {
    const hosts = [host({ alias: 'a', port: 2200 }), host({ alias: 'b', port: 2222 })];
    assert.equal(findAliasFor(parseSshDestination('ssh -p 2222 ubuntu@192.0.2.10'), hosts, 'root')?.alias, 'b');
    assert.equal(findAliasFor(parseSshDestination('ssh -p 2223 ubuntu@192.0.2.10'), hosts, 'root'), undefined);
  });

  it('decides new / reuse / conflict', () => {
    const dest = parseSshDestination('ubuntu@192.0.2.10');
    assert.deepEqual(decideAlias('build', dest, undefined, 'root'), { kind: 'new', alias: 'build' });
    const same = host({ alias: 'Build' });
    assert.deepEqual(decideAlias('build', dest, same, 'root'), { kind: 'reuse', alias: 'Build', host: same });
    const other = host({ user: 'admin' });
    assert.deepEqual(decideAlias('build', dest, other, 'root'), { kind: 'conflict', alias: 'build', host: other });
  });
});

describe('keys', () => {
  it('reuses the first IdentityFile of a reused alias that exists', () => {
    const h = host({ identityFiles: ['/h/.ssh/missing', '/h/.ssh/present'] });
    assert.deepEqual(keyForReusedAlias(h, existsIn('/h/.ssh/present'), DEFAULTS), {
      kind: 'existing',
      path: '/h/.ssh/present',
    });
  });

  it('generates where the block points when its key is missing, never over a stray .pub', () => {
    const h = host({ identityFiles: ['/h/.ssh/a', '/h/.ssh/b'] });
    assert.deepEqual(keyForReusedAlias(h, existsIn(), DEFAULTS), { kind: 'generate', path: '/h/.ssh/a' });
    assert.deepEqual(keyForReusedAlias(h, existsIn('/h/.ssh/a.pub'), DEFAULTS), {
      kind: 'generate',
      path: '/h/.ssh/b',
    });
    assert.equal(keyForReusedAlias(h, existsIn('/h/.ssh/a.pub', '/h/.ssh/b.pub'), DEFAULTS), undefined);
  });

  it('generates id_ed25519 for a block that names no key (only the defaults are effective)', () => {
    const h = host({ identityFiles: DEFAULTS });
    assert.deepEqual(keyForReusedAlias(h, existsIn(), DEFAULTS), { kind: 'generate', path: '/h/.ssh/id_ed25519' });
    assert.deepEqual(keyForReusedAlias(h, existsIn('/h/.ssh/id_ecdsa'), DEFAULTS), {
      kind: 'existing',
      path: '/h/.ssh/id_ecdsa',
    });
    assert.equal(keyForReusedAlias(h, existsIn('/h/.ssh/id_ed25519.pub'), DEFAULTS), undefined);
  });

  it('suggests a key file name that overwrites nothing', () => {
    assert.equal(suggestKeyFileName('build', existsIn()), 'id_ed25519');
    assert.equal(suggestKeyFileName('build', existsIn('id_ed25519')), 'id_ed25519_build');
    assert.equal(
      suggestKeyFileName('build', existsIn('id_ed25519.pub')),
      'id_ed25519_build',
      'a stray .pub also blocks the name',
    );
    assert.equal(
      suggestKeyFileName('build', existsIn('id_ed25519', 'id_ed25519_build', 'id_ed25519_build-2.pub')),
      'id_ed25519_build-3',
    );
    assert.ok(keyPathFree('/x/k', existsIn()));
    assert.ok(!keyPathFree('/x/k', existsIn('/x/k.pub')));
  });

  it('refuses key file names that are not one plain new file in ~/.ssh', () => {
    assert.equal(keyFileNameProblem('id_ed25519_build'), undefined);
    assert.equal(keyFileNameProblem('me@laptop-2024'), undefined);
    assert.equal(keyFileNameProblem(''), 'empty');
    assert.equal(keyFileNameProblem('../id'), 'separator');
    assert.equal(keyFileNameProblem('a\\b'), 'separator');
    assert.equal(keyFileNameProblem('.hidden'), 'dot');
    assert.equal(keyFileNameProblem('id.pub'), 'pub');
    assert.equal(keyFileNameProblem('config'), 'reserved');
    assert.equal(keyFileNameProblem('known_hosts.old'), 'reserved');
    assert.equal(keyFileNameProblem('authorized_keys'), 'reserved');
    assert.equal(keyFileNameProblem('with space'), 'characters');
    assert.equal(keyFileNameProblem('-rf'), 'characters');
  });
});

describe('paths in ssh_config', () => {
  it('writes ~/… for files under the home, with / on every platform', () => {
    assert.equal(tildePath('/home/me/.ssh/id_ed25519', '/home/me'), '~/.ssh/id_ed25519');
    assert.equal(tildePath('/home/me', '/home/me'), '/home/me');
    assert.equal(
      tildePath('/home/meow/.ssh/k', '/home/me'),
      '/home/meow/.ssh/k',
      'a sibling that shares the prefix is not inside',
    );
    assert.equal(tildePath('/etc/ssh/k', '/home/me'), '/etc/ssh/k');
    assert.equal(tildePath('C:\\Users\\me\\.ssh\\id_ed25519', 'C:\\Users\\me', path.win32), '~/.ssh/id_ed25519');
    assert.equal(tildePath('D:\\keys\\k', 'C:\\Users\\me', path.win32), 'D:\\keys\\k');
  });
});

describe('context names', () => {
  it('uses the alias when it is a valid, free name', () => {
    assert.equal(suggestContextName('build', []), 'build');
    assert.equal(suggestContextName('build', ['build']), 'build-2');
    assert.equal(suggestContextName('build', ['build', 'build-2']), 'build-3');
  });

  it('makes odd aliases valid for the docker CLI rule', () => {
    assert.equal(suggestContextName('b', []), 'b-docker');
    assert.equal(suggestContextName('_x', []), 'x-docker');
    assert.equal(suggestContextName('default', []), 'default-remote');
    assert.equal(suggestContextName('192.0.2.10', []), '192.0.2.10');
    for (const name of ['b-docker', 'x-docker', 'default-remote', 'build-2']) {
      assert.match(name, /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/);
    }
  });
});

describe('planConnect', () => {
  const key = { kind: 'generate', path: '/h/.ssh/id_ed25519' } as const;

  it('puts the writes in a safe order: key, install (host key), config, diagnose, context, use', () => {
    const plan = planConnect({ alias: { kind: 'new', alias: 'build' }, key, contexts: [] });
    assert.deepEqual(
      plan.steps.map((s) => s.id),
      ['generateKey', 'installKey', 'writeConfig', 'diagnose', 'createContext', 'useContext'],
    );
    assert.ok(plan.steps.every((s) => s.action === 'run'));
    assert.equal(plan.existingContext, undefined);
  });

  it('skips what is already done: key, alias, context, current', () => {
    const h = host();
    const plan = planConnect({
      alias: { kind: 'reuse', alias: 'build', host: h },
      key: { kind: 'existing', path: '/h/.ssh/id_build' },
      contexts: [
        { name: 'other', endpoint: 'ssh://x' },
        { name: 'b1', endpoint: 'ssh://me@BUILD' },
      ],
      currentContext: 'b1',
    });
    const byId = Object.fromEntries(plan.steps.map((s) => [s.id, s.skip ?? s.action]));
    assert.deepEqual(byId, {
      generateKey: 'keyExists',
      installKey: 'run',
      writeConfig: 'aliasExists',
      diagnose: 'run',
      createContext: 'contextExists',
      useContext: 'alreadyCurrent',
    });
    assert.equal(plan.existingContext, 'b1');
  });

  it('offers to switch to an existing context that is not current', () => {
    const plan = planConnect({
      alias: { kind: 'new', alias: 'build' },
      key,
      contexts: [{ name: 'b1', endpoint: 'ssh://build' }],
      currentContext: 'default',
    });
    assert.equal(plan.steps.find((s) => s.id === 'useContext')?.action, 'run');
    assert.equal(plan.steps.find((s) => s.id === 'createContext')?.skip, 'contextExists');
  });

  it('asks after diagnose only when a step failed (warnings do not stop the flow)', () => {
    assert.equal(
      afterDiagnose([
        { id: 'dockerCli', status: 'warning' },
        { id: 'dockerSocket', status: 'ok' },
      ]),
      'continue',
    );
    assert.equal(
      afterDiagnose([
        { id: 'dockerSocket', status: 'failed' },
        { id: 'daemon', status: 'skipped' },
      ]),
      'ask',
    );
  });
});
