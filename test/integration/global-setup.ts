import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { launchDynamoDbLocal } from '../../local/dynamodb.js'
import { readRouteUses, unprovedRouteClaims } from '../support/route-use.js'

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string
    /** Where the integration tier's local servers record route uses (test/integration/setup.ts). */
    routeRecord: string
  }
}

/**
 * One in-memory DynamoDB Local for the whole run; each test file uses its own table.
 * The local servers of every test file record what each route did (local/record.ts);
 * after a run of the whole tier, the teardown fails it when a route's grant lists a
 * table action no test made it use, or the route declares a status no test produced.
 * A partial run (some files, or `-t`) can't prove that, so it skips the check.
 */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const dynamodb = await launchDynamoDbLocal()
  project.provide('dynamoEndpoint', dynamodb.endpoint)
  // The fuzz tier shares this setup: only the integration tier records and is checked.
  if (project.name !== 'integration') return () => dynamodb.stop()
  const recordDir = await mkdtemp(join(tmpdir(), 'latchkey-route-uses-'))
  const recordFile = join(recordDir, 'uses.jsonl')
  project.provide('routeRecord', recordFile)
  return async () => {
    await dynamodb.stop()
    try {
      const ran = new Set(project.vitest.state.getFiles().map((file) => file.filepath))
      const { testFiles } = await project.globTestFiles()
      const whole =
        testFiles.length > 0 &&
        testFiles.every((file) => ran.has(file)) &&
        !project.vitest.config.testNamePattern
      if (!whole) return
      const problems = unprovedRouteClaims(readRouteUses(recordFile))
      if (problems.length > 0) {
        // vitest only logs a teardown's error: the exit code is what fails `npm test`.
        console.error(
          `\nThe integration suite leaves route claims unproved:\n${problems.join('\n')}`,
        )
        process.exitCode = 1
      }
    } finally {
      await rm(recordDir, { recursive: true, force: true })
    }
  }
}
