import { presentedCredential } from '../../auth/credentials.js'
import { claimEnrollmentToken, claimServer } from '../../domain/servers.js'
import { unauthenticated } from '../../errors.js'
import type { AgentAuth } from '../../routes.js'
import type { LatchkeyEvent, Middleware } from '../event.js'
import { MAX_BODY_BYTES } from './parse-body.js'

/**
 * Whether an enrollment without a credential offers a signed AWS identity instead
 * (an `aws_iam` object in its JSON body). Anything else without a credential stays
 * the plain 401, whatever the body, as before secretless enrollment.
 */
function offersAwsIdentity(event: LatchkeyEvent): boolean {
  // Larger bodies are refused anyway; don't parse them to find out.
  if (!event.body || event.body.length > MAX_BODY_BYTES * 2) return false
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body
    const body: unknown = JSON.parse(text)
    const proof = (body as { aws_iam?: unknown } | null)?.aws_iam
    return typeof proof === 'object' && proof !== null
  } catch {
    return false
  }
}

/**
 * Establishes `event.caller` on the agent routes, with no call: an enrollment token
 * or a server's own token as a claim that the route's conditional write proves, or
 * a claim to a signed AWS identity in the body (proved by the route, before any
 * write). Either must be for the project (and server) in the path;
 * every failure is the same 401. Kept apart from user authentication so agent
 * functions bundle no JWT verification and no signing-key client.
 */
export function authenticateAgent(kind: AgentAuth): Middleware {
  return {
    name: 'authenticate',
    before: async ({ event }) => {
      const credential = presentedCredential(event)
      const { team = '', project = '', serverId = '' } = event.pathParameters ?? {}
      // Only when no credential at all is presented: a malformed one is a failed one.
      if (credential === undefined && kind === 'enrollment' && offersAwsIdentity(event)) {
        event.caller = { kind: 'aws_iam', team, project }
        return
      }
      if (!credential) throw unauthenticated()
      event.caller =
        kind === 'enrollment'
          ? claimEnrollmentToken(credential, { team, project })
          : claimServer(credential, { team, project, serverId })
    },
  }
}
