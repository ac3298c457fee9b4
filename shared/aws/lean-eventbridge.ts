import {
  type Json,
  type JsonService,
  type LeanClientConfig,
  LeanCommand,
  LeanJsonClient,
  LeanServiceException,
  toJsonWire,
} from './lean-json.js'

/**
 * EventBridge spoken through the lean AWS core (lean-json.ts) instead of
 * `@aws-sdk/client-eventbridge`, which an esbuild alias replaces with this module in
 * every bundle (infra/constructs/bundling.ts): the stream function's PutEvents is all
 * of Latchkey's EventBridge, and all it speaks. The input is the SDK's shape (`Time`
 * a Date, epoch seconds on the wire), the output and errors are the SDK's. A global
 * endpoint (`EndpointId`) needs SigV4a, which it refuses rather than signs wrongly.
 * lean-eventbridge.test.ts holds it to the SDK's requests, outputs, errors and retries.
 */

/** The SDK's base class of EventBridge's errors; every error it answers is raised as one. */
export class EventBridgeServiceException extends LeanServiceException {}

/** EventBridge to the core: the SDK's defaults for it are 3 attempts from 50 ms (2026). */
const EVENTBRIDGE: JsonService = {
  name: 'EventBridge',
  signingName: 'events',
  targetPrefix: 'AWSEvents',
  jsonVersion: '1.1',
  maxAttempts: 3,
  baseDelayMs: 50,
  exception: EventBridgeServiceException,
}

export class PutEventsCommand extends LeanCommand {
  constructor(input: Json) {
    super('PutEvents', input)
  }
}

export class EventBridgeClient extends LeanJsonClient {
  constructor(config: LeanClientConfig) {
    super(EVENTBRIDGE, config)
  }

  async send(command: PutEventsCommand): Promise<Json> {
    if (!(command instanceof PutEventsCommand))
      throw new TypeError(`not a lean EventBridge command: ${Object(command).constructor?.name}`)
    if (command.input.EndpointId !== undefined)
      throw new Error('EventBridge global endpoints (EndpointId) need SigV4a: not bundled')
    return this.call(command.operation, toJsonWire(command.input) as Json)
  }
}
