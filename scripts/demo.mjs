// The demo behind `npm run demo` (scripts/demo.sh builds first): a demo "remote" host — a real
// sshd and dockerd on 127.0.0.1 with a demo user — and a browser VS Code (code-server) with the
// packaged extension, running against a throwaway HOME that already has an SSH alias, a trusted
// host key, a key pair and a Docker context for that host. Ctrl-C stops everything, by pid.
//
// It reuses the test harness (compiled to out/test/support by `npm run build:tests`).
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const h = require(path.join(root, 'out', 'test', 'support', 'index.js'));
const cs = require(path.join(root, 'out', 'test', 'support', 'codeServer.js'));
const { runProcess } = require(path.join(root, 'out', 'src', 'core', 'exec.js'));

const ALIAS = 'demo-remote';
const CONTEXT = 'demo-remote';

function parsePort() {
  const i = process.argv.indexOf('--port');
  const v = i >= 0 ? process.argv[i + 1] : process.env.RDC_DEMO_PORT;
  return v ? Number(v) : undefined;
}

const say = (s) => process.stdout.write(`${s}\n`);
const step = (s) => say(`[demo] ${s}`);

const started = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) {
    return;
  }
  stopping = true;
  say('');
  step('stopping code-server, sshd and dockerd, removing the demo user and the throwaway home ...');
  for (const stop of started.reverse()) {
    try {
      await stop();
    } catch (e) {
      step(`cleanup problem: ${e.message}`);
    }
  }
  step('stopped.');
  process.exit(code);
}

async function main() {
  const port = parsePort();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => void stopAll(0));
  }

  step('starting a private dockerd ...');
  const dockerd = await h.startDockerd();
  started.push(() => dockerd.stop());
  step('importing local/busybox into it ...');
  await h.importBusybox(dockerd.socket);

  step('starting sshd on 127.0.0.1 ...');
  const sshd = await h.startSshd();
  started.push(() => sshd.dispose());

  const user = await h.createUser({ docker: true, dockerHost: dockerd.host });
  started.push(() => user.remove());

  const home = h.tempHome('rdc-demo-home-');
  started.push(async () => home.remove());
  const key = await h.generateKey(home.home, 'id_ed25519', `demo@${ALIAS}`);
  user.authorizeKey(key.publicLine);
  h.appendSshConfig(
    home.home,
    h.sshHostBlock({ alias: ALIAS, port: sshd.port, user: user.name, identityFile: key.privateKey }),
  );
  h.addKnownHost(home.home, h.knownHostsLine(sshd));

  const docker = (args) => runProcess(h.DOCKER_CLI, args, { env: home.env, timeoutMs: 120_000 });
  const created = await docker([
    'context',
    'create',
    CONTEXT,
    '--description',
    `Demo host: sshd on 127.0.0.1:${sshd.port}, user ${user.name}`,
    '--docker',
    `host=ssh://${ALIAS}`,
  ]);
  if (created.code !== 0) {
    throw new Error(`docker context create failed: ${created.stderr}`);
  }
  const info = await docker(['--context', CONTEXT, 'info', '--format', '{{.OperatingSystem}} ({{.Architecture}})']);
  if (info.code !== 0) {
    throw new Error(`docker --context ${CONTEXT} info failed: ${info.stderr}`);
  }
  step(`docker --context ${CONTEXT} info works: ${info.stdout.trim()}`);

  const workspace = path.join(home.home, 'project');
  fs.mkdirSync(workspace);
  step('installing the .vsix into code-server and starting it ...');
  const server = await cs.startCodeServer({ vsix: cs.packageExtension(), env: home.env, workspace, port });
  started.push(() => server.stop());

  say('');
  say('Remote Docker Contexts demo is running.');
  say('');
  say(`  VS Code (code-server):  ${server.url}`);
  say(
    '                          (listens on 127.0.0.1 only; from another machine: ssh -L PORT:127.0.0.1:PORT this-host)',
  );
  say(`  Demo remote host:       ssh ${ALIAS}  = ${user.name}@127.0.0.1 port ${sshd.port}`);
  say(`  Demo user's password:   ${user.password}`);
  say(`  Host key:               ${sshd.hostKeyFingerprint} (already trusted in the throwaway known_hosts)`);
  say(`  Docker context:         ${CONTEXT} -> ssh://${ALIAS} (image local/busybox is there)`);
  say(`  Throwaway HOME:         ${home.home}  (DOCKER_CONFIG=${home.dockerConfig})`);
  say('');
  say('  Try it from a shell with the same environment:');
  say(
    `    HOME=${home.home} DOCKER_CONFIG=${home.dockerConfig} PATH=${home.binDir}:$PATH docker --context ${CONTEXT} ps`,
  );
  say('');
  say('Press Ctrl-C to stop everything.');
  setInterval(() => undefined, 1 << 30); // keep running until a signal arrives
}

main().catch(async (e) => {
  process.stderr.write(`[demo] failed: ${e.stack ?? e}\n`);
  await stopAll(1);
});
