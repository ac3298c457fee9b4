/**
 * `npm start`'s entry (local/main.ts is the server): the lean transport's commands are
 * put in place of the SDK's for the service's code first (local/lean-alias.ts), as every
 * deployed bundle has them, so what runs locally is what deploys. The alias has to be in
 * place before any of the service's modules is loaded: hence this entry, and the import.
 */
import './lean-alias.js'

await import('./main.js')
