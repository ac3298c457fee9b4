import { presentedCredential } from '../../auth/credentials.js'
import { verifyEnrollmentToken, verifyServerToken } from '../../domain/servers.js'
import type { AgentAuth } from '../../routes.js'
import { unauthenticated } from '../errors.js'
import type { Middleware } from '../event.js'

/**
 * Establishes `event.caller` on the agent routes: an enrollment token or a server's
 * own token (one GetItem each), which must be for the project (and server) in the
 * path. Every failure is the same 401, except a deleted server's genuine token, which
 * is told it was revoked. Kept apart from user authentication so agent functions
 * bundle no JWT verification and no signing-key client.
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
          : await verifyServerToken(credential, { team, project, serverId })
    },
  }
}
