// DRF answers errors in several shapes: {detail}, {non_field_errors: [...]}, {field: [...]},
// nested {options: {top_n: [...]}}, a bare list, or (outside DRF) an HTML error page.

// Returned when no response arrived; the UI shows its translation instead (see useErrorText).
export const NETWORK_ERROR = 'Network error'
export const SERVER_ERROR = 'Server error'

function firstMessage(value) {
  if (value == null) return null
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return firstMessage(value[0])
  if (typeof value === 'object') {
    if (value.detail) return firstMessage(value.detail)
    if (value.non_field_errors) return firstMessage(value.non_field_errors)
    const firstKey = Object.keys(value)[0]
    return firstKey === undefined ? null : firstMessage(value[firstKey])
  }
  return String(value)
}

function looksLikeHtml(text) {
  return /^\s*<(!doctype|html)/i.test(text)
}

export function extractErrorMessage(err) {
  const data = err?.response?.data
  if (!err?.response) return NETWORK_ERROR
  if (data == null || data === '') return `${SERVER_ERROR} (${err.response.status})`
  // A Django error page is no message for a person: name the status instead.
  if (typeof data === 'string' && looksLikeHtml(data)) {
    return `${SERVER_ERROR} (${err.response.status})`
  }
  return firstMessage(data) ?? `${SERVER_ERROR} (${err.response.status})`
}

// {field: 'first message'} for errors shown beside their inputs; nested serializer errors
// become dotted names (options.top_n).
export function extractFieldErrors(err) {
  const fields = {}
  collectFieldErrors(err?.response?.data, '', fields)
  return fields
}

function collectFieldErrors(data, prefix, fields) {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return
  for (const [key, value] of Object.entries(data)) {
    if (!prefix && (key === 'detail' || key === 'non_field_errors')) continue
    const name = prefix ? `${prefix}.${key}` : key
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      collectFieldErrors(value, name, fields)
    } else {
      const message = firstMessage(value)
      if (message) fields[name] = message
    }
  }
}
