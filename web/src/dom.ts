import { ApiError } from './api.js'

/**
 * A few DOM helpers instead of a framework. Text always goes in as text nodes
 * (never HTML), so nothing the API answers can become markup.
 */
export type Child = Node | string | number | false | null | undefined | Child[]
type Value = string | number | boolean | null | undefined
type Attrs = Record<string, Value | ((event: Event) => void)>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (value === true) element.setAttribute(name, '')
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value))
  }
  append(element, children)
  return element
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child)
    else if (child instanceof Node) parent.appendChild(child)
    else if (child !== false && child !== null && child !== undefined)
      parent.appendChild(document.createTextNode(String(child)))
  }
}

let ids = 0
export const uid = (prefix: string) => `${prefix}-${++ids}`

/**
 * Words for an error, with what the person can do about it where we know; with
 * `fields`, the field errors too (where no form field holds them).
 */
export function describe(error: unknown, fields = false): string {
  if (!(error instanceof ApiError)) return 'Something went wrong in the console; reload the page.'
  if (error.code === 'too_many_requests' && error.retryAfter)
    return `${error.message} Try again in ${wait(error.retryAfter)}.`
  if (fields && error.fields.length > 0)
    return `${error.message} ${error.fields.map((f) => `${f.description} ${f.message}.`).join(' ')}`
  return error.message
}

const wait = (seconds: number) =>
  seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`

/** An element that announces an error (or clears it) next to what caused it. */
export function errorSlot(id: string) {
  const slot = h('p', { id, class: 'error', role: 'alert', hidden: true })
  return {
    slot,
    show(error: unknown, fields = false) {
      slot.textContent = describe(error, fields)
      slot.hidden = false
    },
    clear() {
      slot.textContent = ''
      slot.hidden = true
    },
  }
}

export interface Field {
  name: string
  label: string
  type?: string
  required?: boolean
  hint?: string
  attrs?: Attrs
  /** A text area instead of a one-line input. */
  multiline?: boolean
  /** Takes a whole row in a grid form. */
  wide?: boolean
  /** Among the fields shown on asking (the form's `more`), not at first. */
  more?: boolean
  /** A group of checkboxes instead of an input; its value is the checked ones, space-separated. */
  choices?: readonly string[]
}

/** One field as the form handles it, whatever its control. */
interface Control {
  label: string
  value(): string
  focus(): void
  invalid(on: boolean): void
  error: HTMLElement
}

function control(field: Field): { element: HTMLElement; control: Control } {
  const id = uid(field.name)
  const errorId = `${id}-error`
  const hintId = field.hint ? `${id}-hint` : undefined
  const describedBy = [hintId, errorId].filter(Boolean).join(' ')
  const error = h('span', { id: errorId, class: 'field-error' })
  const hint = hintId && h('span', { id: hintId, class: 'hint' }, field.hint)
  if (field.choices) {
    const boxes = field.choices.map((choice) =>
      h('input', { type: 'checkbox', name: field.name, value: choice, id: uid(field.name) }),
    )
    const group = h(
      'fieldset',
      { class: 'choices', 'aria-describedby': describedBy },
      h('legend', null, field.label),
      boxes.map((box) => h('label', { class: 'choice' }, box, h('code', null, box.value))),
      hint,
      error,
    )
    return {
      element: group,
      control: {
        label: field.label,
        value: () =>
          boxes
            .filter((box) => box.checked)
            .map((box) => box.value)
            .join(' '),
        focus: () => boxes[0]?.focus(),
        invalid: (on) => group.classList.toggle('invalid', on),
        error,
      },
    }
  }
  const attrs = {
    id,
    name: field.name,
    required: field.required ?? false,
    'aria-describedby': describedBy,
    ...field.attrs,
  }
  const input = field.multiline
    ? h('textarea', { rows: 3, ...attrs })
    : h('input', { type: field.type ?? 'text', ...attrs })
  return {
    element: h(
      'div',
      { class: field.wide ? 'field wide' : 'field' },
      h('label', { for: id }, field.label),
      input,
      hint,
      error,
    ),
    control: {
      label: field.label,
      value: () => input.value.trim(),
      focus: () => input.focus(),
      invalid: (on) =>
        on ? input.setAttribute('aria-invalid', 'true') : input.removeAttribute('aria-invalid'),
      error,
    },
  }
}

/**
 * A form whose fields each carry their own error line: the API's field errors
 * (`errors[].description` names the field, or a part of it: `rateLimit.limit`) land
 * under their field, anything else under the form, or under the field `locate` names
 * for it. Submitting disables it until the call settles.
 */
export function form(options: {
  label: string
  fields: Field[]
  submit: string
  onSubmit: (values: Record<string, string>) => Promise<void>
  className?: string
  /** The field an error without field errors is about (a refused scope, say). */
  locate?: (error: ApiError) => string | undefined
  /** The summary of the fields marked `more`, shown on asking. */
  more?: string
}) {
  const controls = new Map<string, Control>()
  const made = options.fields.map((field) => {
    const { element, control: entry } = control(field)
    controls.set(field.name, entry)
    return { field, element }
  })
  const rows = made.filter((m) => !m.field.more).map((m) => m.element)
  const extra = made.filter((m) => m.field.more).map((m) => m.element)
  const more =
    extra.length > 0
      ? h('details', { class: 'more' }, h('summary', null, options.more ?? 'More'), ...extra)
      : undefined
  const general = errorSlot(uid('form-error'))
  const button = h('button', { type: 'submit' }, options.submit)
  const element = h(
    'form',
    { 'aria-label': options.label, class: options.className ?? 'stack', novalidate: true },
    rows,
    more,
    h('div', { class: 'actions' }, button),
    general.slot,
  )
  const clear = () => {
    general.clear()
    for (const entry of controls.values()) {
      entry.error.textContent = ''
      entry.invalid(false)
    }
  }
  /** The field an error's description names: itself, or the field it is a part of. */
  const fieldOf = (description: string) =>
    [...controls.keys()].find((name) => description === name || description.startsWith(`${name}.`))
  element.addEventListener('submit', async (event) => {
    event.preventDefault()
    clear()
    const values: Record<string, string> = {}
    for (const [name, entry] of controls) values[name] = entry.value()
    const missing = options.fields.filter((f) => f.required && !values[f.name])
    if (missing.length > 0) {
      for (const field of missing) fieldError(field.name, `${field.label} is required.`)
      controls.get(missing[0]?.name ?? '')?.focus()
      return
    }
    button.disabled = true
    element.setAttribute('aria-busy', 'true')
    try {
      await options.onSubmit(values)
    } catch (error) {
      const placed: string[] = []
      if (error instanceof ApiError) {
        for (const f of error.fields) {
          const name = fieldOf(f.description)
          if (!name) continue
          placed.push(name)
          const part = f.description === name ? '' : ` (${f.description.slice(name.length + 1)})`
          fieldError(name, `${controls.get(name)?.label}${part} ${f.message}.`)
        }
        const about = error.fields.length === 0 ? options.locate?.(error) : undefined
        if (about && controls.has(about)) {
          placed.push(about)
          fieldError(about, describe(error))
        }
      }
      general.show(error)
      if (placed[0]) controls.get(placed[0])?.focus()
    } finally {
      button.disabled = false
      element.removeAttribute('aria-busy')
    }
  })
  function fieldError(name: string, message: string) {
    const entry = controls.get(name)
    if (!entry) return
    entry.error.textContent = message
    entry.invalid(true)
    // A field with an error is never hidden in a closed `more`.
    if (more?.contains(entry.error)) more.open = true
  }
  return {
    element,
    reset: () => {
      element.reset()
      clear()
    },
    focus: (name: string) => controls.get(name)?.focus(),
  }
}

/**
 * Asks before something irreversible, in a modal dialog (focus stays inside it, Esc
 * cancels). Resolves true only on the confirming button.
 */
export function confirmDialog(options: {
  title: string
  body: Child
  confirm: string
}): Promise<boolean> {
  const titleId = uid('dialog-title')
  const dialog = h(
    'dialog',
    { 'aria-labelledby': titleId, class: 'confirm' },
    h('h2', { id: titleId }, options.title),
    h('div', { class: 'dialog-body' }, options.body),
    h(
      'form',
      { method: 'dialog', class: 'actions' },
      h('button', { value: 'cancel', autofocus: true }, 'Cancel'),
      h('button', { value: 'confirm', class: 'danger' }, options.confirm),
    ),
  )
  document.body.appendChild(dialog)
  dialog.showModal()
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm')
      dialog.remove()
    })
  })
}

/** Copies text, with the words "Copied" announced; falls back to selecting it. */
export function copyButton(label: string, text: () => string, target?: HTMLInputElement) {
  const status = h('span', { class: 'copy-status', role: 'status' })
  const button = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(text())
          status.textContent = 'Copied.'
        } catch {
          target?.select()
          status.textContent = 'Select and copy it with Ctrl+C.'
        }
      },
    },
    label,
  )
  return h('span', { class: 'copy' }, button, status)
}

/** Dates as people read them, in UTC so every reader sees the same. */
export function when(iso: string | null | undefined, never = 'never'): string {
  if (!iso) return never
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

export function time(iso: string | null | undefined, never = 'never'): Child {
  return iso ? h('time', { datetime: iso }, when(iso)) : never
}

/**
 * For a list that loads again after each change: only the newest load may fill it,
 * so an older answer arriving late never shows a list from before the change.
 */
export function newest(): () => () => boolean {
  let current = 0
  return () => {
    const mine = ++current
    return () => mine === current
  }
}

/** A labelled number input for a dialog's body (its value read when the dialog closes). */
export function numberField(label: string, hint: string, attrs: Attrs) {
  const id = uid('field')
  const input = h('input', {
    id,
    type: 'number',
    inputmode: 'numeric',
    'aria-describedby': `${id}-hint`,
    ...attrs,
  })
  const element = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    h('span', { id: `${id}-hint`, class: 'hint' }, hint),
  )
  return { element, input }
}
