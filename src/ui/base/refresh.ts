import type { Services } from '../services';

/** "Refresh": re-reads everything the views and the status bar show. */
export async function refresh(s: Services): Promise<void> {
  await s.refresh.request('all', 'command');
}
