import { compareGoKeys, encodeGo, foldEquals, goMapMembers, goQuote } from './goJson';
import { type ContextProtection, METADATA_KEY, protectionFromValue } from './contextProtection';
import { type JsonMember, type JsonNode, type JsonObject, toPlain } from './jsonDocument';

/**
 * One context's meta.json as the docker CLI reads it (cli/context/store metadatastore.go and
 * cli/command/context.go), plus everything the CLI would drop, so that a rewrite loses nothing.
 */
export interface ContextMeta {
  /** `Name`; '' when absent. */
  name: string;
  /** `Metadata`; undefined when absent or null (the CLI then omits it). */
  metadata: { description: string; extras: JsonMember[] } | undefined;
  /** `Endpoints.docker`: undefined when absent, null when written as null. */
  docker: DockerEndpointMeta | null | undefined;
  /** Every other endpoint, untyped as the CLI keeps them. */
  otherEndpoints: Map<string, JsonNode>;
  /** Top-level keys the CLI does not know (it drops them on write; we keep them). */
  topExtras: JsonMember[];
}

export interface DockerEndpointMeta {
  host: string;
  skipTLSVerify: boolean;
  /** Keys beside Host and SkipTLSVerify (the CLI drops them on write; we keep them). */
  extras: JsonMember[];
}

/** meta.json is valid JSON but not something the CLI can load. */
export class MetaShapeError extends Error {}

export const DOCKER_ENDPOINT = 'docker';

/**
 * Interprets a parsed meta.json with Go's decoding rules: the top-level and endpoint field names
 * match case-insensitively and the last occurrence wins; `Metadata` keys are map keys (exact);
 * a type the CLI cannot decode is a MetaShapeError (the CLI fails `docker context ls` on it).
 */
export function interpretMeta(root: JsonNode): ContextMeta {
  const meta: ContextMeta = {
    name: '',
    metadata: undefined,
    docker: undefined,
    otherEndpoints: new Map(),
    topExtras: [],
  };
  if (root.type === 'null') {
    return meta;
  }
  if (root.type !== 'object') {
    throw new MetaShapeError(`meta.json holds a JSON ${root.type}, not an object`);
  }
  let metadataNode: JsonNode | undefined;
  let endpoints: Map<string, JsonNode> | undefined;
  for (const m of root.members) {
    if (foldEquals(m.key, 'Name')) {
      if (m.value.type === 'string') {
        meta.name = m.value.value;
      } else if (m.value.type !== 'null') {
        throw new MetaShapeError(`"Name" is a JSON ${m.value.type}, not a string`);
      }
    } else if (foldEquals(m.key, 'Metadata')) {
      metadataNode = m.value.type === 'null' ? undefined : m.value;
    } else if (foldEquals(m.key, 'Endpoints')) {
      if (m.value.type === 'null') {
        endpoints = undefined;
      } else if (m.value.type === 'object') {
        // Go decodes a repeated map field into the same map, so the members accumulate.
        endpoints ??= new Map();
        for (const e of m.value.members) {
          endpoints.set(e.key, e.value);
        }
      } else {
        throw new MetaShapeError(`"Endpoints" is a JSON ${m.value.type}, not an object`);
      }
    } else {
      meta.topExtras.push(m);
    }
  }
  if (metadataNode) {
    if (metadataNode.type !== 'object') {
      throw new MetaShapeError('context metadata is not a valid DockerContext');
    }
    const md = { description: '', extras: [] as JsonMember[] };
    for (const m of goMapMembers(metadataNode.members)) {
      if (m.key === 'Description') {
        if (m.value.type !== 'string') {
          throw new MetaShapeError(`"Metadata.Description" is a JSON ${m.value.type}, not a string`);
        }
        md.description = m.value.value;
      } else {
        md.extras.push(m);
      }
    }
    meta.metadata = md;
  }
  for (const [key, node] of endpoints ?? []) {
    if (node.type !== 'object' && node.type !== 'null') {
      throw new MetaShapeError(`endpoint "${key}" is a JSON ${node.type}, not an object`);
    }
    if (key === DOCKER_ENDPOINT) {
      meta.docker = node.type === 'null' ? null : interpretDockerEndpoint(node);
    } else {
      meta.otherEndpoints.set(key, node);
    }
  }
  return meta;
}

function interpretDockerEndpoint(node: JsonObject): DockerEndpointMeta {
  const ep: DockerEndpointMeta = { host: '', skipTLSVerify: false, extras: [] };
  for (const m of node.members) {
    if (foldEquals(m.key, 'Host')) {
      if (m.value.type === 'string') {
        ep.host = m.value.value;
      } else if (m.value.type !== 'null') {
        throw new MetaShapeError(`"Endpoints.docker.Host" is a JSON ${m.value.type}, not a string`);
      }
    } else if (foldEquals(m.key, 'SkipTLSVerify')) {
      if (m.value.type === 'boolean') {
        ep.skipTLSVerify = m.value.value;
      } else if (m.value.type !== 'null') {
        throw new MetaShapeError(`"Endpoints.docker.SkipTLSVerify" is a JSON ${m.value.type}, not a boolean`);
      }
    } else {
      ep.extras.push(m);
    }
  }
  return ep;
}

/** What a listing needs from meta.json. */
export interface MetaSummary {
  name: string;
  description: string;
  /** undefined when there is no docker endpoint. */
  docker: { host: string; skipTLSVerify: boolean } | undefined;
  /** Marked protected in this extension's `Metadata` key. */
  protection?: ContextProtection;
}

const CANONICAL_TOP = new Set(['Name', 'Metadata', 'Endpoints']);

/**
 * A fast path for listing: the summary of a meta.json in exactly the shape the CLI writes
 * (canonical key casing, the expected types), read with JSON.parse, which allocates far less than
 * the lossless reader. For anything else — other casings, unknown keys, wrong types, invalid JSON —
 * it returns undefined and the caller uses `interpretMeta`, so on every input it accepts, both
 * agree (duplicate keys: JSON.parse and Go both keep the last).
 */
export function summarizeCanonicalMeta(text: string): MetaSummary | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(o)) {
    return undefined;
  }
  for (const k in o) {
    if (!CANONICAL_TOP.has(k)) {
      return undefined;
    }
  }
  const { Name: name, Metadata: md, Endpoints: eps } = o;
  if (typeof name !== 'string' || name === '') {
    return undefined;
  }
  let description = '';
  let protection: ContextProtection | undefined;
  if (md !== undefined && md !== null) {
    if (!isPlainObject(md)) {
      return undefined;
    }
    const d = md.Description;
    if (d !== undefined && typeof d !== 'string') {
      return undefined;
    }
    description = d ?? '';
    protection = protectionFromValue(md[METADATA_KEY]);
  }
  let docker: MetaSummary['docker'];
  if (eps !== undefined && eps !== null) {
    if (!isPlainObject(eps)) {
      return undefined;
    }
    for (const k in eps) {
      if (!isPlainObject(eps[k])) {
        return undefined;
      }
    }
    const ep = eps[DOCKER_ENDPOINT];
    if (isPlainObject(ep)) {
      for (const k in ep) {
        if (k !== 'Host' && k !== 'SkipTLSVerify') {
          return undefined;
        }
      }
      const host = ep.Host ?? '';
      const skip = ep.SkipTLSVerify ?? false;
      if (typeof host !== 'string' || typeof skip !== 'boolean') {
        return undefined;
      }
      docker = { host, skipTLSVerify: skip };
    }
  }
  return { name, description, docker, ...(protection ? { protection } : {}) };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A new context exactly as `docker context create NAME --docker host=HOST [--description D]` writes it. */
export function newContextMeta(name: string, host: string, description: string): ContextMeta {
  return {
    name,
    metadata: { description, extras: [] },
    docker: { host, skipTLSVerify: false, extras: [] },
    otherEndpoints: new Map(),
    topExtras: [],
  };
}

/**
 * The bytes of meta.json, as the CLI's `json.Marshal(&store.Metadata{…})` writes them (field
 * order Name, Metadata, Endpoints; map keys sorted; no newline), followed by the keys the CLI
 * would have dropped. Without such keys the result is byte-identical to the CLI's.
 */
export function encodeContextMeta(meta: ContextMeta): string {
  const parts: string[] = [];
  if (meta.name !== '') {
    parts.push('"Name":' + goQuote(meta.name));
  }
  if (meta.metadata) {
    parts.push('"Metadata":' + encodeMembers(metadataMembers(meta.metadata)));
  }
  const endpoints = encodeEndpoints(meta);
  if (endpoints) {
    parts.push('"Endpoints":' + endpoints);
  }
  for (const m of goMapMembers(meta.topExtras)) {
    parts.push(goQuote(m.key) + ':' + encodeGo(m.value));
  }
  return '{' + parts.join(',') + '}';
}

function metadataMembers(md: { description: string; extras: JsonMember[] }): JsonMember[] {
  const members = md.extras.slice();
  if (md.description !== '') {
    members.push({
      key: 'Description',
      keyStart: -1,
      keyEnd: -1,
      value: { type: 'string', value: md.description, start: -1, end: -1 },
    });
  }
  return goMapMembers(members);
}

function encodeMembers(members: JsonMember[]): string {
  return '{' + members.map((m) => goQuote(m.key) + ':' + encodeGo(m.value)).join(',') + '}';
}

function encodeEndpoints(meta: ContextMeta): string | undefined {
  const entries: [string, string][] = [];
  for (const [key, node] of meta.otherEndpoints) {
    entries.push([key, encodeGo(node)]);
  }
  if (meta.docker !== undefined) {
    entries.push([DOCKER_ENDPOINT, meta.docker === null ? 'null' : encodeDockerEndpoint(meta.docker)]);
  }
  if (entries.length === 0) {
    return undefined; // `json:",omitempty"` on the map
  }
  entries.sort((a, b) => compareGoKeys(a[0], b[0]));
  return '{' + entries.map(([k, v]) => goQuote(k) + ':' + v).join(',') + '}';
}

function encodeDockerEndpoint(ep: DockerEndpointMeta): string {
  let out = '{';
  if (ep.host !== '') {
    out += '"Host":' + goQuote(ep.host) + ',';
  }
  out += '"SkipTLSVerify":' + (ep.skipTLSVerify ? 'true' : 'false');
  for (const m of goMapMembers(ep.extras)) {
    out += ',' + goQuote(m.key) + ':' + encodeGo(m.value);
  }
  return out + '}';
}

/**
 * The `Name`, `Metadata` and `Endpoints` part of `docker context inspect` for this context, as
 * plain values: the CLI shows its typed view, so the docker endpoint has only Host (omitted when
 * empty) and SkipTLSVerify, and the description only when non-empty.
 */
export function inspectFields(meta: ContextMeta): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (meta.name !== '') {
    out.Name = meta.name;
  }
  if (meta.metadata) {
    const md: Record<string, unknown> = {};
    for (const m of metadataMembers(meta.metadata)) {
      md[m.key] = toPlain(m.value);
    }
    out.Metadata = md;
  }
  const keys = [...meta.otherEndpoints.keys()];
  if (meta.docker !== undefined) {
    keys.push(DOCKER_ENDPOINT);
  }
  if (keys.length > 0) {
    const eps: Record<string, unknown> = {};
    for (const key of keys.sort(compareGoKeys)) {
      if (key === DOCKER_ENDPOINT) {
        const d = meta.docker;
        eps[key] = d ? { ...(d.host !== '' ? { Host: d.host } : {}), SkipTLSVerify: d.skipTLSVerify } : null;
      } else {
        eps[key] = toPlain(meta.otherEndpoints.get(key) as JsonNode);
      }
    }
    out.Endpoints = eps;
  }
  return out;
}

/** The protection a loaded meta.json says. */
export function metaProtection(meta: ContextMeta): ContextProtection | undefined {
  const m = goMapMembers(meta.metadata?.extras ?? []).find((x) => x.key === METADATA_KEY);
  return m ? protectionFromValue(toPlain(m.value)) : undefined;
}
