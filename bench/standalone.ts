/**
 * What the standalone bench scripts (revocation.ts, project-delete.ts) share: the app on
 * DynamoDB Local (or `DYNAMODB_ENDPOINT`) without a stream, so the script drives the
 * deletes behind a request itself, and a count of the service's calls per command.
 */
const { launchDynamoDbLocal } = await import('../local/dynamodb.js')
const { startApp } = await import('../local/harness.js')

export async function startStandalone() {
  const external = process.env.DYNAMODB_ENDPOINT
  const dynamodb = external ? undefined : await launchDynamoDbLocal()
  const app = await startApp({ endpoint: external ?? dynamodb?.endpoint ?? '', stream: false })

  /** Calls per command while `task` runs. */
  async function counting<T>(task: () => Promise<T>): Promise<[T, Record<string, number>]> {
    const calls: Record<string, number> = {}
    app.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName).replace(/Command$/, '')
        calls[name] = (calls[name] ?? 0) + 1
        return next(args)
      },
      { step: 'initialize', name: 'benchCount' },
    )
    try {
      return [await task(), calls]
    } finally {
      app.dynamo.middlewareStack.remove('benchCount')
    }
  }

  const close = async () => {
    await app.close()
    await dynamodb?.stop()
  }
  return { app, counting, close }
}
