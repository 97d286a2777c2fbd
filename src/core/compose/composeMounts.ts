/**
 * The host paths a compose file hands to the daemon, with where each is written: bind mounts in
 * short (`./src:/app:ro`) and long (`type: bind`, `source:`) syntax, and `build.context`. Read with
 * `yaml`'s document model, which keeps every node's offsets, so a diagnostic points at the source
 * text and a fix replaces exactly it.
 */
import * as path from 'node:path';
import type { Document, Node as YamlNode, Scalar, YAMLMap } from 'yaml';
import { interpolate, type Environment } from './interpolate';
import { loadYaml } from './loadYaml';

/** Where a piece of the file sits: offsets into the text. */
export interface Span {
  start: number;
  end: number;
}

export type MountKind = 'short' | 'long' | 'build' | 'devcontainer';

export interface HostMount {
  kind: MountKind;
  /** The service (compose) or property (devcontainer) it belongs to. */
  owner: string;
  /** The source as written, before interpolation. */
  written: string;
  /** After interpolation (still relative or with `~`). */
  source: string;
  /** The text to replace to change only the source. */
  span: Span;
  /**
   * True when `span` covers the whole scalar and the scalar's text is not the value as written
   * (quotes with escapes, folded lines): a fix must then re-write the whole scalar.
   */
  wholeScalar: boolean;
  /** For `short`: the scalar holding `SOURCE:TARGET[:MODE]`, and the value after the source. */
  scalar?: Span & { value: string; rest: string };
  /** For `long`: the `type: bind` scalar. */
  typeSpan?: Span;
  /** Variables used without a value or default. */
  unset: string[];
  /** For `build`: `build.dockerfile`, relative to the context. */
  dockerfile?: string;
  /** For `build`: the `build` key (where its CodeLens goes). */
  keySpan?: Span;
}

export interface ComposeRead {
  mounts: HostMount[];
  /** YAML errors (the mounts found before them are still given). */
  errors: string[];
  /** Names under the top-level `volumes:`. */
  volumes: string[];
}

/** Reads a compose file's host paths. `env` interpolates `${VAR}` (the caller merges `.env`). */
export function readComposeMounts(text: string, env: Environment): ComposeRead {
  const Y = loadYaml();
  const doc = Y.parseDocument(text, { keepSourceTokens: false, uniqueKeys: false });
  const errors = doc.errors.map((e) => e.message);
  const mounts: HostMount[] = [];
  const services = doc.get('services');
  if (Y.isMap(services)) {
    for (const pair of services.items) {
      const name = Y.isScalar(pair.key) ? String(pair.key.value) : '';
      if (Y.isMap(pair.value)) {
        readService(text, name, pair.value, env, mounts);
      }
    }
  }
  return { mounts, errors, volumes: topLevelVolumes(doc) };
}

function topLevelVolumes(doc: Document): string[] {
  const Y = loadYaml();
  const v = doc.get('volumes');
  return Y.isMap(v) ? v.items.map((p) => (Y.isScalar(p.key) ? String(p.key.value) : '')) : [];
}

function readService(text: string, service: string, node: YAMLMap, env: Environment, out: HostMount[]): void {
  const Y = loadYaml();
  const volumes = node.get('volumes', true);
  if (Y.isSeq(volumes)) {
    for (const item of volumes.items) {
      if (Y.isScalar(item) && typeof item.value === 'string') {
        const m = shortMount(text, service, item as Scalar<string>, env);
        if (m) {
          out.push(m);
        }
      } else if (Y.isMap(item)) {
        const type = item.get('type', true);
        const source = item.get('source', true);
        if (Y.isScalar(type) && type.value === 'bind' && Y.isScalar(source) && typeof source.value === 'string') {
          out.push({
            ...scalarMount(text, 'long', service, source as Scalar<string>, env),
            typeSpan: spanOf(type),
          });
        }
      }
    }
  }
  const buildPair = node.items.find((p) => Y.isScalar(p.key) && p.key.value === 'build');
  const keySpan = buildPair && Y.isScalar(buildPair.key) ? { keySpan: spanOf(buildPair.key) } : {};
  const build = buildPair?.value;
  if (Y.isScalar(build) && typeof build.value === 'string') {
    pushBuild({ ...scalarMount(text, 'build', service, build as Scalar<string>, env), ...keySpan }, out);
  } else if (Y.isMap(build)) {
    const context = build.get('context', true);
    const dockerfile = build.get('dockerfile');
    const file = typeof dockerfile === 'string' ? { dockerfile: interpolate(dockerfile, env).value } : {};
    if (Y.isScalar(context) && typeof context.value === 'string') {
      pushBuild({ ...scalarMount(text, 'build', service, context as Scalar<string>, env), ...file, ...keySpan }, out);
    } else if (context === undefined && keySpan.keySpan) {
      // No context: Compose uses the compose file's folder.
      const span = keySpan.keySpan;
      out.push({
        kind: 'build',
        owner: service,
        written: '.',
        source: '.',
        span,
        wholeScalar: true,
        unset: [],
        ...file,
        ...keySpan,
      });
    }
  }
}

/** A git URL or a remote tarball is fetched by the builder, not read from a path. */
function pushBuild(m: HostMount, out: HostMount[]): void {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(m.source) && !m.source.startsWith('git@')) {
    out.push(m);
  }
}

function spanOf(n: YamlNode): Span {
  const r = n.range ?? [0, 0, 0];
  return { start: r[0], end: r[1] };
}

/** Where the scalar's value is written verbatim in the text, or undefined (escapes, folding). */
function verbatimStart(text: string, n: Scalar): number | undefined {
  const { start, end } = spanOf(n);
  const raw = text.slice(start, end);
  const value = String(n.value);
  if (n.type === 'PLAIN' && raw === value) {
    return start;
  }
  if ((n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE') && raw.slice(1, -1) === value) {
    return start + 1;
  }
  return undefined;
}

function scalarMount(text: string, kind: MountKind, owner: string, n: Scalar<string>, env: Environment): HostMount {
  const at = verbatimStart(text, n);
  const { value, unset } = interpolate(n.value, env);
  return {
    kind,
    owner,
    written: n.value,
    source: value,
    span: at === undefined ? spanOf(n) : { start: at, end: at + n.value.length },
    wholeScalar: at === undefined,
    unset,
  };
}

/** `SOURCE:TARGET[:MODE]` with a host path as SOURCE; a named or anonymous volume gives undefined. */
function shortMount(text: string, owner: string, n: Scalar<string>, env: Environment): HostMount | undefined {
  const written = n.value;
  const colon = sourceEnd(written);
  if (colon < 0) {
    return undefined;
  }
  const sourceText = written.slice(0, colon);
  const { value, unset } = interpolate(sourceText, env);
  if (!isHostPath(value)) {
    return undefined;
  }
  const at = verbatimStart(text, n);
  const whole = spanOf(n);
  return {
    kind: 'short',
    owner,
    written: sourceText,
    source: value,
    span: at === undefined ? whole : { start: at, end: at + sourceText.length },
    wholeScalar: at === undefined,
    scalar: { ...whole, value: written, rest: written.slice(colon) },
    unset,
  };
}

/** The colon ending SOURCE: not one inside `${…}`, not a Windows drive's. */
function sourceEnd(s: string): number {
  let depth = 0;
  const from = /^[A-Za-z]:[\\/]/.test(s) ? 2 : 0;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}' && depth > 0) {
      depth--;
    } else if (s[i] === ':' && depth === 0) {
      return i;
    }
  }
  return -1;
}

/** Compose's rule: a source starting with `.`, `/` or `~` (or a drive letter) is a path; else a volume name. */
export function isHostPath(source: string): boolean {
  return /^[./~]/.test(source) || /^[A-Za-z]:[\\/]/.test(source) || source.startsWith('\\\\');
}

/** The absolute path on this machine that Compose sends to the daemon. */
export function hostPathOf(source: string, baseDir: string, home: string): string {
  if (source === '~' || source.startsWith('~/')) {
    return path.join(home, source.slice(1));
  }
  return path.resolve(baseDir, source);
}
