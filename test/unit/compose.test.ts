/**
 * Compose and devcontainer host paths: interpolation as Compose does it, mounts found with their
 * offsets (short and long syntax, build contexts, named volumes left alone), the path the daemon
 * receives, and the named-volume fix checked byte for byte.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostPathOf, isHostPath, readComposeMounts } from '../../src/core/compose/composeMounts';
import { readDevcontainerMounts } from '../../src/core/compose/devcontainerMounts';
import { interpolate, parseDotEnv } from '../../src/core/compose/interpolate';
import { isComposeFile, isDevcontainerFile, isDockerfile } from '../../src/core/compose/composeFiles';
import { checkMounts, isRemoteEndpoint } from '../../src/core/compose/mountCheck';
import { applyEdits, namedVolumeFix, volumeNameFor } from '../../src/core/compose/namedVolumeEdit';

test('interpolation: $VAR, ${VAR}, defaults with and without colon, $$, alternatives, unset reported', () => {
  const env = { A: 'a', EMPTY: '', D: 'dir' };
  assert.deepEqual(interpolate('$A/${A}', env), { value: 'a/a', unset: [] });
  assert.deepEqual(interpolate('${EMPTY:-x}|${EMPTY-x}|${NOPE-x}|${NOPE:-${D}/y}', env), {
    value: 'x||x|dir/y',
    unset: [],
  });
  assert.deepEqual(interpolate('$$HOME ${A:+set} ${NOPE:+set}.', env), { value: '$HOME set .', unset: [] });
  assert.deepEqual(interpolate('${NOPE}/x/$ALSO', env), { value: '/x/', unset: ['NOPE', 'ALSO'] });
  assert.deepEqual(interpolate('${NOPE:?must be set}', env), { value: '', unset: ['NOPE'] });
  assert.equal(interpolate('cost $5 ${', env).value, 'cost $5 ${');
});

test('.env: comments, export, quotes, escapes, trailing comments, earlier keys', () => {
  const text = '# c\nexport A=1\nB="two\\nlines" \nC=\'${A} literal\'\nD=${A}/x # note\n\nbad line\nE=';
  assert.deepEqual(parseDotEnv(text), { A: '1', B: 'two\nlines', C: '${A} literal', D: '1/x', E: '' });
});

test('file names: compose, devcontainer, Dockerfile', () => {
  for (const f of ['compose.yaml', 'compose.yml', 'docker-compose.yaml', '/x/docker-compose.yml', 'dev.compose.yaml']) {
    assert.ok(isComposeFile(f), f);
  }
  assert.ok(!isComposeFile('composer.yaml') && !isComposeFile('compose.json'));
  assert.ok(isDevcontainerFile('/w/.devcontainer/devcontainer.json') && isDevcontainerFile('/w/.devcontainer.json'));
  assert.ok(!isDevcontainerFile('/w/devcontainer.json'));
  assert.ok(isDockerfile('Dockerfile') && isDockerfile('Dockerfile.dev') && isDockerfile('api.dockerfile'));
});

const COMPOSE = `# project
services:
  web:
    build: ./web
    volumes:
      - ./src:/app:ro          # short
      - "~/cache:/cache"
      - \${DATA_DIR:-./data}:/data
      - named:/var/lib
      - /anonymous
      - type: bind
        source: ./conf
        target: /etc/conf
      - type: volume
        source: named
        target: /x
  api:
    build:
      context: ../api
      dockerfile: Dockerfile
  remote:
    build: https://github.com/docker/example.git
volumes:
  named: {}
`;

test('compose mounts: short, quoted, interpolated and long syntax, build contexts; volumes and URLs left out', () => {
  const r = readComposeMounts(COMPOSE, {});
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.volumes, ['named']);
  const rows = r.mounts.map((m) => [m.kind, m.owner, m.written, m.source, COMPOSE.slice(m.span.start, m.span.end)]);
  assert.deepEqual(rows, [
    ['short', 'web', './src', './src', './src'],
    ['short', 'web', '~/cache', '~/cache', '~/cache'],
    ['short', 'web', '${DATA_DIR:-./data}', './data', '${DATA_DIR:-./data}'],
    ['long', 'web', './conf', './conf', './conf'],
    ['build', 'web', './web', './web', './web'],
    ['build', 'api', '../api', '../api', '../api'],
  ]);
  const long = r.mounts[3];
  assert.equal(COMPOSE.slice(long.typeSpan?.start, long.typeSpan?.end), 'bind');
  assert.equal(readComposeMounts(COMPOSE, { DATA_DIR: '/srv/d' }).mounts[2].source, '/srv/d');
});

test('the path the daemon receives: relative to the compose file, ~ to the home, absolute kept', async () => {
  assert.equal(hostPathOf('./src', '/p/app', '/home/u'), '/p/app/src');
  assert.equal(hostPathOf('../x', '/p/app', '/home/u'), '/p/x');
  assert.equal(hostPathOf('~/c', '/p/app', '/home/u'), '/home/u/c');
  assert.equal(hostPathOf('/abs', '/p/app', '/home/u'), '/abs');
  assert.ok(isHostPath('.') && isHostPath('~') && isHostPath('C:\\x') && !isHostPath('named'));
  const { mounts } = readComposeMounts(COMPOSE, {});
  const asked: string[] = [];
  const found = await checkMounts(mounts, {
    baseDir: '/p/app',
    home: '/home/u',
    stat: (p) => {
      asked.push(p);
      return Promise.resolve(p.endsWith('src') ? 'directory' : p.endsWith('conf') ? 'file' : 'missing');
    },
  });
  assert.deepEqual(
    found.map((f) => [f.hostPath, f.remote, f.whenMissing]),
    [
      ['/p/app/src', 'directory', 'createsEmptyDirectory'],
      ['/home/u/cache', 'missing', 'createsEmptyDirectory'],
      ['/p/app/data', 'missing', 'createsEmptyDirectory'],
      ['/p/app/conf', 'file', 'failsToStart'],
      ['/p/app/web', 'notChecked', 'notApplicable'],
      ['/p/api', 'notChecked', 'notApplicable'],
    ],
  );
  assert.deepEqual(
    asked,
    ['/p/app/src', '/home/u/cache', '/p/app/data', '/p/app/conf'],
    'build contexts are not asked',
  );
});

test('remote endpoints: ssh:// and tcp:// to another host; unix://, npipe and loopback tcp are local', () => {
  assert.ok(isRemoteEndpoint('ssh://prod') && isRemoteEndpoint('ssh://u@127.0.0.1:22'));
  assert.ok(isRemoteEndpoint('tcp://10.0.0.5:2376'));
  for (const e of [
    'unix:///var/run/docker.sock',
    'npipe:////./pipe/docker_engine',
    'tcp://127.0.0.1:2375',
    'tcp://localhost:2375',
    'tcp://[::1]:2375',
    '',
  ]) {
    assert.ok(!isRemoteEndpoint(e), e);
  }
});

test('named volume fix, short syntax: only the source is replaced, the volume is added to the existing map', () => {
  const { mounts, volumes } = readComposeMounts(COMPOSE, {});
  const fix = namedVolumeFix(COMPOSE, mounts[0], volumes);
  assert.equal(fix.name, 'src');
  assert.equal(
    applyEdits(COMPOSE, fix.edits),
    COMPOSE.replace('- ./src:/app:ro          # short', '- src:/app:ro          # short').replace(
      'volumes:\n  named: {}\n',
      'volumes:\n  named: {}\n  src:\n',
    ),
  );
});

test('named volume fix, long syntax: source and type change; a missing top-level volumes: is appended', () => {
  const text =
    'services:\n    db:\n        volumes:\n            - type: bind\n              source: "./pg data"\n              target: /var/lib/postgresql\n';
  const { mounts, volumes } = readComposeMounts(text, {});
  const fix = namedVolumeFix(text, mounts[0], volumes);
  assert.equal(
    applyEdits(text, fix.edits),
    'services:\n    db:\n        volumes:\n            - type: volume\n              source: "pg-data"\n              target: /var/lib/postgresql\nvolumes:\n    pg-data:\n',
  );
});

test('named volume fix: a taken name, a file without final newline, CRLF, an empty volumes:, a flow map', () => {
  assert.equal(volumeNameFor('./data/', ['data', 'data-2']), 'data-3');
  assert.equal(volumeNameFor('.', []), 'data');
  const noNl = 'services:\n  a:\n    volumes: ["./x:/x"]';
  let r = readComposeMounts(noNl, {});
  assert.equal(
    applyEdits(noNl, namedVolumeFix(noNl, r.mounts[0], r.volumes).edits),
    'services:\n  a:\n    volumes: ["x:/x"]\nvolumes:\n  x:\n',
  );
  const crlf = 'services:\r\n  a:\r\n    volumes:\r\n      - ./x:/x\r\nvolumes:\r\n# none yet\r\n';
  r = readComposeMounts(crlf, {});
  assert.equal(
    applyEdits(crlf, namedVolumeFix(crlf, r.mounts[0], r.volumes).edits),
    'services:\r\n  a:\r\n    volumes:\r\n      - x:/x\r\nvolumes:\r\n  x:\r\n# none yet\r\n',
  );
  const flow = 'services:\n  a:\n    volumes:\n      - ./x:/x\nvolumes: { keep: {} }\n';
  r = readComposeMounts(flow, {});
  assert.equal(
    applyEdits(flow, namedVolumeFix(flow, r.mounts[0], r.volumes).edits),
    'services:\n  a:\n    volumes:\n      - x:/x\nvolumes: { keep: {}, x: {} }\n',
  );
  const escaped = 'services:\n  a:\n    volumes:\n      - "./\\x41:/x:ro"\n';
  r = readComposeMounts(escaped, {});
  assert.equal(r.mounts[0].source, './A');
  assert.equal(
    applyEdits(escaped, namedVolumeFix(escaped, r.mounts[0], r.volumes).edits),
    'services:\n  a:\n    volumes:\n      - "A:/x:ro"\nvolumes:\n  A:\n',
  );
});

test('devcontainer.json: mounts as strings and objects, workspaceMount, variables; volumes left out; comments allowed', () => {
  const text = `{
  // comment
  "mounts": [
    "source=\${localWorkspaceFolder}/cache,target=/cache,type=bind",
    "source=vol,target=/v,type=volume",
    { "source": "\${localEnv:HOME}/.ssh", "target": "/root/.ssh", "type": "bind" },
  ],
  "workspaceMount": "source=\${localEnv:SRC:/fallback},target=/workspace,type=bind,consistency=cached",
}`;
  const m = readDevcontainerMounts(text, '/w/proj', { HOME: '/home/u' });
  assert.deepEqual(
    m.map((x) => [x.owner, x.source, text.slice(x.span.start, x.span.end).slice(0, 12)]),
    [
      ['mounts', '/w/proj/cache', '"source=${lo'],
      ['mounts', '/home/u/.ssh', '"${localEnv:'],
      ['workspaceMount', '/fallback', '"source=${lo'],
    ],
  );
});

test('named volume fix: an empty flow map, and a last volume with a nested block and a comment', () => {
  const empty = 'services:\n  a:\n    volumes:\n      - ./x:/x\nvolumes: {}\n';
  let r = readComposeMounts(empty, {});
  assert.equal(
    applyEdits(empty, namedVolumeFix(empty, r.mounts[0], r.volumes).edits),
    'services:\n  a:\n    volumes:\n      - x:/x\nvolumes: { x: {} }\n',
  );
  const nested =
    'services:\n  a:\n    volumes:\n      - ./x:/x\nvolumes:\n  db:\n    driver: local # keep\n# tail comment\n';
  r = readComposeMounts(nested, {});
  assert.equal(
    applyEdits(nested, namedVolumeFix(nested, r.mounts[0], r.volumes).edits),
    'services:\n  a:\n    volumes:\n      - x:/x\nvolumes:\n  db:\n    driver: local # keep\n  x:\n# tail comment\n',
  );
});
