/**
 * The real docker CLI as the oracle of the end-to-end tests: run with exactly the environment
 * given to code-server (temp HOME and DOCKER_CONFIG, no DOCKER_HOST/DOCKER_CONTEXT unless the
 * test put them there), it shows what a terminal opened from that VS Code would see.
 */
import { runProcess, type RunResult } from '../../src/core/common/exec';
import { DOCKER_CLI } from './busybox';
import { waitFor } from './waitFor';

/** One line of `docker context ls --format json`. */
export interface CliContextRow {
  Name: string;
  Description: string;
  DockerEndpoint: string;
  Current: boolean;
  Error: string;
}

/** The fields of `docker context inspect` the tests read; the rest is compared as a whole. */
export interface CliInspected {
  Name: string;
  Metadata: { Description?: string };
  Endpoints: { docker: { Host: string; SkipTLSVerify: boolean } };
}

export class DockerCli {
  constructor(readonly env: NodeJS.ProcessEnv) {}

  /** Runs `docker ARGS`; a non-zero exit fails unless `allowFail`. */
  async run(args: string[], o: { allowFail?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    const r = await runProcess(DOCKER_CLI, args, { env: o.env ?? this.env, timeoutMs: 30_000 });
    if (r.code !== 0 && !o.allowFail) {
      throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    }
    return r;
  }

  /** `docker context show` */
  async show(env?: NodeJS.ProcessEnv): Promise<string> {
    return (await this.run(['context', 'show'], { env })).stdout.trim();
  }

  /** Waits (bounded, as `waitFor`) until `docker context show` prints `name`: a switch made elsewhere reached the CLI. */
  async waitShows(name: string, env?: NodeJS.ProcessEnv): Promise<void> {
    await waitFor(
      `docker context show to print ${name}`,
      () => this.show(env),
      (shown) => shown === name,
    );
  }

  /**
   * The daemon's platform as `docker version` reports it, `Os/Arch` (e.g. `linux/amd64`): what
   * a test expects where the extension shows the platform, instead of a value written by hand.
   */
  async serverPlatform(context?: string): Promise<string> {
    const args = [...(context ? ['--context', context] : []), 'version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'];
    const platform = (await this.run(args)).stdout.trim();
    if (!/^[a-z0-9]+\/[a-z0-9]+$/.test(platform)) {
      throw new Error(`docker ${args.join(' ')} printed "${platform}"`);
    }
    return platform;
  }

  /** `docker context ls --format json`, in the CLI's order. */
  async list(): Promise<CliContextRow[]> {
    const out = (await this.run(['context', 'ls', '--format', 'json'])).stdout;
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as CliContextRow);
  }

  /** `docker context inspect NAME`, parsed: the CLI prints an array of one object. */
  async inspectRaw(name: string): Promise<unknown[]> {
    return JSON.parse((await this.run(['context', 'inspect', name])).stdout) as unknown[];
  }

  async inspect(name: string): Promise<CliInspected> {
    const [first] = (await this.inspectRaw(name)) as CliInspected[];
    if (!first) {
      throw new Error(`docker context inspect ${name} printed no context`);
    }
    return first;
  }

  /**
   * The regular expression the CLI names when it rejects `name` (`docker context create` fails
   * with `names are validated against regexp "…"`). Fails when the CLI accepts the name.
   */
  async rejectedNameRule(name: string): Promise<string> {
    const r = await this.run(['context', 'create', name, '--docker', 'host=ssh://rule-probe.invalid'], {
      allowFail: true,
    });
    if (r.code === 0) {
      await this.run(['context', 'rm', '-f', name]);
      throw new Error(`docker context create accepted the name "${name}"`);
    }
    const m = /regexp "([^"]+)"/.exec(r.stderr);
    if (!m?.[1]) {
      throw new Error(`no rule in the CLI's message: ${r.stderr.trim()}`);
    }
    return m[1];
  }
}
