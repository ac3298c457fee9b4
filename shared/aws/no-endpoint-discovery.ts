/**
 * Substituted for `@aws-sdk/middleware-endpoint-discovery` wherever the SDK is bundled
 * (see infra/constructs/bundling.ts; since the lean clients, only the bench's SDK
 * floors). DynamoDB's commands in this SDK apply no endpoint discovery middleware,
 * yet its client still builds an endpoint cache of 1,000 entries that nothing reads,
 * and with it a 7.7 KB LRU library (mnemonist, obliterator) in every bundle. Latchkey
 * never enables discovery; asking for it says so here.
 */
interface DiscoveryInput {
  endpointDiscoveryEnabled?: boolean
}

export const resolveEndpointDiscoveryConfig = <T extends DiscoveryInput>(input: T) => {
  if (input.endpointDiscoveryEnabled)
    throw new Error('endpoint discovery is not bundled: no Latchkey function uses it')
  return Object.assign(input, {
    endpointDiscoveryEnabled: () => Promise.resolve(false),
    isClientEndpointDiscoveryEnabled: false,
  })
}

/** Read by the client's runtime configuration: discovery is never on, whatever the environment says. */
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: () => false,
  configFileSelector: () => false,
  default: false,
}
