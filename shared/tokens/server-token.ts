import { NAME_PATTERN } from '../names.js'
import { routedTokenFormat } from './routed-token.js'
import { UUID_PATTERN } from './uuid.js'

/** A server's own secret, shown once at enrollment: `lks_<base62 team:project:id>_...`. */
export interface ServerRef {
  team: string
  project: string
  id: string
}

const format = routedTokenFormat('lks_', 3)

export const issueServerToken = (ref: ServerRef) => format.issue([ref.team, ref.project, ref.id])

export function parseServerToken(token: string): (ServerRef & { secret: string }) | undefined {
  const parsed = format.parse(token)
  if (!parsed) return undefined
  const [team = '', project = '', id = ''] = parsed.fields
  if (!NAME_PATTERN.test(team) || !NAME_PATTERN.test(project) || !UUID_PATTERN.test(id))
    return undefined
  return { team, project, id, secret: parsed.secret }
}
