// Shared Tailwind class lists, so every button and input has the same visible focus ring.
// Kept as whole strings: Tailwind finds classes by scanning source text.
export const focusRing =
  'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-700'

export const primaryButton = `inline-flex items-center justify-center rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 disabled:cursor-not-allowed disabled:opacity-60 ${focusRing}`

export const secondaryButton = `inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-60 ${focusRing}`

export const dangerButton = `inline-flex items-center justify-center rounded-md bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800 disabled:cursor-not-allowed disabled:opacity-60 ${focusRing}`

export const linkButton = `rounded text-sm font-medium text-blue-700 underline-offset-2 hover:underline ${focusRing}`

export const inputClass = `block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm aria-invalid:border-red-600 ${focusRing}`

export const labelClass = 'block text-sm font-medium text-slate-800'

export const errorText = 'mt-1 text-sm text-red-700'

export const alertBox = 'rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800'

export const noticeBox = 'rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-800'

export const card = 'rounded-lg border border-slate-200 bg-white p-4 shadow-sm'
