import { h } from '../dom.js'

/**
 * Previous/next over cursor pages: the API gives the next page's cursor; the
 * pager remembers the ones before it to go back.
 */
export function pager(label: string, load: (cursor: string | undefined) => Promise<void>) {
  const behind: (string | undefined)[] = []
  let here: string | undefined
  let ahead: string | undefined
  const previous = h('button', { type: 'button', disabled: true }, 'Previous page')
  const next = h('button', { type: 'button', disabled: true }, 'Next page')
  const element = h('nav', { 'aria-label': label, class: 'pager' }, previous, next)
  previous.addEventListener('click', () => {
    here = behind.pop()
    void load(here)
  })
  next.addEventListener('click', () => {
    if (ahead === undefined) return
    behind.push(here)
    here = ahead
    void load(here)
  })
  return {
    element,
    /** The page shown now, and the cursor of the one after it if any. */
    update(nextCursor: string | undefined) {
      ahead = nextCursor
      next.disabled = nextCursor === undefined
      previous.disabled = behind.length === 0
      element.hidden = next.disabled && previous.disabled
    },
    reload: () => load(here),
    /** A new first page was loaded (other filters): the way back starts again from it. */
    restart(nextCursor: string | undefined) {
      behind.length = 0
      here = undefined
      this.update(nextCursor)
    },
  }
}
