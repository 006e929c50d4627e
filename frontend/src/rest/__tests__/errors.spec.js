import { describe, expect, it } from 'vitest'

import { NETWORK_ERROR, extractErrorMessage, extractFieldErrors } from '../errors.js'

const answer = (status, data) => ({ response: { status, data } })

describe('extractErrorMessage', () => {
  it.each([
    ['detail', answer(404, { detail: 'Not found.' }), 'Not found.'],
    [
      'non_field_errors',
      answer(400, { non_field_errors: ['Unable to log in with provided credentials.'] }),
      'Unable to log in with provided credentials.',
    ],
    [
      'first field error',
      answer(400, { email: ['Enter a valid email address.'] }),
      'Enter a valid email address.',
    ],
    ['nested field error', answer(400, { options: { top_n: ['Too big.'] } }), 'Too big.'],
    ['bare list', answer(400, ['Something is off.']), 'Something is off.'],
    ['plain string', answer(400, 'Bad thing'), 'Bad thing'],
  ])('reads DRF %s', (_, err, expected) => {
    expect(extractErrorMessage(err)).toBe(expected)
  })

  it('names the status instead of showing an HTML error page', () => {
    const err = answer(500, '<!DOCTYPE html><html><body>Server Error</body></html>')
    expect(extractErrorMessage(err)).toBe('Server error (500)')
  })

  it('names the status for an empty body', () => {
    expect(extractErrorMessage(answer(502, ''))).toBe('Server error (502)')
  })

  it('reports a network error when no response arrived', () => {
    expect(extractErrorMessage(new Error('Network Error'))).toBe(NETWORK_ERROR)
  })
})

describe('extractFieldErrors', () => {
  it('keeps the first message per field and flattens nested serializers', () => {
    const err = answer(400, {
      email: ['Enter a valid email address.', 'second'],
      options: { top_n: ['Ensure this value is less than or equal to 100.'] },
      non_field_errors: ['general'],
    })
    expect(extractFieldErrors(err)).toEqual({
      email: 'Enter a valid email address.',
      'options.top_n': 'Ensure this value is less than or equal to 100.',
    })
  })

  it('gives nothing for non-field shapes', () => {
    expect(extractFieldErrors(answer(404, { detail: 'Not found.' }))).toEqual({})
    expect(extractFieldErrors(answer(400, ['x']))).toEqual({})
    expect(extractFieldErrors(new Error('Network Error'))).toEqual({})
  })
})
