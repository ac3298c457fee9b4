import { App, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import { ProtectedApiStack } from './protected-api.js'

/** The example app: `-c latchkeyTable=... -c latchkeyKey=... -c team=...`. */
export function buildExampleApp(app = new App()) {
  const context = (name: string, fallback: string) =>
    String(app.node.tryGetContext(name) ?? fallback)
  const stack = new ProtectedApiStack(app, 'LatchkeyProtectedApi', {
    latchkeyTableName: context('latchkeyTable', 'latchkey-table'),
    latchkeyJwtKeyArn: context(
      'latchkeyKey',
      'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000',
    ),
    team: context('team', 'main'),
  })
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app))
  return { app, stack }
}

if (import.meta.url === `file://${process.argv[1]}`) buildExampleApp().app.synth()
