import { table } from './client.js'
import { projectOpen } from './enrollment-tokens.js'
import { CloudAccount } from './entities.js'
import type { RecordOf } from './entity.js'
import { keys, ranges } from './keys.js'
import { readRange } from './page.js'
import { putTombstone } from './tombstones.js'
import { type TransactItem, transact } from './transact.js'

/** A cloud account whose machines may enroll into a project by proving their identity. */
export type CloudAccountRecord = RecordOf<typeof CloudAccount.attributes>

/** Registers a cloud account in an open project; false when the project is missing or closing. */
export async function putCloudAccount(account: CloudAccountRecord): Promise<boolean> {
  const refused = await transact([
    projectOpen(account.team, account.project),
    {
      Put: {
        TableName: table(),
        Item: CloudAccount.item(account),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  ])
  return !refused
}

/** One page of a project's cloud accounts, oldest first (ids are UUID v7). */
export async function listCloudAccounts(
  team: string,
  project: string,
  count: number,
  after?: string,
) {
  const { items, last } = await readRange(ranges.cloudAccounts(team, project), count, after)
  return { items: items.map(CloudAccount.decode), last }
}

/** Every cloud account of a project: one Query in practice (a project has a handful). */
export async function allCloudAccounts(team: string, project: string) {
  const all: CloudAccountRecord[] = []
  let after: string | undefined
  do {
    const page = await listCloudAccounts(team, project, 1000, after)
    all.push(...page.items)
    after = page.last
  } while (after)
  return all
}

/** Removes a cloud account and records who did; false when there was none. */
export async function deleteCloudAccount(
  team: string,
  project: string,
  id: string,
  deletedBy: string,
  deletedAt: string,
): Promise<boolean> {
  const key = keys.cloudAccount(team, project, id)
  const refused = await transact([
    {
      Delete: { TableName: table(), Key: key, ConditionExpression: 'attribute_exists(PK)' },
    },
    putTombstone(key, { entity: 'CloudAccount', team, project, id, deletedBy, deletedAt }),
    projectOpen(team, project), // an account of a project being deleted is gone already
  ])
  return !refused
}

/** In an enrollment's transaction: the account that admitted the server is still registered. */
export const cloudAccountStillThere = (account: CloudAccountRecord): TransactItem => ({
  ConditionCheck: {
    TableName: table(),
    Key: keys.cloudAccount(account.team, account.project, account.id),
    ConditionExpression: 'attribute_exists(PK)',
  },
})
