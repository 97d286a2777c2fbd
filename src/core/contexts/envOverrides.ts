/** DOCKER_HOST / DOCKER_CONTEXT as set in the extension host (and so in the terminals it opens). */
export interface EnvOverrides {
  dockerHost?: string;
  dockerContext?: string;
}

/** The override variables of `env`; an empty value counts as unset, as it does for the docker CLI. */
export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvOverrides {
  return {
    dockerHost: env.DOCKER_HOST || undefined,
    dockerContext: env.DOCKER_CONTEXT || undefined,
  };
}
