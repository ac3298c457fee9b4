import { listAudit } from '../../shared/domain/audit.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { listReply } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET /v1/teams/{team}/audit: a page of the team's audit trail (admins), newest first. */
export const handler = endpoint(routes.listAudit, async ({ params, query, http }) =>
  listReply(http.path, await listAudit(params.team, query), {
    type: query.type,
    actor: query.actor,
    since: query.since,
  }),
)
