/** Thrown when the user dismisses a prompt; the command wrapper stays silent for it. */
export class UserCancelledError extends Error {
  constructor(step?: string) {
    super(step ? `Cancelled at ${step}` : 'Cancelled');
    this.name = 'UserCancelledError';
  }
}

export function isUserCancelled(e: unknown): e is UserCancelledError {
  return e instanceof UserCancelledError;
}
