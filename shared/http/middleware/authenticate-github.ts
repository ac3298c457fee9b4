import { config } from '../../context.js'
import { verifyGitHubSignature } from '../../domain/secret-scanning.js'
import type { Middleware } from '../event.js'

/**
 * Establishes `event.caller` on the secret-scanning route: GitHub's signature
 * (`Github-Public-Key-Identifier`, `Github-Public-Key-Signature`) over the raw body
 * bytes, as they arrived, before anything parses them. No call to the table; any
 * failure is the same 401, and nothing after it runs.
 */
export function authenticateGitHub(): Middleware {
  return {
    name: 'authenticate',
    before: ({ event }) => {
      // Read and checked with the rest of the configuration at cold start (context()).
      const { secretScanningKeys } = config()
      const raw = event.body ?? ''
      const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8')
      event.caller = verifyGitHubSignature(
        body,
        event.headers?.['github-public-key-identifier'],
        event.headers?.['github-public-key-signature'],
        secretScanningKeys,
      )
    },
  }
}
