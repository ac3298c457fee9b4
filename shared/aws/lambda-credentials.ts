import { fromEnv } from '@aws-sdk/credential-provider-env'

/**
 * Substituted for `@aws-sdk/credential-provider-node` wherever the SDK is bundled (see
 * infra/constructs/bundling.ts): since every function speaks AWS through shared/aws's
 * lean clients, that is only the bench's SDK floors. Lambda always puts the execution
 * role's credentials in the environment, so the rest of the default chain (SSO, INI
 * files, IMDS, STS clients) is dead weight: ~100 KB of every bundle and its parse
 * time on every cold start. Locally the real chain is used.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init)
