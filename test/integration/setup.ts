import { inject } from 'vitest'

// This file's local server records what each route does (local/record.ts) where the
// integration tier's global setup says; other tiers sharing that setup don't record.
process.env.LATCHKEY_ROUTE_RECORD = inject('routeRecord')
