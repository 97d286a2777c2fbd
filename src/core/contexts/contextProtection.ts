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
