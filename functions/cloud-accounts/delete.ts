import { removeCloudAccount } from '../../shared/domain/cloud-accounts.js'
import { endpoint } from '../../shared/http/endpoint.js'
import { noContent } from '../../shared/http/response.js'
import * as routes from '../../shared/routes.js'

/** DELETE .../cloud_accounts/{id}: 204; servers it admitted stay enrolled. */
export const handler = endpoint(routes.deleteCloudAccount, async ({ caller, params }) => {
  await removeCloudAccount(caller, params.project, params.cloudAccountId)
  return noContent
})
