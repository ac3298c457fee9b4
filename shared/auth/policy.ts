import type { Role } from '../data/users.js'

/**
 * The one rule set (API.md, Who is calling): members read; admins also manage
 * (create and delete projects, enrollment tokens and servers). Personal tokens are
 * outside it: every user manages their own.
 */
export type Access = 'read' | 'manage'

export const allows = (role: Role, access: Access): boolean => access === 'read' || role === 'admin'
