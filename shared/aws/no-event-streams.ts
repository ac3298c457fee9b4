/**
 * Substituted for `@smithy/core/event-streams` wherever the SDK is bundled (see
 * infra/constructs/bundling.ts; since the lean clients, only the bench's SDK floors).
 * The SDK's protocol layer imports it lazily, only for operations that stream events; DynamoDB, KMS and EventBridge have none, yet
 * esbuild inlines the 15 KB codec into every single-file bundle. Should a client
 * ever reach for it, this says why instead of failing obscurely.
 */
const missing = (): never => {
  throw new Error('event streams are not bundled: no Latchkey function uses them')
}

export const EventStreamSerde = missing
export const eventStreamSerdeProvider = missing
