import { App, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import { acknowledgeFindings } from './nag.js'
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
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  return { app, stack }
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp().app.synth()
