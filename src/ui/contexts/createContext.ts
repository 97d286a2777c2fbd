import type { Services } from '../services';
import { createContextFlow, type CreateContextPrefill } from '../flows/createContextFlow';

function asPrefill(arg: unknown): CreateContextPrefill {
  if (typeof arg !== 'object' || arg === null || (arg as { kind?: unknown }).kind !== undefined) {
    return {}; // nothing, or a tree node from a menu: no prefill
  }
  const a = arg as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return { name: str(a.name), endpoint: str(a.endpoint), description: str(a.description) };
}

/** "Create Docker Context…" from the palette, the view's title bar, or a script with prefilled values. */
export async function createContext(s: Services, arg?: unknown): Promise<void> {
  await createContextFlow(s, asPrefill(arg));
}
