/**
 * Which daemon a context's answers belong to. The same name with another endpoint (or another
 * TLS choice) is another daemon, so all three are the key. Keys travel as objects; `keyId` is
 * only a map key and is never taken apart again.
 */
export interface EngineKey {
  readonly name: string;
  readonly endpoint: string;
  readonly skipTLSVerify: boolean;
}

export function engineKey(c: { name: string; endpoint: string; skipTLSVerify?: boolean }): EngineKey {
  return { name: c.name, endpoint: c.endpoint, skipTLSVerify: !!c.skipTLSVerify };
}

/** A string for maps and sets, unique per key (JSON, so no separator can occur in a field). */
export function keyId(k: EngineKey): string {
  return JSON.stringify([k.name, k.endpoint, k.skipTLSVerify]);
}

export function sameKey(a: EngineKey | undefined, b: EngineKey | undefined): boolean {
  return (
    a === b || (!!a && !!b && a.name === b.name && a.endpoint === b.endpoint && a.skipTLSVerify === b.skipTLSVerify)
  );
}
