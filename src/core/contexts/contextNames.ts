import * as path from 'node:path';
import { CoreError } from '../common/errors';
import { DEFAULT_CONTEXT_NAME } from './contextSummary';

/** Context names as the docker CLI checks them, and where its configuration folder is. */

/** The docker CLI's rule for context names (`store.ValidateContextName`), quoted as the CLI quotes it. */
export const CONTEXT_NAME_RULE = '^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$';
const NAME_PATTERN = new RegExp(CONTEXT_NAME_RULE);

/** $DOCKER_CONFIG if set and non-empty, else <home>/.docker (cli/config/config.go). */
export function dockerConfigDir(env: NodeJS.ProcessEnv, home: string): string {
  const dir = env.DOCKER_CONFIG;
  return dir ? dir : path.join(home, '.docker');
}

/** True when the CLI accepts `name` for a new context (valid and not `default`). */
export function isValidContextName(name: string): boolean {
  return name !== DEFAULT_CONTEXT_NAME && NAME_PATTERN.test(name);
}

/** `store.ValidateContextName` of the CLI, with its messages. */
export function validateContextName(name: string): void {
  if (name === '') {
    throw new CoreError('contextNameInvalid', 'context name cannot be empty', { name, rule: CONTEXT_NAME_RULE });
  }
  if (name === DEFAULT_CONTEXT_NAME) {
    throw new CoreError('contextNameReserved', `"${DEFAULT_CONTEXT_NAME}" is a reserved context name`, { name });
  }
  if (!NAME_PATTERN.test(name)) {
    throw new CoreError(
      'contextNameInvalid',
      `context name "${name}" is invalid, names are validated against regexp "${CONTEXT_NAME_RULE}"`,
      {
        name,
        rule: CONTEXT_NAME_RULE,
      },
    );
  }
}
