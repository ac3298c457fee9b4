import { fromEnv } from '@aws-sdk/credential-provider-env'

/**
 * Substituted for `@aws-sdk/credential-provider-node` in Lambda bundles (see
 * infra/constructs/function.ts). Lambda always puts the execution role's
 * credentials in the environment, so the rest of the default chain (SSO, INI
 * files, IMDS, STS clients) is dead weight: ~100 KB of every bundle and its parse
 * time on every cold start. Locally the real chain is used.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init)
