import type { ContextMeta } from './contextMeta';
import { goMapMembers } from './goJson';
import { type JsonMember, type JsonNode, toPlain } from './jsonDocument';

/**
 * "Protected" is a fact about a context, not about this editor: it lives in the context's own
 * meta.json, in `Metadata` under a key of this extension, so it travels with
 * `docker context export`/`import` and survives `docker context update` (the CLI keeps unknown
 * `Metadata` fields). The stored shape is `"remoteDocker": {"protected": true, "color": "red"}`;
 * other members of that object, should a later version add some, are kept.
 */

/** The `Metadata` key this extension owns. */
export const METADATA_KEY = 'remoteDocker';

/** Colours a protected context may carry (the UI maps each to a theme colour). */
export const PROTECTION_COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'] as const;
export type ProtectionColor = (typeof PROTECTION_COLORS)[number];

export interface ContextProtection {
  /** Undefined: protected, no colour chosen (or one this version does not know). */
  color?: ProtectionColor;
}

function isColor(v: unknown): v is ProtectionColor {
  return typeof v === 'string' && (PROTECTION_COLORS as readonly string[]).includes(v);
}

/** The protection a plain `Metadata[METADATA_KEY]` value says, or undefined when it says none. */
export function protectionFromValue(value: unknown): ContextProtection | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  const o = value as Record<string, unknown>;
  if (o.protected !== true) {
    return undefined;
  }
  return isColor(o.color) ? { color: o.color } : {};
}

/** The protection a loaded meta.json says. */
export function metaProtection(meta: ContextMeta): ContextProtection | undefined {
  const m = goMapMembers(meta.metadata?.extras ?? []).find((x) => x.key === METADATA_KEY);
  return m ? protectionFromValue(toPlain(m.value)) : undefined;
}

function member(key: string, value: JsonNode): JsonMember {
  return { key, keyStart: -1, keyEnd: -1, value };
}

/**
 * The same meta.json with the protection set (or removed when `p` is undefined). Only
 * `protected` and `color` of this extension's key change; an object left empty is removed, and
 * a context that had no `Metadata` gets one only when it becomes protected.
 */
export function withProtection(meta: ContextMeta, p: ContextProtection | undefined): ContextMeta {
  const md = meta.metadata;
  const extras = md?.extras ?? [];
  // Go decodes a map: the last of repeated keys is the one the CLI sees.
  const existing = goMapMembers(extras).find((m) => m.key === METADATA_KEY);
  const kept =
    existing?.value.type === 'object'
      ? goMapMembers(existing.value.members).filter((m) => m.key !== 'protected' && m.key !== 'color')
      : [];
  const ours: JsonMember[] = [...kept];
  if (p) {
    ours.push(member('protected', { type: 'boolean', value: true, start: -1, end: -1 }));
    if (p.color) {
      ours.push(member('color', { type: 'string', value: p.color, start: -1, end: -1 }));
    }
  }
  const others = extras.filter((m) => m.key !== METADATA_KEY);
  if (ours.length > 0) {
    others.push(member(METADATA_KEY, { type: 'object', members: ours, start: -1, end: -1 }));
  }
  if (!md && others.length === 0) {
    return meta;
  }
  return { ...meta, metadata: { description: md?.description ?? '', extras: others } };
}
