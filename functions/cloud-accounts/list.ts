import { listProjectCloudAccounts } from '../../shared/domain/cloud-accounts.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { listReply } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** GET .../projects/{project}/cloud_accounts: a page, `Link` to the next. */
export const handler = endpoint(routes.listCloudAccounts, async ({ params, query, http }) =>
  listReply(http.path, await listProjectCloudAccounts(params.team, params.project, query)),
)
