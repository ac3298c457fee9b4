import { mkdtemp, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { rotateKeys } from '../../cli/keys.js'
import { type JwtKeyFile, localJwtKeys, writeJwtKeyFile } from '../../shared/keys/local-jwt-keys.js'

describe('keys rotate (local key file)', () => {
  it('signs with a new key, keeps retired keys for one token lifetime, then drops them', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'latchkey-rotate-')), 'jwt-keys.json')
    const original = await writeJwtKeyFile(path)
    const t0 = Date.parse('2026-11-23T10:00:00Z')
    await rotateKeys(path, t0)
    const once: JwtKeyFile = JSON.parse(await readFile(path, 'utf8'))
    expect(once.current.kid).not.toBe(original.current.kid)
    expect(once.previous.map((k) => k.kid)).toEqual([original.current.kid])
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const published = (await localJwtKeys(path).publicKeys()).map((k) => k.kid)
    expect(published).toEqual([once.current.kid, original.current.kid])
    for (const key of await localJwtKeys(path).publicKeys()) expect(key.d).toBeUndefined()

    // 59 minutes later the first key may still have live tokens; 61 minutes later none.
    await rotateKeys(path, t0 + 59 * 60_000)
    const twice: JwtKeyFile = JSON.parse(await readFile(path, 'utf8'))
    expect(twice.previous.map((k) => k.kid)).toEqual([once.current.kid, original.current.kid])
    await rotateKeys(path, t0 + 61 * 60_000)
    const thrice: JwtKeyFile = JSON.parse(await readFile(path, 'utf8'))
    expect(thrice.previous.map((k) => k.kid)).toEqual([twice.current.kid, once.current.kid])
  })

  it('says what to do when there is no key file', async () => {
    await expect(rotateKeys('/nonexistent/jwt-keys.json')).rejects.toThrow(/run npm start once/)
  })
})
