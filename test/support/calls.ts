import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'

/**
 * How many calls of each command (`BatchGetItemCommand`, `UpdateItemCommand`, ...) the
 * local server makes to DynamoDB while `request` runs: the work a request does, which
 * holds on any machine, where its wall-clock time does not.
 */
export async function callsDuring(
  app: { dynamo: DynamoDBClient },
  request: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const calls: Record<string, number> = {}
  app.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName)
      calls[name] = (calls[name] ?? 0) + 1
      return next(args)
    },
    { step: 'initialize', name: 'callsDuring' },
  )
  try {
    await request()
  } finally {
    app.dynamo.middlewareStack.remove('callsDuring')
  }
  return calls
}
