import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BUILT_IN_SCOPES } from '../../shared/auth/scopes.js'
import { fallbackHandler, routeList } from '../../shared/routes.js'
import { requestSchemas } from '../../shared/schemas/request-schemas.js'

const schemas = requestSchemas.map(([, schema]) => schema)

import * as compiled from '../../shared/schemas/validators.gen.js'
import { PageQuery } from '../../shared/schemas/validators.gen.js'

const root = new URL('../..', import.meta.url)

describe('route table', () => {
  it('names one handler module per row, each exporting a handler', async () => {
    for (const name of [...routeList.map((r) => r.handler), fallbackHandler]) {
      const file = new URL(`functions/${name}.ts`, root)
      expect(existsSync(file), `functions/${name}.ts`).toBe(true)
      const module = await import(file.href)
      expect(typeof module.handler, name).toBe('function')
    }
  })

  it('declares its DynamoDB calls per path: at least one path, each a whole count', () => {
    for (const route of routeList) {
      const paths = Object.entries(route.calls)
      expect(paths.length, route.id).toBeGreaterThan(0)
      for (const [path, count] of paths) {
        expect(path.trim(), route.id).not.toBe('')
        expect(Number.isInteger(count) && count >= 0, `${route.id}: ${path}`).toBe(true)
      }
    }
  })

  it('has no two rows for one method and path', () => {
    const keys = routeList.map((r) => `${r.method} ${r.path.replace(/\{[^}]+\}/g, '{}')}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it('declares every path parameter in a params schema', () => {
    for (const route of routeList) {
      const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
      if (names.length === 0) continue
      expect(route.params, route.id).toBeDefined()
      const schema = schemas.find((s) => s.$id === route.params?.schema.$id)
      expect(schema && 'required' in schema ? schema.required : []).toEqual(names)
    }
  })

  it("scopes every /v1/teams/{team} route to the caller's team", () => {
    for (const route of routeList) {
      // Agent routes (enrollment, server tokens) are scoped by their own token instead.
      if (!route.path.startsWith('/v1/teams/{team}/') || route.auth !== 'user') continue
      expect(route.access, route.id).toBeDefined()
    }
  })

  it('names the built-in scope of every route a user calls', () => {
    for (const route of routeList) {
      if (route.auth === 'user' || route.auth === 'optional')
        expect(BUILT_IN_SCOPES, route.id).toContain(route.scope)
      else expect(route.scope, route.id).toBeUndefined() // nothing a scope could limit
    }
  })

  it('paginates every /v1 list with the page query, and signs nothing to do it', () => {
    const lists = routeList.filter((r) => r.method === 'GET' && r.handler.endsWith('/list'))
    for (const route of lists.filter((r) => r.path.startsWith('/v1/'))) {
      // Every list takes count and offset; the project list adds ASA's filters to them.
      expect(route.query?.schema, route.id).toHaveProperty('properties')
      expect(Object(route.query?.schema).properties, route.id).toMatchObject({
        count: PageQuery.schema.properties.count,
        offset: PageQuery.schema.properties.offset,
      })
      expect(route.keys ?? [], route.id).not.toContain('sign') // a KMS Sign per page on AWS
    }
  })

  it('pairs every schema a route uses with the validator compiled from it', () => {
    // The module also exports the bare validator functions; the pairs are its objects.
    const pairs = Object.values(compiled).filter((value) => typeof value === 'object')
    const byId = new Map<string, unknown>(pairs.map((pair) => [pair.schema.$id, pair]))
    for (const route of routeList) {
      for (const pair of [route.body, route.params, route.query]) {
        if (!pair) continue
        const id = pair.schema.$id
        expect(schemas, `${route.id} ${id}`).toContain(pair.schema)
        expect(pair, `${route.id} ${id}`).toBe(byId.get(id))
        expect(pair.validate, `${route.id} ${id}`).toBeTypeOf('function')
      }
    }
  })
})
