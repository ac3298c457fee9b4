import { describe, expect, it } from 'vitest'
import {
  NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS,
  resolveEndpointDiscoveryConfig,
} from '../../shared/aws/no-endpoint-discovery.js'

describe('the endpoint-discovery stand-in of Lambda bundles', () => {
  it('resolves a client configuration with discovery off', async () => {
    const input: { region: string; endpointDiscoveryEnabled?: boolean } = { region: 'eu-west-1' }
    const config = resolveEndpointDiscoveryConfig(input)
    expect(config.region).toBe('eu-west-1')
    expect(config.isClientEndpointDiscoveryEnabled).toBe(false)
    await expect(config.endpointDiscoveryEnabled()).resolves.toBe(false)
    expect(NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS.environmentVariableSelector()).toBe(false)
  })

  it('refuses a client that asks for discovery, rather than ignoring it', () => {
    expect(() => resolveEndpointDiscoveryConfig({ endpointDiscoveryEnabled: true })).toThrow(
      /endpoint discovery is not bundled/,
    )
  })
})
