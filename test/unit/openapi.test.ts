import { readFile } from 'node:fs/promises'
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../scripts/openapi.js'
import { errorsOf, routeList } from '../../shared/routes.js'

const committed = JSON.parse(
  await readFile(new URL('../../docs/openapi.json', import.meta.url), 'utf8'),
) as { paths: Record<string, Record<string, { security: unknown[]; responses: object }>> }

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, with zero errors from a real validator', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(committed))
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it('fails a document that breaks the rules (the validator is no rubber stamp)', async () => {
    const broken = structuredClone(committed) as Record<string, unknown>
    delete broken.info
    const result = await new Validator().validate(broken)
    expect(result.valid).toBe(false)
  })

  it('is what the route table generates (npm run docs)', async () => {
    const { version } = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string }
    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument(version))))
  })

  it.each(routeList.map((route) => [route.method, route.path, route] as const))(
    'describes %s %s with every status its row declares',
    (method, path, route) => {
      const operation = committed.paths[path]?.[method.toLowerCase()]
      expect(operation).toBeDefined()
      const statuses = Object.keys(operation?.responses ?? {}).map(Number)
      for (const status of Object.keys(route.responses).map(Number))
        expect(statuses).toContain(status)
      // Every error code's status is there too (401 for a protected route, 403 for admins...).
      expect(statuses.filter((status) => status >= 400).length).toBeGreaterThan(0)
      expect(errorsOf(route).length).toBeGreaterThan(0)
    },
  )

  it('asks protected routes for a credential and open ones for none', () => {
    for (const route of routeList) {
      const security = committed.paths[route.path]?.[route.method.toLowerCase()]?.security
      if (route.auth === 'none') expect(security).toEqual([])
      else expect(security?.length).toBeGreaterThan(0)
    }
  })
})
