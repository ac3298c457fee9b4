import type { UserCaller } from '../auth/caller.js'
import {
  type CloudAccountRecord,
  deleteCloudAccount,
  listCloudAccounts,
  putCloudAccount,
} from '../data/cloud-accounts.js'
import { ranges } from '../data/keys.js'
import { invalidRequest, notFound } from '../errors.js'
import type { CloudAccount } from '../schemas/views.js'
import { uuidV7 } from '../tokens/uuid.js'
import type { Page, PageQuery } from './pagination.js'
import { projectChildrenPage } from './projects.js'

/** Who acts: a user of the team, or the admin CLI (`cli`). */
type Actor = Pick<UserCaller, 'team' | 'username'>

export interface CloudAccountRequest {
  provider: 'aws'
  account_id: string
  role_arns?: string[]
  description?: string
}

export const cloudAccountView = (account: CloudAccountRecord): CloudAccount => ({
  id: account.id,
  provider: account.provider,
  account_id: account.accountId,
  role_arns: account.roleArns,
  description: account.description,
  created_at: account.createdAt,
})

/**
 * The role name (or name prefix, ending in `*`) an ARN pattern stands for. STS names
 * an instance's role without its path (`assumed-role/<name>/<session>`), and role
 * names are unique in an account whatever their path, so the name is what matches.
 */
const roleNameOf = (pattern: string) => pattern.slice(pattern.lastIndexOf('/') + 1)

/** Registers an AWS account (optionally limited to roles) whose machines may enroll. */
export async function addCloudAccount(
  caller: Actor,
  project: string,
  request: CloudAccountRequest,
  now = new Date(),
): Promise<CloudAccount> {
  const roleArns = request.role_arns ?? []
  const errors = roleArns.flatMap((arn, index) => {
    const field = `role_arns.${index}`
    if (arn.split(':')[4] !== request.account_id)
      return [{ description: field, message: 'names another account than account_id' }]
    // `role/path/*` would admit every role: STS does not say which path a role has.
    if (roleNameOf(arn) === '*' || roleNameOf(arn) === '')
      return [{ description: field, message: 'must name a role or a role-name prefix' }]
    return []
  })
  if (errors.length > 0) throw invalidRequest('Some role ARNs are not usable.', errors)
  const account: CloudAccountRecord = {
    team: caller.team,
    project,
    id: uuidV7(now.getTime()),
    provider: request.provider,
    accountId: request.account_id,
    roleArns,
    description: request.description ?? null,
    createdAt: now.toISOString(),
    createdBy: caller.username,
  }
  if (!(await putCloudAccount(account))) throw notFound('The project')
  return cloudAccountView(account)
}

export const listProjectCloudAccounts = (
  team: string,
  project: string,
  query: PageQuery,
): Promise<Page<CloudAccount>> =>
  projectChildrenPage(
    team,
    project,
    ranges.cloudAccounts(team, project),
    query,
    (count, after) => listCloudAccounts(team, project, count, after),
    cloudAccountView,
  )

export async function removeCloudAccount(
  caller: Actor,
  project: string,
  id: string,
  now = new Date(),
) {
  if (!(await deleteCloudAccount(caller.team, project, id, caller.username, now.toISOString())))
    throw notFound('The cloud account')
}

/** Who STS says signed: the account, and for a role session its role and session name. */
export interface AwsIdentity {
  account: string
  arn: string
  role?: string
  session?: string
}

const ASSUMED_ROLE =
  /^arn:aws:sts::([0-9]{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/

export function awsIdentity(account: string, arn: string): AwsIdentity {
  const [, arnAccount, role, session] = ASSUMED_ROLE.exec(arn) ?? []
  return arnAccount === account ? { account, arn, role, session } : { account, arn }
}

/** Whether a registered account admits this identity: its account, and a listed role if any. */
export function admits(account: CloudAccountRecord, identity: AwsIdentity): boolean {
  if (account.provider !== 'aws' || account.accountId !== identity.account) return false
  if (account.roleArns.length === 0) return true
  const role = identity.role
  if (!role) return false
  return account.roleArns.some((pattern) => {
    const name = roleNameOf(pattern)
    return name.endsWith('*') ? role.startsWith(name.slice(0, -1)) : role === name
  })
}
