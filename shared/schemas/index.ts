/**
 * Every request schema, each exported under its own `$id` (a test checks the two
 * agree). This is the one list: the validator generator and the tests read its
 * exports, so a new schema is a new export in one of these modules, nothing more.
 */
export * from './access-tokens.js'
export * from './admin.js'
export * from './cloud-accounts.js'
export * from './enrollment.js'
export * from './grants.js'
export * from './projects.js'
export * from './secret-scanning.js'
export * from './service-tokens.js'
