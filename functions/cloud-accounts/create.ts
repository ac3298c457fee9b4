import { addCloudAccount } from '../../shared/domain/cloud-accounts.js'
import { endpoint } from '../../shared/http/endpoint.js'
import * as routes from '../../shared/routes.js'

/** POST .../projects/{project}/cloud_accounts: 201; its machines may now enroll by identity. */
export const handler = endpoint(routes.createCloudAccount, async ({ caller, params, body }) => ({
  status: 201,
  body: await addCloudAccount(caller, params.project, body),
}))
