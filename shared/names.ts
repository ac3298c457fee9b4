/** Team, project and user names (API.md, Conventions). */
export const NAME_PATTERN_SOURCE = '^[a-z0-9][a-z0-9_.-]{0,62}$'
export const NAME_PATTERN = new RegExp(NAME_PATTERN_SOURCE)
export const NAME_RULE =
  "1 to 63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit"

/** Scope strings (API.md, Scopes): Latchkey's own, or any the user's APIs define. */
export const SCOPE_PATTERN_SOURCE = '^[a-z0-9][a-z0-9_.:/-]{0,99}$'
export const MAX_SCOPES = 50
