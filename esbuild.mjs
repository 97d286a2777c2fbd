// Bundles the extension for VS Code's Node extension host, as CommonJS files in dist/:
//   extension.js     the extension itself, evaluated at activation;
//   ssh2.js          ssh2, required on the first SSH connection;
//   dockerode.js     dockerode with docker-modem, required on the first Engine API call;
//   yaml.js          yaml, required when a compose file is first read;
//   dockerignore.js  @balena/dockerignore, required when a build context is first measured.
// The libraries are most of the code, and activation uses none, so they live in files of
// their own that the extension requires only when it needs them: V8 then neither parses nor
// compiles them at start-up. docker-modem's own `require('ssh2')` goes to the same ssh2.js, so
// the library is loaded once.
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Each lazily loaded library and the file of dist/ it is bundled into. */
const LAZY = { ssh2: 'ssh2', dockerode: 'dockerode', yaml: 'yaml', '@balena/dockerignore': 'dockerignore' };

/** `require('ssh2')` (and the others of LAZY) from any bundled module becomes `require('./ssh2.js')`… */
const lazyLibraries = {
  name: 'lazy-libraries',
  setup(build) {
    build.onResolve({ filter: /^(ssh2|dockerode|yaml|@balena\/dockerignore)$/ }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: `./${LAZY[args.path]}.js`, external: true },
    );
  },
};

const options = {
  entryPoints: [
    { in: 'src/extension.ts', out: 'extension' },
    ...Object.entries(LAZY).map(([name, out]) => ({ in: require.resolve(name), out })),
  ],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  outdir: 'dist',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  plugins: [lazyLibraries],
  // `vscode` is provided by the extension host. ssh2 loads its native crypto binding and
  // cpu-features inside try/catch and falls back to pure JS, so they stay out of the bundle.
  external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
