import { presentedCredential } from '../../auth/credentials.js'
import { claimServer, verifyEnrollmentToken } from '../../domain/servers.js'
import { unauthenticated } from '../../errors.js'
import type { AgentAuth } from '../../routes.js'
import type { Middleware } from '../event.js'

/**
 * Establishes `event.caller` on the agent routes: an enrollment token (one GetItem),
 * or a server's own token as a claim that the route's conditional write proves (no
 * call here). Either must be for the project (and server) in the path; every failure
 * is the same 401. Kept apart from user authentication so agent functions bundle no
 * JWT verification and no signing-key client.
 */
export function authenticateAgent(kind: AgentAuth): Middleware {
  return {
    name: 'authenticate',
    before: async ({ event }) => {
      const credential = presentedCredential(event)
      if (!credential) throw unauthenticated()
      const { team = '', project = '', serverId = '' } = event.pathParameters ?? {}
      event.caller =
        kind === 'enrollment'
          ? await verifyEnrollmentToken(credential, { team, project })
          : claimServer(credential, { team, project, serverId })
    },
  }
}
