import { AsyncLocalStorage } from 'node:async_hooks'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { TableAction } from '../shared/routes.js'
import { recordRouteUse } from './record.js'

/**
 * Local IAM emulation: while the local server runs a route's handler, every DynamoDB
 * call is checked against the actions that route is granted on AWS (the route table,
 * which the CDK stack reads too). A call outside the grant fails as it would on
 * Lambda, with AccessDeniedException, so a missing grant shows up in `npm start` and
 * in the integration tests instead of after a deploy.
 */
const granted = new AsyncLocalStorage<{ actions: ReadonlySet<string>; route?: string }>()

/** Runs `run` with a route's grants; `route` (its `METHOD path`) names it in recorded uses. */
export const withGrants = <T>(actions: readonly TableAction[], run: () => T, route?: string): T =>
  granted.run({ actions: new Set(actions), route }, run)

const TRANSACT_ACTIONS: Record<string, TableAction> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
}

/** The IAM actions a command needs: a transaction needs those of each of its items. */
function actionsOf(command: string, input: unknown): string[] {
  const name = command.replace(/Command$/, '')
  if (name === 'Query' && (input as { IndexName?: string }).IndexName) return ['QueryIndex']
  if (name !== 'TransactWriteItems') return [name]
  const items = (input as { TransactItems?: Record<string, unknown>[] }).TransactItems ?? []
  return items.flatMap((item) => Object.keys(item).map((kind) => TRANSACT_ACTIONS[kind] ?? kind))
}

export function enforceGrants(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const store = granted.getStore()
      if (store) {
        for (const action of actionsOf(String(context.commandName), args.input)) {
          if (!store.actions.has(action))
            throw Object.assign(
              new Error(
                `not authorized to perform dynamodb:${action} (local IAM emulation: add it to the route's table actions)`,
              ),
              { name: 'AccessDeniedException' },
            )
          if (store.route) recordRouteUse({ route: store.route, action })
        }
      }
      return next(args)
    },
    { step: 'initialize', name: 'localIamEmulation' },
  )
}
