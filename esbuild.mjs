// Bundles the extension into one CommonJS file that VS Code's Node extension host loads.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const options = {
  entryPoints: ['src/extension.ts'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  outfile: 'dist/extension.js',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
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
