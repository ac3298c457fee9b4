import { describe, expect, it } from 'vitest'
import { createRouter } from '../../shared/http/router.js'
import { routeList } from '../../shared/routes.js'

const match = createRouter(routeList)

describe('router', () => {
  it('prefers a literal segment over a parameter, whatever the table order', () => {
    const found = match('DELETE', '/api/tokens/delete-all')
    expect(found.kind === 'route' && found.route.handler).toBe('tokens/delete-all')
    const reversed = createRouter([...routeList].reverse())('DELETE', '/api/tokens/delete-all')
    expect(reversed.kind === 'route' && reversed.route.handler).toBe('tokens/delete-all')
  })

  it('extracts path parameters', () => {
    expect(match('DELETE', '/api/tokens/42')).toMatchObject({
      kind: 'route',
      params: { tokenId: '42' },
    })
  })

  it('answers 405 with the allowed methods for a known path, 404 otherwise', () => {
    expect(match('PATCH', '/api/tokens')).toEqual({
      kind: 'method_not_allowed',
      allow: ['GET', 'POST'],
    })
    expect(match('GET', '/api/tokens/7')).toEqual({ kind: 'method_not_allowed', allow: ['DELETE'] })
    expect(match('GET', '/api/tokens/7/more')).toEqual({ kind: 'not_found' })
    expect(match('GET', '/')).toEqual({ kind: 'not_found' })
  })

  it('routes the raw path: no empty segment, no dot resolution, one trailing slash ignored', () => {
    expect(match('GET', '//')).toEqual({ kind: 'not_found' })
    expect(match('GET', '//anything/api/tokens')).toEqual({ kind: 'not_found' })
    expect(match('GET', '//api/tokens')).toEqual({ kind: 'not_found' })
    expect(match('GET', 'api/tokens')).toEqual({ kind: 'not_found' })
    expect(match('GET', '/api/tokens/')).toMatchObject({ kind: 'route' })
    expect(match('DELETE', '/api/tokens/%2e%2e')).toMatchObject({
      kind: 'route',
      params: { tokenId: '%2e%2e' },
    })
    expect(match('DELETE', '/v1/teams/t/projects/p/servers/..')).toMatchObject({
      kind: 'route',
      route: { handler: 'servers/delete' },
      params: { serverId: '..' },
    })
  })
})
