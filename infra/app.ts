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
  const stack = new LatchkeyStack(app, `Latchkey-${stage}`, {
    stage,
    corsOrigins,
    description: `Latchkey token service (${stage})`,
  })
  acknowledgeFindings(stack)
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  return { app, stack }
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp().app.synth()
