/**
 * The local server's stand-in for the bundles' alias (infra/constructs/bundling.ts): with
 * this module imported first (`--import ./local/lean-alias.ts`, as `npm start` and
 * `bench/profile.ts` do), the service's code (shared/, functions/) gets the lean
 * transport's own commands for `@aws-sdk/lib-dynamodb` and `@aws-sdk/client-dynamodb`,
 * exactly as a deployed function does. Without it the data layer builds the SDK's
 * command objects (a middleware stack each) that the lean client only reads back by
 * class name: 1-2% of a request's CPU locally that Lambda never pays (bench/profile.ts).
 * Not aliased: local tooling (local/), the SDK store that tests and tools read the table
 * through (shared/data/client.ts), the transport itself (shared/aws/), tests and the
 * bench's floors, and anything under vitest, whose module runner does not pass here
 * (the unit tests mock the SDK's classes with aws-sdk-client-mock).
 */
import { register } from 'node:module'

register('./lean-alias-hooks.mjs', import.meta.url)
