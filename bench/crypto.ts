/**
 * Section "crypto": the personal token check, the password KDF and ES256, each on
 * one core, in several rounds with their spread.
 */
import { hashPassword } from '../shared/auth/password.js'
import { hashesMatch, sha256 } from '../shared/tokens/crypto.js'
import { issuePersonalToken, parsePersonalToken } from '../shared/tokens/personal-token.js'
import type { Sizes } from './harness.js'
import { type Report, type Spread, show, spread } from './stats.js'

export interface CryptoResult {
  tokenParseAndHashPerSecond: Spread
  scryptHashMs: Spread
  es256SignPerSecond: Spread
  es256VerifyPerSecond: Spread
}

const ROUNDS = 5

export async function measureCrypto(n: Sizes): Promise<CryptoResult> {
  const sample = issuePersonalToken({ team: 'acme', username: 'admin', id: 9 })
  const stored = sha256(sample.secret)
  const perSecond = async (task: () => unknown, count: number) => {
    const runs: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now()
      for (let i = 0; i < count; i++) await task()
      runs.push(Math.round(count / ((performance.now() - start) / 1000)))
    }
    return spread(runs, 0)
  }
  const tokenCheck = await perSecond(() => {
    const parsed = parsePersonalToken(sample.token)
    if (!parsed || !hashesMatch(stored, sha256(parsed.secret))) throw new Error('verify failed')
  }, n.verifies / ROUNDS)
  const kdf: number[] = []
  for (let i = 0; i < n.hashes; i++) {
    const start = performance.now()
    await hashPassword('correct horse battery staple')
    kdf.push(performance.now() - start)
  }
  const { signJws, verifyJws } = await import('../shared/keys/jws.js')
  const iat = Math.floor(Date.now() / 1000)
  const claims = {
    iss: 'latchkey',
    sub: 'a',
    team: 'acme',
    role: 'admin',
    jti: 'j',
    iat,
    exp: iat + 3600,
  }
  const jwt = await signJws('JWT', claims)
  return {
    tokenParseAndHashPerSecond: tokenCheck,
    scryptHashMs: spread(kdf, 1),
    es256SignPerSecond: await perSecond(() => signJws('JWT', claims), n.verifies / 50 / ROUNDS),
    es256VerifyPerSecond: await perSecond(() => verifyJws('JWT', jwt), n.verifies / 50 / ROUNDS),
  }
}

export function printCrypto(report: Report, result: CryptoResult) {
  report.log('\nCrypto, one core: median (min-max) of rounds')
  report.table(Object.entries(result).map(([what, figure]) => ({ what, figure: show(figure) })))
}
