/**
 * Entry point of `npm run bench`: runs every benchmark suite, prints its table and writes its
 * section of bench/RESULTS.md (each suite owns the text between its own markers, so suites can
 * be added or re-run without touching the others' figures).
 *
 *   node out/bench/run.js [--only SUITE_ID] [--reps N]
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { contextsSuite } from './contexts';
import { engineSuite } from './engine';
import { extensionSuite } from './extension';
import { portsSuite } from './ports';
import { syncSuite } from './sync';
import { buildContextSuite } from './buildContext';
import { rttSuite } from './rtt';

export interface BenchOptions {
  /** Measured repetitions per case (each suite has its own default). */
  reps?: number;
  log: (line: string) => void;
}

export interface BenchReport {
  /** Plain text for the terminal. */
  text: string;
  /** Markdown for RESULTS.md. */
  markdown: string;
}

export interface BenchSuite {
  /** Used in `--only` and in the RESULTS.md markers `<!-- ID:start -->` / `<!-- ID:end -->`. */
  id: string;
  run(options: BenchOptions): Promise<BenchReport>;
}

const SUITES: BenchSuite[] = [
  contextsSuite,
  engineSuite,
  extensionSuite,
  portsSuite,
  syncSuite,
  buildContextSuite,
  rttSuite,
];

function parseArgs(argv: string[]): { only?: string; reps?: number } {
  const out: { only?: string; reps?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') {
      out.only = argv[++i];
    } else if (argv[i] === '--reps') {
      out.reps = Number(argv[++i]);
      if (!Number.isInteger(out.reps) || out.reps < 1) {
        throw new Error('--reps needs a positive integer');
      }
    } else {
      throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return out;
}

/** The repository root: this file runs from <root>/<outDir>/bench/run.js. */
async function repoRoot(): Promise<string> {
  const root = path.resolve(__dirname, '..', '..');
  await fs.access(path.join(root, 'package.json'));
  return root;
}

/** Replaces (or appends) the suite's section between its markers, leaving the rest as it was. */
export function replaceSection(doc: string, id: string, markdown: string): string {
  const start = `<!-- ${id}:start -->`;
  const end = `<!-- ${id}:end -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) {
    return doc.slice(0, i) + section + doc.slice(j + end.length);
  }
  return (doc.trimEnd() ? doc.trimEnd() + '\n\n' : '') + section + '\n';
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const suites = SUITES.filter((s) => !args.only || s.id === args.only);
  if (suites.length === 0) {
    throw new Error(`no suite ${args.only}; suites: ${SUITES.map((s) => s.id).join(', ')}`);
  }
  const resultsFile = path.join(await repoRoot(), 'bench', 'RESULTS.md');
  for (const suite of suites) {
    const report = await suite.run({ reps: args.reps, log: (line) => process.stderr.write(line + '\n') });
    process.stdout.write(report.text + '\n');
    let doc: string;
    try {
      doc = await fs.readFile(resultsFile, 'utf8');
    } catch {
      doc = '# Benchmark results\n\nWritten by `npm run bench`; each suite replaces only its own section.\n';
    }
    await fs.writeFile(resultsFile, replaceSection(doc, suite.id, report.markdown));
    process.stderr.write(`wrote the ${suite.id} section of ${resultsFile}\n`);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
