import { App, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import { LatchkeyConsoleStack } from './console-stack.js'
import { acknowledgeConsoleFindings, acknowledgeFindings } from './nag.js'
import { LatchkeyStack } from './stack.js'

/** `npx cdk synth`: works offline, without AWS credentials (the stack is environment-agnostic). */
export function buildApp(app = new App()) {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev')
  const corsOrigins = String(app.node.tryGetContext('corsOrigins') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  const context = (name: string) => {
    const value = app.node.tryGetContext(name)
    return value === undefined || value === '' ? undefined : String(value)
  }
  const threshold = context('authFailureThreshold')
  if (threshold !== undefined && !(Number(threshold) > 0))
    throw new Error(`context authFailureThreshold must be a positive number, not ${threshold}`)
  const stack = new LatchkeyStack(app, `Latchkey-${stage}`, {
    stage,
    corsOrigins,
    tracing: context('tracing') === 'true',
    alarms: {
      email: context('alarmEmail'),
      topicArn: context('alarmTopicArn'),
      authFailureThreshold: threshold === undefined ? undefined : Number(threshold),
    },
    description: `Latchkey token service (${stage})`,
  })
  acknowledgeFindings(stack)
  // The web console: S3 + CloudFront, with the API as a second origin on the same host.
  const consoleStack = new LatchkeyConsoleStack(app, `Latchkey-${stage}-console`, {
    api: stack.api.api,
    description: `Latchkey web console (${stage})`,
  })
  acknowledgeConsoleFindings(consoleStack)
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  return { app, stack, consoleStack }
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp().app.synth()
