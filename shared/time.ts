/** Units of time, declared once (TTL attributes count seconds; Date counts milliseconds). */
export const DAY_SECONDS = 86_400
export const DAY_MS = DAY_SECONDS * 1000

/** The ISO time `days` days after `from`. */
export const daysAfter = (from: Date | string, days: number): string =>
  new Date(new Date(from).getTime() + days * DAY_MS).toISOString()
