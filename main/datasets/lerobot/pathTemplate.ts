/**
 * LeRobot's info.json names files with Python `str.format` templates such as
 * `data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet`. This implements the subset of the
 * format-spec mini-language that such templates use (fill, align, zero padding, width, `d`/`s`), so a template
 * written by any LeRobot version, or by hand, resolves the same way Python would resolve it.
 */

export type TemplateValues = Readonly<Record<string, string | number>>

const FIELD = /\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}/g
const SPEC = /^(?:(.)?([<>^=]))?([+\- ])?(0)?(\d+)?([,_])?(?:\.(\d+))?([sd])?$/

export class TemplateError extends Error {}

const MAX_FIELD_WIDTH = 255

function pad(text: string, width: number, fill: string, align: string): string {
  const missing = width - text.length
  if (missing <= 0) return text
  if (align === '<') return text + fill.repeat(missing)
  if (align === '^') {
    const left = Math.floor(missing / 2)
    return fill.repeat(left) + text + fill.repeat(missing - left)
  }
  if (align === '=' && (text.startsWith('-') || text.startsWith('+'))) {
    return text[0] + fill.repeat(missing) + text.slice(1)
  }
  return fill.repeat(missing) + text
}

function formatValue(value: string | number, spec: string, field: string): string {
  const m = SPEC.exec(spec)
  if (!m) throw new TemplateError(`unsupported format spec "{${field}:${spec}}"`)
  const [, fillChar, alignChar, sign, zero, widthText, grouping, , type] = m
  const numeric = typeof value === 'number'
  if (type === 'd' && !numeric) throw new TemplateError(`"{${field}:${spec}}" needs a number`)
  let text: string
  if (numeric) {
    const abs = Math.abs(Math.trunc(value)).toString()
    const grouped = grouping ? abs.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) : abs
    const signText = value < 0 ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : ''
    text = signText + grouped
  } else {
    text = value
  }
  const width = widthText === undefined ? 0 : Number(widthText)
  // Python would pad to any width; here the width comes from an untrusted info.json and a path component cannot
  // exceed 255 bytes, so a wider field is an error rather than a multi-gigabyte string (RangeError).
  if (width > MAX_FIELD_WIDTH) throw new TemplateError(`"{${field}:${spec}}" pads to ${widthText} characters, more than a file name may hold (${MAX_FIELD_WIDTH})`)
  // Python: a leading 0 means fill '0' with '=' alignment for numbers, unless fill/align are given explicitly.
  const fill = fillChar ?? (zero ? '0' : ' ')
  const align = alignChar ?? (zero && numeric ? '=' : numeric ? '>' : '<')
  return pad(text, width, fill, align)
}

/** Resolve a template. Throws TemplateError for a field missing from `values` or an unsupported spec. */
export function formatPathTemplate(template: string, values: TemplateValues): string {
  return template.replace(FIELD, (_whole, name: string, spec: string | undefined) => {
    const value = values[name]
    if (value === undefined) throw new TemplateError(`unknown field "{${name}}"`)
    return formatValue(value, spec ?? '', name)
  })
}

/** Field names a template uses, in order of first appearance. */
export function templateFields(template: string): string[] {
  const names: string[] = []
  for (const m of template.matchAll(FIELD)) {
    const name = m[1]
    if (name !== undefined && !names.includes(name)) names.push(name)
  }
  return names
}

/**
 * A matcher for paths a template produces, used to discover files on disk when the metadata that should list
 * them is missing. Numeric fields (given in `numeric`) capture digits; `fixed` fields are substituted literally.
 */
export function templateMatcher(
  template: string,
  numeric: readonly string[],
  fixed: TemplateValues = {},
): (relPath: string) => Record<string, number> | null {
  const groups: string[] = []
  let source = '^'
  let last = 0
  for (const m of template.matchAll(FIELD)) {
    const name = m[1] ?? ''
    source += escapeRegExp(template.slice(last, m.index))
    const fixedValue = fixed[name]
    if (fixedValue !== undefined) {
      source += escapeRegExp(formatValue(fixedValue, m[2] ?? '', name))
    } else if (numeric.includes(name)) {
      source += '\\s*([+-]?\\d+)'
      groups.push(name)
    } else {
      throw new TemplateError(`unknown field "{${name}}"`)
    }
    last = m.index + m[0].length
  }
  source += escapeRegExp(template.slice(last)) + '$'
  const re = new RegExp(source)
  return (relPath) => {
    const m = re.exec(relPath)
    if (!m) return null
    const out: Record<string, number> = {}
    groups.forEach((name, i) => {
      const value = Number(m[i + 1])
      const previous = out[name]
      // A field used twice must capture the same number both times.
      if (previous !== undefined && previous !== value) out[name] = Number.NaN
      else out[name] = value
    })
    return Object.values(out).some(Number.isNaN) ? null : out
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
